"""Readouts: clinical and histomorphometric numbers computed from the model state (no I/O).

`readout_table()` is the table of what is recorded each timeseries day: name -> (units, long name): the
core readouts below and those the registered drugs declare (`engine.pharmacology.registry`; `READOUTS`
is the table of the built-in drugs).
Units are UDUNITS strings (CF conventions) so HDF5 readers and xarray understand them.

Surfaces are counted in voxel faces' worth of area: a bone voxel with a marrow face neighbour is one
voxel area (h²) of bone surface (BS). Eroded surface (ES) is surface in or bordering a cavity in
resorption or reversal, osteoid surface (OS) surface of a cavity in formation (`kernels.remodeling.
surface_phase_counts`).

Two scales (DESIGN.md):
- Patient level, from the whole-skeleton layer (`engine.skeleton`, deterministic): serum CTX and P1NP
  (ng/mL, µg/L and % change), lumbar-spine and total-hip DXA BMD (% change); `SKELETON_READOUTS`.
- Tissue level, from the agent volume (a biopsy, its fluxes samples of ~20 BMUs a year), named
  `biopsy_*`: volumetric BMD (mineral mass in the volume, % change from day 0), matrix resorbed and
  formed per day as 7-day means in % of the mean over the spin-up's last half year; and the
  histomorphometry (BS/BV, ES/BS, OS/BS, Ac.f, MAR, E.De, W.Th).
"""

from __future__ import annotations

import numpy as np

from engine.agents.bmu import FORMATION
from engine.agents.osteoblast import Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.kernels.remodeling import volume_totals
from engine.pharmacology import registry
from engine.pharmacology.bisphosphonates import osteoclast_effect
from engine.units import DAYS_PER_YEAR
from engine.skeleton.patient import SKELETON_READOUTS

MARKER_WINDOW_DAYS = 7
HISTOMORPHOMETRY_WINDOW_DAYS = 365

#: Readouts every run records, whatever drugs are given; each drug adds its own (`readout_table`).
CORE_READOUTS: dict[str, tuple[str, str]] = {
    "day": ("day", "simulated day (0 = start)"),
    "bv_tv": ("1", "bone volume fraction BV/TV"),
    "bs_bv_per_mm": ("1/mm", "bone surface to bone volume BS/BV (surface counted in voxel faces)"),
    "mineral_fraction_mean": ("1", "mean mineral content of the volume relative to fully mineralized bone"),
    "biopsy_bmd_change_pct": ("percent", "tissue level (the agent volume, a biopsy): trabecular volumetric BMD, mineral "
                              "mass in the volume, % change from day 0"),
    "biopsy_ctx_change_pct": ("percent", "tissue level (the agent volume, a biopsy): matrix (collagen) resorbed per day "
                              "(7-day mean), % change from baseline"),
    "biopsy_p1np_change_pct": ("percent", "tissue level (the agent volume, a biopsy): matrix formed per day (7-day mean), "
                               "% change from baseline"),
    "resorbed_um3_per_day": ("um3/day", "bone matrix resorbed today"),
    "formed_um3_per_day": ("um3/day", "bone matrix (osteoid) formed today"),
    "eroded_surface_pct": ("percent", "eroded surface ES/BS (cavities in resorption or reversal)"),
    "osteoid_surface_pct": ("percent", "osteoid surface OS/BS (cavities in formation)"),
    "activation_frequency_per_year": ("1/year", "activation frequency Ac.f: surface newly excavated per year / BS "
                                      "(activations in the last 365 d x mean footprint of finished BMUs)"),
    "mineral_apposition_rate_um_per_day": ("um/day", "matrix apposition rate under working osteoblasts (MAR)"),
    "erosion_depth_um": ("um", "mean erosion depth of BMUs finished in the last 365 d (resorbed volume / footprint)"),
    "wall_thickness_um": ("um", "mean wall thickness of BMUs finished in the last 365 d (formed volume / footprint)"),
    "n_active_bmus": ("1", "BMUs in resorption, reversal or formation"),
    "n_osteoclasts": ("1", "number of osteoclasts"),
    "n_osteoclast_nuclei": ("1", "number of osteoclast nuclei"),
    "n_osteoblasts": ("1", "number of matrix-making osteoblasts"),
    "n_lining_cells": ("1", "number of bone-lining cells"),
    "n_osteocytes": ("1", "number of osteocytes"),
    "n_precursors": ("1", "osteoclast precursors in the volume's marrow"),
    "committed_precursors_relative": ("1", "committed osteoclast precursors reaching the surface, relative to the reference steady state (drives activation and fusion)"),
    "free_rankl_nM": ("nmol/L", "free soluble RANKL, marrow-volume mean"),
    "opg_nM": ("nmol/L", "free OPG, marrow-volume mean"),
    "rankl_opg_nM": ("nmol/L", "RANKL:OPG complex, marrow-volume mean"),
    "rank_occupancy": ("1", "RANK occupancy on osteoclast precursors, marrow-volume mean"),
    "osteoclast_bisphosphonate_effect": ("1", "mean bisphosphonate effect E on today's osteoclasts, 0..1 "
                                         "(E = x/(1+x), x = released concentration / EC50)"),
    "modeling_formed_um3": ("um3", "matrix laid by modeling-based formation (reactivated lining cells), cumulative"),
    "estrogen_deficiency": ("1", "estrogen deficiency, 0 (premenopausal or male) .. 1 (full)"),
    "rankl_expression_factor": ("1", "osteocyte RANKL expression relative to a premenopausal woman"),
    "rankl_solver_iterations": ("1", "field-solver iterations for RANKL at the last transport update"),
    "opg_solver_iterations": ("1", "field-solver iterations for OPG at the last transport update"),
    "field_solver_relative_residual": ("1", "largest estimated relative error (energy norm) of the last field solves"),
}


def readout_table() -> dict[str, tuple[str, str]]:
    """Core readouts and every registered drug's, name -> (units, long name)."""
    table = dict(CORE_READOUTS)
    table.update(SKELETON_READOUTS)
    table.update({name: (r.units, r.long_name) for name, r in registry.drug_readouts().items()})
    return table


READOUTS = readout_table()


def _pct_change(value: float, baseline: float) -> float:
    if not np.isfinite(baseline) or baseline <= 0:
        return float("nan")
    return 100.0 * (value / baseline - 1.0)


def _mean_of(records: list[dict], key: str) -> float:
    values = [r[key] for r in records if np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def record(model) -> dict[str, float]:
    """Today's readouts, keyed as in `readout_table()`."""
    grid = model.grid
    sig = model.signalling
    bmus = model.bmus
    h = grid.voxel_size_um
    totals = np.empty(2)
    volume_totals(grid.bone_fraction, grid.mineral_fraction, totals)
    bone_voxels, mineral = float(totals[0]), float(totals[1])
    bone_um3 = bone_voxels * h**3
    counts = model.census.counts
    bs = int(counts.sum())
    bs_um2 = bs * h * h
    stats = sig.stats
    ctx_flux, p1np_flux = model.markers.mean_flux(MARKER_WINDOW_DAYS)
    ctx0, p1np0 = model.markers.baseline
    recent = bmus.completed_within(HISTOMORPHOMETRY_WINDOW_DAYS, model.clock)
    footprints = [r["footprint_area_um2"] for r in bmus.completed[-50:]]
    window = min(HISTOMORPHOMETRY_WINDOW_DAYS, max(model.clock, 1))
    acf = (bmus.activations_within(window, model.clock) * DAYS_PER_YEAR / window * float(np.mean(footprints))
           / bs_um2 if footprints and bs_um2 else float("nan"))
    formed_today = model.bmu_phases.formed_um3
    forming_area = model.bmu_phases.forming_floor_area_um2
    clasts = model.agents_by_type.get(Osteoclast)
    osteoblasts = model.agents_by_type.get(Osteoblast)
    bmd_change = _pct_change(mineral, model.baseline_mineral)
    n_active_ob = sum(b.active_osteoblasts for b in bmus.bmus_in(FORMATION))
    row = {
        "day": model.day,
        "bv_tv": bone_voxels / grid.n_voxels,
        "bs_bv_per_mm": bs_um2 / bone_um3 * 1e3 if bone_um3 else float("nan"),
        "mineral_fraction_mean": mineral / grid.n_voxels,
        "biopsy_bmd_change_pct": bmd_change,
        "biopsy_ctx_change_pct": _pct_change(ctx_flux, ctx0),
        "biopsy_p1np_change_pct": _pct_change(p1np_flux, p1np0),
        "resorbed_um3_per_day": model.resorption.resorbed_um3,
        "formed_um3_per_day": formed_today,
        "eroded_surface_pct": 100.0 * model.census.eroded_surface_voxels / bs if bs else float("nan"),
        "osteoid_surface_pct": 100.0 * counts[FORMATION] / bs if bs else float("nan"),
        "activation_frequency_per_year": acf,
        "mineral_apposition_rate_um_per_day": formed_today / forming_area if forming_area else float("nan"),
        "erosion_depth_um": _mean_of(recent, "erosion_depth_um"),
        "wall_thickness_um": _mean_of(recent, "wall_thickness_um"),
        "n_active_bmus": len(bmus.bmus),
        "n_osteoclasts": len(clasts) if clasts else 0,
        "n_osteoclast_nuclei": int(sum(c.nuclei for c in clasts)) if clasts else 0,
        "n_osteoblasts": n_active_ob,
        "n_lining_cells": (len(osteoblasts) if osteoblasts else 0) - n_active_ob,
        "n_osteocytes": len(model.osteocytes),
        "n_precursors": model.precursors.count,
        "committed_precursors_relative": model.precursors.committed_relative,
        "free_rankl_nM": sig.marrow_mean("rankl_nM"),
        "opg_nM": sig.marrow_mean("opg_nM"),
        "rankl_opg_nM": sig.marrow_mean("rankl_opg_nM"),
        "rank_occupancy": sig.marrow_mean("rank_occupancy"),
        "osteoclast_bisphosphonate_effect": (float(np.mean([osteoclast_effect(c.bisphosphonate_exposure) for c in clasts]))
                                             if clasts else 0.0),
        "modeling_formed_um3": bmus.modeling_formed_total_um3(),
        "estrogen_deficiency": model.physiology.estrogen_deficiency,
        "rankl_expression_factor": model.physiology.rankl_expression_factor,
        "rankl_solver_iterations": stats.rankl_iterations,
        "opg_solver_iterations": stats.opg_iterations,
        "field_solver_relative_residual": max(stats.rankl_relative_residual, stats.opg_relative_residual),
    }
    row.update(model.skeleton.readouts() if model.skeleton is not None
               else {name: float("nan") for name in SKELETON_READOUTS})
    row.update({name: float(r.value(model)) for name, r in registry.drug_readouts().items()})
    return row

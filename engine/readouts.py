"""Readouts: clinical and histomorphometric numbers computed from the model state (no I/O).

`READOUTS` is the table of what is recorded each timeseries day: name -> (units, long name).
Units are UDUNITS strings (CF conventions) so HDF5 readers and xarray understand them.
"""

from __future__ import annotations

import numpy as np

from engine.grid.measure import bone_volume_fraction

READOUTS: dict[str, tuple[str, str]] = {
    "day": ("day", "simulated day (0 = start)"),
    "bv_tv": ("1", "bone volume fraction BV/TV"),
    "mineral_fraction_mean": ("1", "mean mineral content of the volume relative to fully mineralized bone"),
    "bmd_change_pct": ("percent", "BMD proxy: mineral mass in the volume, % change from day 0"),
    "free_rankl_nM": ("nmol/L", "free soluble RANKL, marrow-volume mean"),
    "opg_nM": ("nmol/L", "free OPG, marrow-volume mean"),
    "rankl_opg_nM": ("nmol/L", "RANKL:OPG complex, marrow-volume mean"),
    "rank_occupancy": ("1", "RANK occupancy on osteoclast precursors, marrow-volume mean"),
    "n_osteocytes": ("1", "number of osteocytes"),
    "estrogen_deficiency": ("1", "estrogen deficiency, 0 (premenopausal or male) .. 1 (full)"),
    "rankl_expression_factor": ("1", "osteocyte RANKL expression relative to a premenopausal woman"),
    "rankl_solver_iterations": ("1", "field-solver iterations for RANKL today"),
    "opg_solver_iterations": ("1", "field-solver iterations for OPG today"),
    "field_solver_relative_residual": ("1", "largest relative residual of today's field solves"),
}


def record(model) -> dict[str, float]:
    """Today's readouts, keyed as in READOUTS."""
    grid = model.grid
    sig = model.signalling
    mineral = float(grid.mineral_fraction.sum(dtype=np.float64))
    stats = sig.stats
    return {
        "day": model.day,
        "bv_tv": bone_volume_fraction(grid.bone_fraction),
        "mineral_fraction_mean": mineral / grid.n_voxels,
        "bmd_change_pct": 100.0 * (mineral / model.baseline_mineral - 1.0) if model.baseline_mineral else 0.0,
        "free_rankl_nM": sig.marrow_mean("rankl_nM"),
        "opg_nM": sig.marrow_mean("opg_nM"),
        "rankl_opg_nM": sig.marrow_mean("rankl_opg_nM"),
        "rank_occupancy": sig.marrow_mean("rank_occupancy"),
        "n_osteocytes": len(model.osteocytes),
        "estrogen_deficiency": model.physiology.estrogen_deficiency,
        "rankl_expression_factor": model.physiology.rankl_expression_factor,
        "rankl_solver_iterations": stats.rankl_iterations,
        "opg_solver_iterations": stats.opg_iterations,
        "field_solver_relative_residual": max(stats.rankl_relative_residual, stats.opg_relative_residual),
    }

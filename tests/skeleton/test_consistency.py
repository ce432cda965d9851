"""The two solvers agree: an ensemble of agent volumes of one patient against the whole-skeleton layer's
trabecular compartment built for the same bone (its BV/TV and BS/BV as the volumes measure them).

Ensemble: volumes of 600 µm (the same geometry; seeds 1-12 untreated or on zoledronate, 1-6 on denosumab),
spun up 300 days (the layer too) and observed 180 days from a first dose or none. Zoledronate's volumes
barely remodel: in 180 days a volume forms either almost nothing or one BMU's worth, so the ensemble mean of
6 volumes swings with how many caught a BMU (seeds 1-6 put the layer's formation outside their t-interval,
seeds 7-12 and 1-12 do not); 12 volumes. The zoledronate arm checks the bisphosphonate rules of both solvers (founding on the surface drug,
buried drug while resorbing: `engine.pharmacology.bisphosphonates`). A 600 µm volume holds ~0.04 mm³ of bone and one open cavity ~0.002 mm³, so its BMD swings by ±5 % in
180 days with the cavities open at the end: 12 volumes put the untreated mean within ~±3.5 %. Compared per unit of bone surface (so the volume's size cancels):
activations per mm² per year, ES/BS and OS/BS (day 180), matrix formed and resorbed per µm² per year, and
the volumetric BMD change at day 180. Agreement: the layer lies within the ensemble's 95 % CI (mean ± t(5)
× SE; for activations, a few dozen events in all, at least the exact Poisson interval of the pooled count),
widened by an absolute floor for quantities the ensemble sees as a few events (one BMU's footprint
in the ensemble's surface for ES/OS, 1 % BMD). Full comparison with a figure: benchmarks/calibrate_skeleton.py.
"""

import numpy as np
import pytest
from scipy import stats

from engine.model import BoneModel
from engine.readouts import record
from engine.scenario import scenario_from_text
from engine.skeleton.compartments import VOXEL_MEASURE_PER_TRUE_AREA, Compartment
from engine.skeleton.layer import SkeletonLayer
from engine.units import DAYS_PER_YEAR

SEEDS = {"untreated": range(1, 13), "denosumab": range(1, 7), "zoledronate": range(1, 13)}
SPIN_UP_DAYS = 300
DAYS = 180
TEXT = """\
name: consistency
seed: 1
duration_days: 180
geometry:
  volume_size_um: [600, 600, 600]
  voxel_size_um: 10
  structure: {type: synthetic_trabecular, bv_tv: 0.2, trabecular_thickness_um: 130, seed: 7}
patient: {sex: female, age_years: 60, years_since_menopause: 8}
"""
DENOSUMAB = "regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous}]\n"
ZOLEDRONATE = "regimen: [{drug: zoledronate, dose_mg: 5, route: intravenous}]\n"
FLOORS = {"activations_per_mm2_per_year": 1.0, "eroded_surface_pct": 2.0, "osteoid_surface_pct": 4.0,
          "formed_um_per_year": 2.0, "resorbed_um_per_year": 2.0, "bmd_change_pct": 1.0}


def agent_ensemble(text, seeds):
    rows = []
    for seed in seeds:
        model = BoneModel(scenario_from_text(text).scenario, rng=seed, whole_skeleton=False)
        built = record(model)
        model.spin_up(SPIN_UP_DAYS)
        start = model.clock
        resorbed = formed = 0.0
        for _ in range(DAYS):
            model.step()
            resorbed += model.resorption.resorbed_um3
            formed += model.bmu_phases.formed_um3
        row = record(model)
        bs_um2 = model.census.surface_voxels * model.grid.voxel_size_um**2
        years = DAYS / DAYS_PER_YEAR
        count = model.bmus.activations_within(model.clock - start, model.clock)
        rows.append({"activations_per_mm2_per_year": count / years / (bs_um2 * 1e-6),
                     "activations": count, "mm2_years": years * bs_um2 * 1e-6,
                     "eroded_surface_pct": row["eroded_surface_pct"], "osteoid_surface_pct": row["osteoid_surface_pct"],
                     "formed_um_per_year": formed / years / bs_um2, "resorbed_um_per_year": resorbed / years / bs_um2,
                     "bmd_change_pct": row["biopsy_bmd_change_pct"], "bv_tv": built["bv_tv"],
                     "bs_bv": built["bs_bv_per_mm"], "model": model})
    return rows


def layer_like(rows, text):
    model = rows[0]["model"]
    bv_tv = float(np.mean([r["bv_tv"] for r in rows]))
    bs_bv = float(np.mean([r["bs_bv"] for r in rows]))  # the agents' measure
    part = (Compartment("volume", "trabecular", 1.0, bs_bv, 1.0, "rest"),)
    from engine.skeleton.patient import SkeletonModel
    alone = SkeletonModel(scenario_from_text(text).scenario)
    skeleton = alone.skeleton
    held = skeleton.layer
    skeleton.layer = SkeletonLayer(model.biology, bv_tv, bs_bv / VOXEL_MEASURE_PER_TRUE_AREA, parts=part)
    if held.bp_drugs:  # the regimen's bisphosphonates, as PatientSkeleton holds them
        skeleton.layer.hold_bisphosphonates(held.bp_drugs, held.bp_ec50_uM, held.bp_action)
    skeleton.sites = {"lumbar_spine": np.array([True]), "total_hip": np.array([True])}
    alone.spin_up(SPIN_UP_DAYS)
    for _ in range(DAYS):
        alone.step()
    h = skeleton.histomorphometry(DAYS)
    return {"activations_per_mm2_per_year": h["activations_per_mm2_per_year"],
            "eroded_surface_pct": h["eroded_surface_pct"], "osteoid_surface_pct": h["osteoid_surface_pct"],
            "formed_um_per_year": h["formed_um_per_year"], "resorbed_um_per_year": h["resorbed_um_per_year"],
            "bmd_change_pct": skeleton.readouts()["skeleton_trabecular_bmd_change_pct"]}


def compare(rows, layer):
    table = {}
    for key, floor in FLOORS.items():
        values = np.array([r[key] for r in rows])
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
        if key == "activations_per_mm2_per_year":
            # a few dozen activations in all: the t-interval over volumes understates a Poisson count's
            # uncertainty, so take the wider of it and the exact (Garwood) 95 % interval of the pooled count
            n = sum(r["activations"] for r in rows)
            exposure = sum(r["mm2_years"] for r in rows)
            low = stats.chi2.ppf(0.025, 2 * n) / 2 / exposure if n else 0.0
            high = stats.chi2.ppf(0.975, 2 * n + 2) / 2 / exposure
            half = max(half, values.mean() - low, high - values.mean())
        table[key] = (values.mean(), half, layer[key], abs(layer[key] - values.mean()) <= half + floor)
    return table


@pytest.mark.parametrize("arm, regimen", [("untreated", ""), ("denosumab", DENOSUMAB), ("zoledronate", ZOLEDRONATE)],
                         ids=["untreated", "denosumab", "zoledronate"])
def test_layer_agrees_with_an_agent_ensemble(arm, regimen):
    text = TEXT + regimen
    rows = agent_ensemble(text, SEEDS[arm])
    table = compare(rows, layer_like(rows, text))
    report = "\n".join(f"{k:30s} agents {m:8.3f} ± {h:6.3f}  layer {v:8.3f}  {'ok' if ok else 'MISS'}"
                       for k, (m, h, v, ok) in table.items())
    print(report)
    assert all(ok for *_, ok in table.values()), report

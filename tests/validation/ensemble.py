"""A small ensemble of virtual biopsies, shared by the fast validation tests and benchmarks/validate_bmu.py.

One 1 mm³ volume holds only ~10-25 BMUs a year, and each cavity is ~1 % of its bone, so one run's BMD
and marker curves are dominated by which BMUs happen to be open (as in a real biopsy). Histomorphometry
is therefore pooled over several seeds, and bone loss is measured from the BMUs' own balance
(formed − resorbed volume of finished BMUs per year, over the bone volume), which does not carry the
remodeling-space noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.model import BoneModel
from engine.units import DAYS_PER_YEAR
from engine.readouts import MARKER_WINDOW_DAYS, record
from engine.scenario import scenario_from_text


TEMPLATE = """\
name: biopsy
seed: {seed}
duration_days: {days}
geometry:
  volume_size_um: [{size_um}, {size_um}, {size_um}]
  voxel_size_um: 10
  structure: {{type: synthetic_trabecular, bv_tv: 0.2, trabecular_thickness_um: 130, seed: {seed}}}
patient: {patient}
"""

FREEDOM_PATIENT = "{sex: female, age_years: 72, years_since_menopause: 22}"  # targets.md §3 'Trial size'
DENOSUMAB_Q6M = """regimen:
  - {{drug: denosumab, dose_mg: {dose_mg}, route: subcutaneous, start_day: 0, interval_days: {interval_days}, number_of_doses: {doses}}}
"""
POSTMENOPAUSAL = "{sex: female, age_years: 60, years_since_menopause: 8}"
EARLY_POSTMENOPAUSAL = "{sex: female, age_years: 51, years_since_menopause: 0.5}"
PREMENOPAUSAL = "{sex: female, age_years: 40}"


@dataclass
class Pooled:
    """Pooled results of an ensemble (BMU records of all seeds, and per-run summaries)."""

    bmus: list[dict] = field(default_factory=list)
    activations: int = 0
    surface_um2_years: float = 0.0  # Σ bone surface × observed time (for Ac.f)
    bone_um3_years: float = 0.0  # Σ bone volume × observed time (for the focal loss rate)
    mar_um_per_day: list[float] = field(default_factory=list)
    bmd_change_pct_per_year: list[float] = field(default_factory=list)
    modeling_formed_um3: float = 0.0  # matrix laid by modeling-based formation while observed (not in `bmus`)

    def mean(self, key: str) -> float:
        return float(np.mean([b[key] for b in self.bmus]))

    @property
    def activation_frequency_per_year(self) -> float:
        """Ac.f: activations while observed × mean footprint of a finished BMU, over bone surface × time."""
        return self.activations * self.mean("footprint_area_um2") / self.surface_um2_years

    @property
    def focal_balance_pct_per_year(self) -> float:
        """Bone volume change per year from finished BMUs' balance, % of bone volume (remodeling only)."""
        return 100.0 * sum(b["formed_um3"] - b["resorbed_um3"] for b in self.bmus) / self.bone_um3_years

    @property
    def balance_pct_per_year(self) -> float:
        """Bone volume change per year from all formation (BMUs and modeling-based formation) minus
        resorption, % of bone volume: what bone loss is."""
        return self.focal_balance_pct_per_year + 100.0 * self.modeling_formed_um3 / self.bone_um3_years

    @property
    def turnover_pct_per_year(self) -> float:
        """Bone renewed per year (matrix formed by finished BMUs), % of bone volume."""
        return 100.0 * sum(b["formed_um3"] for b in self.bmus) / self.bone_um3_years

    @property
    def formed_over_resorbed(self) -> float:
        return sum(b["formed_um3"] for b in self.bmus) / sum(b["resorbed_um3"] for b in self.bmus)


def spun_up_biopsy(patient: str, seed: int, days: int, size_um: int, regimen: str = "",
                   whole_skeleton: bool = False) -> BoneModel:
    """One virtual biopsy of the TEMPLATE (plus `regimen` YAML text), after its spin-up. The patient's
    whole-skeleton layer (deterministic, the same for every seed) only when asked for."""
    model = BoneModel(scenario_from_text(TEMPLATE.format(seed=seed, days=days, size_um=size_um,
                                                         patient=patient) + regimen).scenario,
                      whole_skeleton=whole_skeleton)
    model.spin_up()
    return model


def run_ensemble(patient: str, seeds, days: int = 730, size_um: int = 600) -> Pooled:
    """Run one volume per seed (spin-up, then `days`), pooling the BMUs that finished while observed
    (in a steady state as many finish as begin, so this counts the remodeling of the observed years)."""
    pooled = Pooled()
    for seed in seeds:
        model = spun_up_biopsy(patient, seed, days, size_um)
        start = model.clock
        modeling_at_start = model.bmus.modeling_formed_total_um3()
        h = model.grid.voxel_size_um
        surface, bone, mar, bmd = [], [], [], []
        for _ in range(days):
            model.step()
            row = record(model)
            surface.append(model.census.surface_voxels * h * h)
            bone.append(float(model.grid.bone_fraction.sum(dtype=np.float64)) * h**3)
            if np.isfinite(row["mineral_apposition_rate_um_per_day"]):
                mar.append(row["mineral_apposition_rate_um_per_day"])
            bmd.append(row["biopsy_bmd_change_pct"])
        years = days / DAYS_PER_YEAR
        pooled.bmus += [b for b in model.bmus.completed if b["ended_clock_day"] > start]
        pooled.activations += sum(1 for c in model.bmus.activation_clock_days if c > start)
        pooled.surface_um2_years += float(np.mean(surface)) * years
        pooled.bone_um3_years += float(np.mean(bone)) * years
        pooled.mar_um_per_day += mar
        pooled.bmd_change_pct_per_year.append(bmd[-1] / years)
        pooled.modeling_formed_um3 += model.bmus.modeling_formed_total_um3() - modeling_at_start
    return pooled


@dataclass
class MarkerSeries:
    """Serum-marker-like curves of an ensemble: each volume's daily fluxes summed over the seeds (serum
    markers add up the whole skeleton's BMUs), as % change from the summed spin-up baselines."""

    day: np.ndarray
    biopsy_ctx_change_pct: np.ndarray
    biopsy_p1np_change_pct: np.ndarray
    biopsy_bmd_change_pct: np.ndarray
    serum_ng_per_ml: np.ndarray
    eroded_surface_pct: np.ndarray  # ES/BS of the volumes together (eroded over bone surface, summed)
    formed_um3_per_day: np.ndarray  # matrix formed by all volumes that day (BFR, not smoothed)
    patient: dict[str, np.ndarray]  # the whole-skeleton layer's readouts (the same patient in every volume)

    def __getattr__(self, name: str) -> np.ndarray:
        patient = self.__dict__.get("patient", {})
        if name in patient:
            return patient[name]
        raise AttributeError(name)

    def window_mean(self, name: str, first_day: float, last_day: float) -> float:
        sel = (self.day >= first_day) & (self.day <= last_day)
        return float(np.mean(getattr(self, name)[sel]))


def run_marker_ensemble(patient: str, seeds, days: int, regimen: str = "", size_um: int = 600,
                        window_days: int = MARKER_WINDOW_DAYS) -> MarkerSeries:
    """Spin up and run one volume per seed with `regimen` (YAML text, e.g. DENOSUMAB_Q6M.format(...))."""
    n = days + 1
    ctx, p1np, mineral = np.zeros(n), np.zeros(n), np.zeros(n)
    ctx0 = p1np0 = mineral0 = 0.0
    serum, eroded, surface, formed = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    patient_level: dict[str, np.ndarray] = {}
    for k, seed in enumerate(seeds):
        model = spun_up_biopsy(patient, seed, days, size_um, regimen, whole_skeleton=k == 0)
        c0, f0 = model.markers.baseline
        ctx0, p1np0, mineral0 = ctx0 + c0, p1np0 + f0, mineral0 + model.baseline_mineral
        for d in range(n):
            if d:
                model.step()
            c, f = model.markers.mean_flux(window_days)
            ctx[d] += c
            p1np[d] += f
            mineral[d] += float(model.grid.mineral_fraction.sum(dtype=np.float64))
            serum[d] = model.exposure.serum_denosumab_ng_per_ml
            eroded[d] += model.census.eroded_surface_voxels
            surface[d] += model.census.surface_voxels
            formed[d] += model.bmu_phases.formed_um3 if d else 0.0
            if model.skeleton is not None:  # deterministic: the same for every seed, so taken from the first
                for name, value in model.skeleton.readouts().items():
                    patient_level.setdefault(name, np.zeros(n))[d] = value
    return MarkerSeries(np.arange(n), 100.0 * (ctx / ctx0 - 1.0), 100.0 * (p1np / p1np0 - 1.0),
                        100.0 * (mineral / mineral0 - 1.0), serum, 100.0 * eroded / surface, formed, patient_level)

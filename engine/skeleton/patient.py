"""One patient's skeleton: the layer driven by her physiology and drugs, and her patient-level readouts.

`PatientSkeleton` shares the physiology and drug exposure of a `BoneModel` (every run) or of a
`SkeletonModel` (the layer alone: virtual-trial patients without an agent volume). Both step it once per
simulated day after the day's physiology and exposure, with the agents' systemic factors
(`engine.processes.systemic`), and spin it up with the agents' rules: the patient held at day 0, tissue
age reseeded at her own turnover at the end, baselines taken then.
"""

from __future__ import annotations

import numpy as np

from engine.pharmacology import DrugExposure
from engine.physiology import PatientState
from engine.processes import systemic
from engine.processes.tissue_age import missing_young_tissue
from engine.skeleton.compartments import trabecular_bs_bv_per_mm
from engine.skeleton.layer import TISSUE_SLOTS, SkeletonLayer, UM2_PER_MM2, UM3_PER_MM3
from engine.skeleton.serum import SERUM, pct, serum_marker
from engine.units import DAYS_PER_YEAR

TURNOVER_WINDOW_DAYS = 182  # as the agents' spin-up (engine.model.MARKER_BASELINE_DAYS)

#: Patient-level readouts, name -> (units, long name): recorded in every run (engine.readouts).
SKELETON_READOUTS: dict[str, tuple[str, str]] = {
    "serum_ctx_ng_per_ml": ("ng/mL", "serum β-CTX (whole skeleton, assay: below the LLOQ reported at it)"),
    "serum_ctx_change_pct": ("percent", "serum β-CTX, % change from day 0 (whole-skeleton layer)"),
    "serum_p1np_ug_per_l": ("ug/L", "serum total P1NP (whole skeleton, assay: below the LLOQ reported at it)"),
    "serum_p1np_change_pct": ("percent", "serum P1NP, % change from day 0 (whole-skeleton layer)"),
    "lumbar_spine_bmd_change_pct": ("percent", "lumbar-spine (L1-L4 PA) DXA BMD, % change from day 0 (whole-skeleton "
                                    "layer: centrum, shell, posterior elements)"),
    "total_hip_bmd_change_pct": ("percent", "total-hip DXA BMD, % change from day 0 (whole-skeleton layer: proximal "
                                 "femur trabecular and cortical)"),
    "skeleton_trabecular_es_pct": ("percent", "ES/BS of the vertebral trabecular compartment (whole-skeleton layer)"),
    "skeleton_trabecular_os_pct": ("percent", "OS/BS of the vertebral trabecular compartment (whole-skeleton layer)"),
    "skeleton_trabecular_bmd_change_pct": ("percent", "mineral of the vertebral trabecular compartment, % change "
                                           "(whole-skeleton layer; compare with the biopsy's bmd_change_pct)"),
}


class PatientSkeleton:
    def __init__(self, biology, physiology, exposure, trabecular_bv_tv: float, trabecular_bs_bv_per_mm: float):
        self.biology = biology
        self.physiology = physiology
        self.exposure = exposure
        self.layer = SkeletonLayer(biology, trabecular_bv_tv, trabecular_bs_bv_per_mm,
                                   out_of_reach_fraction=exposure.rankl_binder_out_of_reach_fraction)
        bone_seeking = exposure.bone_seeking
        if bone_seeking:
            from engine.parameters import values
            from engine.pharmacology.bisphosphonates import BISPHOSPHONATE_ACTION
            self.layer.hold_bisphosphonates(tuple(bone_seeking), np.array([pk.p["osteoclast_ec50_uM"] for pk in
                                                                           bone_seeking.values()]),
                                            values(BISPHOSPHONATE_ACTION))
        self.sites = {site: np.array([p.site == site for p in self.layer.parts])
                      for site in ("lumbar_spine", "total_hip")}
        self.serum = {p.name: p.value for p in SERUM}
        # her own pre-treatment marker levels, when the scenario gives them
        for key, reference in (("serum_ctx_ng_per_ml", "ctx_reference_ng_per_ml"),
                               ("serum_p1np_ug_per_l", "p1np_reference_ug_per_l")):
            own = getattr(physiology.patient, key)
            if own is not None:
                self.serum[reference] = float(own)
        self.held_formed_um3: list[np.ndarray] = []  # formation on each held (spin-up) day, for finish_spin_up

    def run_step(self, holding: bool = False) -> None:
        """One day; `holding`: the patient is held untreated (spin-up, day <= 0)."""
        ph, ex = self.physiology, self.exposure
        self.layer.run_step(
            rankl_factor=systemic.rankl_factor(ph, ex), opg_factor=ph.opg_expression_factor,
            binder_nM=ex.marrow_rankl_binder_nM, binder_kd_nM=ex.rankl_binder_kd_nM,
            supply_factor=ph.precursor_supply_factor, osteoclast_lifespan_factor=ph.osteoclast_lifespan_factor,
            working_life_days=systemic.osteoblast_working_life_days(self.biology, ph, ex),
            coupling_fold=ex.fold("osteoblast_recruitment_fold_max"),
            osteocyte_lifespan_factor=ph.osteocyte_lifespan_factor,
            lining_activation_per_day=systemic.lining_activation_per_day(self.biology, ex),
            untreated_lining_activation_per_day=self.biology.modeling_formation_lining_activation_per_day,
            bisphosphonate_uptake_umol=np.array([pk.take_skeleton_uptake() for pk in ex.bone_seeking.values()]),
            bisphosphonate_recycle_fraction=np.array([pk.p["skeletal_uptake_fraction"]
                                                      for pk in ex.bone_seeking.values()]), holding=holding)
        if holding:
            self.held_formed_um3.append(self.layer.formed_um3.copy())

    def finish_spin_up(self, spun_up_days: int) -> None:
        """Reseed the old bone's mineral at the patient's own turnover and take the baselines (as the agents);
        the young tissue the spin-up did not form (from the formation of its held days) gets its own ages
        (`processes.tissue_age`)."""
        held, self.held_formed_um3 = self.held_formed_um3, []
        if spun_up_days > 0:
            window = min(spun_up_days, TURNOVER_WINDOW_DAYS)
            turnover = self.layer.turnover_per_year(window)
            if np.all(turnover > 0):
                young_days = min(spun_up_days, TISSUE_SLOTS)  # older cohorts have joined the old pool
                missing = None
                if held:
                    missing = missing_young_tissue(np.array(held[-young_days:]), self.layer.mean_over(window)[2],
                                                   turnover) / UM3_PER_MM3
                self.layer.reseed_tissue_age(1.0 / turnover, older_than_years=young_days / DAYS_PER_YEAR,
                                             missing_mm3=missing)
        self.layer.set_baseline()

    def readouts(self) -> dict[str, float]:
        L, s = self.layer, self.serum
        # changes are relative to her own baseline (the reference, or patient.serum_ctx_ng_per_ml), so the assay
        # floor is reached at a deeper suppression when she starts higher
        ctx = serum_marker(float(L.resorbed_um3.sum()), float(L.baseline_resorbed_um3.sum()),
                           s["ctx_reference_ng_per_ml"], s["ctx_non_skeletal_fraction"], s["ctx_lloq_ng_per_ml"])
        p1np = serum_marker(float(L.formed_um3.sum()), float(L.baseline_formed_um3.sum()),
                            s["p1np_reference_ug_per_l"], s["p1np_non_skeletal_fraction"], s["p1np_lloq_ug_per_l"])
        mineral, base = L.mineral, L.baseline_mineral
        surface = L.by_compartment(L.surface_mm2)
        eroded, osteoid = (L.by_compartment(x) for x in L.surfaces_mm2())
        trabecular_mineral, trabecular_base = L.by_compartment(mineral)[0], L.by_compartment(base)[0]
        return {
            "serum_ctx_ng_per_ml": ctx,
            "serum_ctx_change_pct": pct(ctx, s["ctx_reference_ng_per_ml"]),
            "serum_p1np_ug_per_l": p1np,
            "serum_p1np_change_pct": pct(p1np, s["p1np_reference_ug_per_l"]),
            "lumbar_spine_bmd_change_pct": pct(mineral[self.sites["lumbar_spine"]].sum(),
                                               base[self.sites["lumbar_spine"]].sum()),
            "total_hip_bmd_change_pct": pct(mineral[self.sites["total_hip"]].sum(), base[self.sites["total_hip"]].sum()),
            "skeleton_trabecular_es_pct": 100.0 * eroded[0] / surface[0],
            "skeleton_trabecular_os_pct": 100.0 * osteoid[0] / surface[0],
            "skeleton_trabecular_bmd_change_pct": pct(trabecular_mineral, trabecular_base),
        }

    def histomorphometry(self, days: int = 365) -> dict[str, float]:
        """The vertebral trabecular compartment's rates over the last `days` days, in the agents' measures."""
        L = self.layer
        act, res, form = (L.by_compartment(x)[0] for x in L.mean_over(days))
        surface_mm2 = L.by_compartment(L.surface_mm2)[0]
        eroded, osteoid = (L.by_compartment(x)[0] for x in L.surfaces_mm2())
        surface_um2 = surface_mm2 * UM2_PER_MM2
        return {
            "activations_per_mm2_per_year": act * DAYS_PER_YEAR / surface_mm2,
            "resorbed_um_per_year": res * DAYS_PER_YEAR / surface_um2,   # µm³ per µm² of BS per year
            "formed_um_per_year": form * DAYS_PER_YEAR / surface_um2,
            "eroded_surface_pct": 100.0 * eroded / surface_mm2,
            "osteoid_surface_pct": 100.0 * osteoid / surface_mm2,
        }


def cancellous_structure(scenario, base_dir=".") -> tuple[float, float]:
    """(BV/TV, true BS/BV per mm) of the patient's cancellous bone from the scenario's structure (synthetic:
    its bv_tv and 2/Tb.Th; µCT: measured on the file), so a run with or without an agent volume gives the
    same patient curves."""
    structure = scenario.geometry.structure
    if getattr(structure, "bv_tv", None) is not None:
        return float(structure.bv_tv), trabecular_bs_bv_per_mm(structure)
    from engine.grid.voxel_grid import build_grid
    bone = build_grid(scenario, base_dir).bone_fraction
    return float(np.mean(bone)), trabecular_bs_bv_per_mm(structure, scenario.geometry.voxel_size_um, bone)


class SkeletonModel:
    """The whole-skeleton layer alone, for one patient: smooth patient-level curves in well under a second a
    simulated year (virtual-trial patients without an agent volume). Day and clock as in `BoneModel`."""

    def __init__(self, scenario, base_dir="."):
        self.scenario = scenario
        self.biology = scenario.biology
        self.day = 0
        self.clock = 0
        self.physiology = PatientState(scenario.patient, self.biology)
        self.exposure = DrugExposure(scenario.regimen, scenario.pharmacokinetics, scenario.patient.body_weight_kg)
        self.skeleton = PatientSkeleton(self.biology, self.physiology, self.exposure,
                                        *cancellous_structure(scenario, base_dir))

    def step(self) -> None:
        self.clock += 1
        self.day += 1
        self.physiology.advance(max(self.day, 0))
        if self.day > 0:
            self.exposure.advance_to(self.day)
        self.skeleton.run_step(holding=self.day <= 0)

    def spin_up(self, days: int | None = None) -> None:
        days = self.scenario.numerics.spin_up_days if days is None else days
        self.day = -days
        for _ in range(days):
            self.step()
        self.day = 0
        self.skeleton.finish_spin_up(days)

    def readouts(self) -> dict[str, float]:
        """Today's patient-level readouts (`LAYER_ALONE_READOUTS`)."""
        row = self.skeleton.readouts()
        row["serum_denosumab_ng_per_ml"] = self.exposure.serum_denosumab_ng_per_ml
        return row


#: what the layer alone reports: the patient-level readouts and serum denosumab
LAYER_ALONE_READOUTS = (*SKELETON_READOUTS, "serum_denosumab_ng_per_ml")


def layer_curves(scenario, base_dir=".", last_day: int | None = None, every_days: int = 1,
                 also_days=()) -> tuple[list[int], list[dict[str, float]]]:
    """The patient's layer alone: spun up, then stepped to `last_day` (default the scenario's duration); the
    readouts of day 0, every `every_days`-th day, the `also_days` and the last day. Trial patients without a
    volume, the notebook API and sweeps all run it this way."""
    model = SkeletonModel(scenario, base_dir)
    model.spin_up()
    last = scenario.duration_days if last_day is None else int(last_day)
    also = set(int(d) for d in also_days)
    days, rows = [], []
    for day in range(last + 1):
        if day:
            model.step()
        if day % every_days == 0 or day == last or day in also:
            days.append(day)
            rows.append(model.readouts())
    return days, rows

"""The whole-skeleton layer: the agents' cell rules in their expected-value limit, per skeletal compartment.

A 1 mm³ agent volume is a biopsy: ~20 BMUs a year, so its fluxes are samples. Serum markers and DXA
average over the skeleton. This layer follows the expected numbers of the same cells under the same rules
and the same parameter table (`BiologyParameters`), compartment by compartment (`compartments.py`), so one
run gives smooth, deterministic patient curves. All arrays have the compartments as their first axis.

Each day, in the agents' order (`engine.model.BoneModel.step`):
1. Signalling. Marrow-mean total RANKL and OPG of the patient's trabecular bone, from osteocyte secretion
   over the marrow volume (`engine.signalling`'s steady state integrated over the volume: k·∫c = ∫s), times
   the day's systemic factors; the drug field is the regimen's free RANKL binder × the compartment's
   access; binding is the same closed form (`kernels.binding.free_ligand_competitive`), RANK occupancy
   θ = L/(L + K_RANK).
2. Precursors: one `PrecursorPool` per compartment at its θ (the agents' class itself).
3. Activation: new BMUs at activation_per_mm2_per_year/365.25 × quiescent surface × committed precursors
   (the agents' Poisson rate, taken as its mean). Quiescent surface = BS − footprints of active BMUs.
4. Osteoclasts (per cohort of BMUs activated the same day): `osteoclasts_per_new_bmu` cells founded with
   `osteoclast_founding_nuclei` nuclei; expected nuclei per live cell gain fusion (rate × committed
   precursors) and lose nucleus deaths; a cell survives the day with exp(−hazard), hazard = 1/lifespan
   (× physiology) + the RANKL-withdrawal hazard + contact loss + the bisphosphonate hazard; each
   live cell resorbs nuclei × rate and sweeps 2 × radius × BMU advance of surface a day (its footprint).
   A BMU is in resorption while one of its cells lives: 1 − (1 − S)^k of the cohort.
5. BMU phases: BMUs that lost their last osteoclast enter reversal for the agents' delay distribution
   (max(1, round(gamma(shape, mean/shape)))); then osteoblasts are recruited at coupling × resorbed volume
   (× teriparatide's fold), each working for max(1, round(gamma(k, mean life/k))) days (mean life scaled by
   physiology and teriparatide on the day of recruitment) at `osteoblast_matrix_um3_per_day`, filling at
   most the cohort's cavities (osteoblasts fill only their own cavity). A BMU is in formation while one
   of its osteoblasts works.
6. Teriparatide's lining-cell reactivation: lining cells (one per `lining_cell_area_um2` of quiescent
   surface) start modeling units at 1 − exp(−rate) a day; each osteoblast forms for its working life.
7. Mineralization: the matrix formed each day is a tissue cohort that mineralizes by the agents' voxel rule
   (`kernels.remodeling.mineralize`: the rule is homogeneous in the voxel's bone, so a cohort of any volume
   follows it); cohorts older than two years join the old-bone pool (primary mineralization is complete,
   so only the linear secondary phase acts and pooling is exact). Resorption takes tissue of every age in
   proportion to its volume, with its mineral.
Bisphosphonates held in bone: `hold_bisphosphonates`. Readouts: per compartment bone, mineral, matrix
resorbed and formed, ES/BS, OS/BS, activations; the patient-level DXA sites and serum markers are in
`engine.skeleton.patient` and `engine.skeleton.serum`.

What the agents do and this layer does not (yet): targeted remodeling at dead osteocytes (it moves sites,
not the rate); a surface that changes with the bone (BS ∝ bone volume); the nuclei < 1 death; Poisson
noise (it is the expectation).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from scipy.special import gammaincc

from engine.agents.precursor_pool import PrecursorPool
from engine.kernels.binding import free_ligand_competitive
from engine.kernels.cohorts import form_cohorts, resorb_cohorts, spread_over_delays, tissue_day
from engine.skeleton.compartments import AGENT_GEOMETRY, Compartment, compartments
from engine.units import AVOGADRO_PER_MOL, DAYS_PER_YEAR

UM3_PER_MM3 = 1e9
UM2_PER_MM2 = 1e6
#: mineral of fully mineralized bone tissue (g per mm³): converts each compartment's BMC into a volume
#: (~1.2 g/cm³ mineral in fully mineralized lamellar bone; from-memory). Volumes cancel out of every
#: readout (% changes, marker ratios); only the mm³ shown depend on it.
MINERAL_G_PER_MM3_FULL = 1.2e-3
RESORPTION_SLOTS = 192   # days a cohort stays in the resorption buffer (osteoclast survival is then < 1e-5)
REVERSAL_SLOTS = 64      # longest reversal delay held (gamma(4, 2.5): P(> 64 d) < 1e-12)
FORMATION_SLOTS = 400    # days a formation cohort is followed (working life gamma(8, ~75/8): P(> 400 d) ~ 1e-12)
TISSUE_SLOTS = 730       # days matrix stays a cohort of its own before joining the old-bone pool: longer than
                         # the spin-up, so that, as in the agents, bone formed in the model keeps its own
                         # mineral history when the old bone is reseeded at the patient's turnover
#: depth of the bone that holds adsorbed bisphosphonate: the agents bind it in the exposed surface voxel
#: (`kernels.adsorption`), 10 µm at the default resolution
DRUG_LAYER_UM = 10.0


def _reversal_pmf(shape: float, mean_days: float) -> np.ndarray:
    """P(delay = d) for d = 0..REVERSAL_SLOTS-1 with delay = max(1, round(gamma(shape, mean/shape)))."""
    edges = np.arange(REVERSAL_SLOTS + 1) - 0.5
    scale = mean_days / shape
    cdf = 1.0 - gammaincc(shape, np.clip(edges, 0.0, None) / scale)
    pmf = np.diff(cdf)
    pmf[1] += pmf[0]
    pmf[0] = 0.0
    return pmf / pmf.sum()


class SkeletonLayer:
    """Expected-value state of every compartment of one patient's skeleton.

    Args:
        biology: the scenario's BiologyParameters (the agents' table).
        trabecular_bv_tv: BV/TV of the patient's cancellous bone (the agent volume's structure): sets the
            marrow RANKL/OPG totals through osteocytes per marrow volume, as in the agents.
        trabecular_bs_bv_per_mm: true BS/BV of that bone (`compartments.trabecular_bs_bv_per_mm`).
        parts: compartments (default: `compartments(trabecular_bs_bv_per_mm)`).
        modeling_units: room for teriparatide's modeling units (a second set of formation cohorts).
    """

    def __init__(self, biology, trabecular_bv_tv: float, trabecular_bs_bv_per_mm: float | None = None,
                 parts: tuple[Compartment, ...] | None = None, modeling_units: bool = True):
        self.biology = biology
        self.parts = parts if parts is not None else compartments(trabecular_bs_bv_per_mm)
        self.names = tuple(p.name for p in self.parts)
        k = len(self.parts)
        b = biology
        self.trabecular_bv_tv = float(trabecular_bv_tv)
        bone_mm3 = np.array([p.bmc_g for p in self.parts]) / MINERAL_G_PER_MM3_FULL
        self.bs_per_bv_per_mm = np.array([p.bs_bv_per_mm for p in self.parts])
        self.drug_access = np.array([p.drug_access for p in self.parts])
        trabecular = np.array([p.kind == "trabecular" for p in self.parts])
        # the marrow whose RANKL a compartment sees: its own for cancellous bone, the first cancellous
        # compartment's for cortical canals (compartments.py)
        first = int(np.argmax(trabecular)) if trabecular.any() else 0
        self._signal_from = np.where(trabecular, np.arange(k), first)
        self.initial_bone_mm3 = bone_mm3.copy()
        self.osteocytes = bone_mm3 * b.osteocyte_density_per_mm3_bone  # the agents place them at this density
        geometry = {p.name: p.value for p in AGENT_GEOMETRY}
        self.contact_loss_per_day = np.where(trabecular, geometry["osteoclast_contact_loss_per_day"], 0.0)
        self.resorption_efficiency = geometry["osteoclast_resorption_efficiency"]
        self.fusion_site_ratio = np.where(trabecular, geometry["osteoclast_site_occupancy_ratio"], 1.0)
        self.precursors = PrecursorPool(b, 1.0, np.ones(k))  # one pool per compartment
        self.rank_occupancy = np.zeros(k)
        self.committed = np.ones(k)
        # resorption cohorts (ring buffers indexed by activation day)
        self.res_bmus = np.zeros((k, RESORPTION_SLOTS))
        self.res_survival = np.zeros((k, RESORPTION_SLOTS))
        self.res_nuclei = np.zeros((k, RESORPTION_SLOTS))
        self.res_volume_um3 = np.zeros((k, RESORPTION_SLOTS))    # resorbed by the cohort's BMUs still resorbing
        self.res_footprint_um2 = np.zeros((k, RESORPTION_SLOTS))
        self.res_fraction = np.zeros((k, RESORPTION_SLOTS))       # share of the cohort still resorbing
        # reversal: (bmus, volume, footprint) due to start formation in d days
        self.rev_bmus = np.zeros((k, REVERSAL_SLOTS))
        self.rev_volume_um3 = np.zeros((k, REVERSAL_SLOTS))
        self.rev_footprint_um2 = np.zeros((k, REVERSAL_SLOTS))
        self._reversal_pmf = _reversal_pmf(b.reversal_shape, b.reversal_days)
        # formation cohorts (ring buffers indexed by start day)
        f = (2 if modeling_units else 1) * FORMATION_SLOTS  # remodeling cohorts, then teriparatide's modeling units
        self.form_bmus = np.zeros((k, f))
        self.form_osteoblasts = np.zeros((k, f))
        self.form_capacity_um3 = np.zeros((k, f))  # cavity volume still to fill (inf: a modeling unit)
        self.form_footprint_um2 = np.zeros((k, f))
        self.form_mean_life_days = np.ones((k, f))
        self.form_age_days = np.full((k, f), np.inf)
        self.form_share = np.zeros((k, f))          # share of the cohort's BMUs still forming
        self.form_working = np.zeros((k, f))        # P(an osteoblast of the cohort works today)
        # tissue: young cohorts by formation day, and the old-bone pool (mm³)
        self.tissue_bone = np.zeros((k, TISSUE_SLOTS))
        self.tissue_osteoid = np.zeros((k, TISSUE_SLOTS))
        self.tissue_mineral = np.zeros((k, TISSUE_SLOTS))
        degree = self._mean_degree(b.existing_bone_mean_tissue_age_years)
        self.old_bone = bone_mm3.copy()
        self.old_osteoid = np.zeros(k)
        self.old_mineral = bone_mm3 * degree
        self._bone_total_mm3 = np.zeros(k)
        self._mineral_total_mm3 = np.zeros(k)
        self._sum_tissue()
        self.day_index = 0
        # today's fluxes and history for readouts (µm³ per day, per compartment)
        self.resorbed_um3 = np.zeros(k)
        self.formed_um3 = np.zeros(k)
        self.activations = np.zeros(k)
        self.history = deque(maxlen=366)  # (activations, resorbed µm³, formed µm³) per compartment, per day
        # bisphosphonates held in bone (set by `hold_bisphosphonates`): fmol on quiescent surface and buried
        self.bp_drugs: tuple[str, ...] = ()
        self.bp_ec50_uM = np.zeros(0)
        self.bp_surface_fmol = np.zeros((k, 0))
        self.bp_buried_fmol = np.zeros((k, 0))
        self.bp_released_fmol = np.zeros((k, 0))
        self.bp_exposure = np.zeros(k)  # osteoclasts' Σ C/EC50, followed with the drug action's memory
        self.bp_action: dict[str, float] = {}
        self.baseline_mineral = self.mineral.copy()
        self.baseline_resorbed_um3 = np.full(k, np.nan)
        self.baseline_formed_um3 = np.full(k, np.nan)

    # --- state views --------------------------------------------------------------------------------
    def _mean_degree(self, mean_age_years: float) -> float:
        """Mean mineral degree of bone with exponential tissue ages of this mean (the agents' seeding rule,
        averaged: E[exp(−a/τ)] = τ/(τ + mean))."""
        b = self.biology
        tau = b.secondary_mineralization_time_constant_years
        return 1.0 - (1.0 - b.primary_mineral_fraction_of_final) * tau / (tau + mean_age_years)

    def _sum_tissue(self) -> None:
        self._bone_total_mm3 = self.old_bone + self.tissue_bone.sum(axis=1)
        self._mineral_total_mm3 = self.old_mineral + self.tissue_mineral.sum(axis=1)

    @property
    def bone_mm3(self) -> np.ndarray:
        """Bone per compartment (mm³; the tissue kernel keeps the total at the end of each day)."""
        return self._bone_total_mm3

    @property
    def mineral(self) -> np.ndarray:
        """Mineral per compartment, in mm³ of fully mineralized bone."""
        return self._mineral_total_mm3

    @property
    def surface_mm2(self) -> np.ndarray:
        return self.bone_mm3 * self.bs_per_bv_per_mm

    @property
    def eroded_surface_mm2(self) -> np.ndarray:
        """Footprints of BMUs in resorption or reversal (ES)."""
        return (self.res_footprint_um2 * (self.res_fraction > 0)).sum(axis=1) / UM2_PER_MM2 \
            + self.rev_footprint_um2.sum(axis=1) / UM2_PER_MM2

    @property
    def osteoid_surface_mm2(self) -> np.ndarray:
        """Footprints of the BMUs (and modeling units) still forming (OS)."""
        return (self.form_footprint_um2 * self.form_share).sum(axis=1) / UM2_PER_MM2

    def hold_bisphosphonates(self, drugs: tuple[str, ...], ec50_uM: np.ndarray, action: dict[str, float]) -> None:
        """The bone-seeking drugs of the regimen (`engine.processes.bone_drug` in the agents): each day's
        skeletal uptake binds the compartment's share of the skeleton's surface (`SKELETAL_SURFACE_MM2`, as the
        agents), `active_surface_uptake_fold` more densely on eroded and osteoid surface, which formation then
        buries; resorption releases what is on the surface it sweeps and, from buried bone, in proportion to
        the volume; the released concentration over the resorbed volume is the osteoclasts' exposure (E =
        x/(1+x)): resorption × (1 − E) and an extra apoptosis hazard `max_apoptosis_per_day` × E; what is
        released binds again at the skeletal uptake fraction (recycling)."""
        k = len(self.parts)
        self.bp_drugs = tuple(drugs)
        self.bp_ec50_uM = np.asarray(ec50_uM, dtype=np.float64)
        self.bp_surface_fmol = np.zeros((k, len(drugs)))
        self.bp_buried_fmol = np.zeros((k, len(drugs)))
        self.bp_released_fmol = np.zeros((k, len(drugs)))
        self.bp_action = dict(action)

    def bound_bisphosphonate_fmol(self) -> np.ndarray:
        """Bisphosphonate held in each compartment's bone (fmol, per drug)."""
        return self.bp_surface_fmol + self.bp_buried_fmol

    def _adsorb(self, uptake_umol: np.ndarray, recycle_fraction: np.ndarray, quiescent_mm2: np.ndarray) -> None:
        from engine.pharmacology.bisphosphonates import SKELETAL_SURFACE_MM2, UMOL_TO_FMOL
        share = self.surface_mm2 / SKELETAL_SURFACE_MM2
        amount = uptake_umol[None, :] * UMOL_TO_FMOL * share[:, None] + self.bp_released_fmol * recycle_fraction[None, :]
        self.bp_released_fmol[:] = 0.0
        active = np.clip(self.surface_mm2 - quiescent_mm2, 0.0, None) * self.bp_action["active_surface_uptake_fold"]
        on_quiescent = np.where(quiescent_mm2 + active > 0, quiescent_mm2 / np.maximum(quiescent_mm2 + active, 1e-300), 0.0)
        self.bp_surface_fmol += amount * on_quiescent[:, None]
        self.bp_buried_fmol += amount * (1.0 - on_quiescent)[:, None]

    def _release(self, swept_mm2: np.ndarray, resorbed_um3: np.ndarray, quiescent_mm2: np.ndarray) -> None:
        # the surface drug sits in a layer `DRUG_LAYER_UM` deep: a cell that resorbs less than that layer
        # under its swept area releases only what it removed (the agents' drug leaves with the matrix)
        released_area_mm2 = np.minimum(swept_mm2, resorbed_um3 / DRUG_LAYER_UM / UM2_PER_MM2)
        surface_share = np.clip(np.where(quiescent_mm2 > 0, released_area_mm2 / np.maximum(quiescent_mm2, 1e-300), 0.0),
                                0.0, 1.0)
        volume_share = np.clip(resorbed_um3 / UM3_PER_MM3 / self.bone_mm3, 0.0, 1.0)
        released = self.bp_surface_fmol * surface_share[:, None] + self.bp_buried_fmol * volume_share[:, None]
        self.bp_surface_fmol -= self.bp_surface_fmol * surface_share[:, None]
        self.bp_buried_fmol -= self.bp_buried_fmol * volume_share[:, None]
        self.bp_released_fmol += released
        with np.errstate(divide="ignore", invalid="ignore"):
            conc_uM = np.where(resorbed_um3[:, None] > 0, released / resorbed_um3[:, None] * 1e6, 0.0)
        today = (conc_uM / self.bp_ec50_uM[None, :]).sum(axis=1)
        follow = 1.0 - math.exp(-1.0 / self.bp_action["exposure_memory_days"])
        self.bp_exposure += (today - self.bp_exposure) * follow

    # --- the day ------------------------------------------------------------------------------------
    def marrow_totals_nM(self) -> tuple[np.ndarray, np.ndarray]:
        """Marrow-mean total RANKL and OPG (nM) before systemic factors: osteocytes per marrow volume ×
        secretion / decay (the steady state of the agents' field, integrated over the marrow), with the
        compartment's BV/TV following its bone (marrow fills what is lost)."""
        b = self.biology
        bv_tv = np.minimum(np.maximum(self.trabecular_bv_tv * self.bone_mm3 / self.initial_bone_mm3, 1e-6), 1.0 - 1e-6)
        marrow_mm3 = self.bone_mm3 * (1.0 - bv_tv) / bv_tv
        per_litre = self.osteocytes / (marrow_mm3 * 1e-6)
        rankl = per_litre * b.osteocyte_rankl_secretion_molecules_per_day / b.rankl_decay_per_day / AVOGADRO_PER_MOL * 1e9
        opg = per_litre * b.osteocyte_opg_secretion_molecules_per_day / b.opg_decay_per_day / AVOGADRO_PER_MOL * 1e9
        return rankl, opg

    def run_step(self, *, rankl_factor: float, opg_factor: float, binder_nM: float, binder_kd_nM: float,
                 supply_factor: float, osteoclast_lifespan_factor: float, working_life_days: float,
                 coupling_fold: float, osteocyte_lifespan_factor: float = 1.0,
                 lining_activation_per_day: float = 0.0, bisphosphonate_uptake_umol: np.ndarray | None = None,
                 bisphosphonate_recycle_fraction: np.ndarray | None = None) -> None:
        """Advance one day (arguments: the day's systemic factors, as the agents' processes receive them)."""
        b = self.biology
        k = len(self.parts)
        self.day_index += 1
        slot = self.day_index % RESORPTION_SLOTS
        # 1-2. signalling and precursors
        l_total, a_total = self.marrow_totals_nM()
        l_total = l_total * rankl_factor
        a_total = a_total * opg_factor
        for i in range(k):
            j = self._signal_from[i]
            free = free_ligand_competitive(l_total[j], a_total[j], binder_nM * self.drug_access[i],
                                           b.rankl_opg_kd_nM, binder_kd_nM)
            self.rank_occupancy[i] = free / (b.rankl_rank_kd_nM + free)
        self.precursors.advance(self.rank_occupancy, supply_factor)
        self.committed = self.precursors.committed_relative
        # 3. activation on quiescent surface (bisphosphonate uptake first, as the agents' day)
        quiescent = np.maximum(self.surface_mm2 - self.eroded_surface_mm2 - self.osteoid_surface_mm2, 0.0)
        if self.bp_drugs:
            self._adsorb(bisphosphonate_uptake_umol, bisphosphonate_recycle_fraction, quiescent)
        effect = self.bp_exposure / (1.0 + self.bp_exposure)
        new_bmus = b.activation_per_mm2_per_year / DAYS_PER_YEAR * quiescent * self.committed
        self.activations = new_bmus
        # 4. osteoclasts of every cohort: decide, then resorb (the new cohort starts today)
        self._retire_resorption_slot(slot)
        self.res_bmus[:, slot] = new_bmus
        self.res_survival[:, slot] = 1.0
        self.res_nuclei[:, slot] = round(b.osteoclast_founding_nuclei)
        self.res_fraction[:, slot] = 1.0
        self.res_volume_um3[:, slot] = 0.0
        self.res_footprint_um2[:, slot] = 0.0
        n_oc = max(1, round(b.osteoclasts_per_new_bmu))
        fusion = b.osteoclast_fusion_per_day * self.fusion_site_ratio * self.committed
        survival_signal = self.rank_occupancy / b.reference_rank_occupancy
        hazard = 1.0 / (b.osteoclast_lifespan_days * osteoclast_lifespan_factor) \
            + b.osteoclast_rankl_withdrawal_apoptosis_per_day * np.maximum(
                1.0 - survival_signal / b.osteoclast_survival_occupancy_fraction, 0.0) \
            + self.contact_loss_per_day + self.bp_action.get("max_apoptosis_per_day", 0.0) * effect
        per_nucleus = b.osteoclast_resorption_um3_per_day_per_nucleus * self.resorption_efficiency * (1.0 - effect)
        swept, leaving_bmus, leaving_volume, leaving_footprint = (np.empty(k) for _ in range(4))
        resorb_cohorts(self.res_bmus, self.res_survival, self.res_nuclei, self.res_fraction, self.res_volume_um3,
                       self.res_footprint_um2, fusion, math.exp(-1.0 / b.osteoclast_nucleus_lifespan_days), hazard,
                       n_oc, per_nucleus, 2.0 * b.osteoclast_radius_um * b.bmu_advance_um_per_day,
                       self.resorbed_um3, swept, leaving_bmus, leaving_volume, leaving_footprint)
        if self.bp_drugs:
            self._release(swept / UM2_PER_MM2, self.resorbed_um3, quiescent)
        # BMUs whose last osteoclast died today enter reversal with their share of cavity and footprint
        self._enter_reversal(leaving_bmus, leaving_volume, leaving_footprint)
        # osteocytes: their lifespan, and those in resorbed bone (before the tissue goes)
        self.osteocytes -= self.osteocytes * (1.0 - math.exp(-1.0 / (b.osteocyte_lifespan_years * osteocyte_lifespan_factor
                                                                     * DAYS_PER_YEAR)))
        removed_share = np.minimum(np.maximum(self.resorbed_um3 / UM3_PER_MM3 / self.bone_mm3, 0.0), 1.0)
        self.osteocytes -= self.osteocytes * removed_share
        # 5. formation: reversal over today -> osteoblasts; working osteoblasts lay matrix
        self._start_formation(working_life_days, coupling_fold)
        if lining_activation_per_day > 0:
            self._reactivate_lining(quiescent, lining_activation_per_day, working_life_days)
        self.formed_um3 = self._form()
        self.history.append((self.activations.copy(), self.resorbed_um3.copy(), self.formed_um3.copy()))
        # 7. tissue: resorption takes every age in proportion (with its osteoid and mineral), today's matrix
        # is a new cohort, every cohort mineralizes
        self._tissue_day(1.0 - removed_share, self.formed_um3 / UM3_PER_MM3)

    def _retire_resorption_slot(self, slot: int) -> None:
        """The cohort activated RESORPTION_SLOTS days ago leaves resorption, whatever is left of it."""
        self._enter_reversal(self.res_bmus[:, slot] * self.res_fraction[:, slot], self.res_volume_um3[:, slot],
                             self.res_footprint_um2[:, slot])
        self.res_bmus[:, slot] = 0.0

    def _enter_reversal(self, bmus: np.ndarray, volume: np.ndarray, footprint: np.ndarray) -> None:
        spread_over_delays(self.rev_bmus, self.rev_volume_um3, self.rev_footprint_um2, bmus, volume, footprint,
                           self._reversal_pmf, self.day_index % REVERSAL_SLOTS)

    def _start_formation(self, working_life_days: float, coupling_fold: float) -> None:
        """The reversal slot due today starts formation (the agents recruit on the day the delay ends)."""
        due = self.day_index % REVERSAL_SLOTS
        bmus = self.rev_bmus[:, due].copy()
        volume = self.rev_volume_um3[:, due].copy()
        footprint = self.rev_footprint_um2[:, due].copy()
        self.rev_bmus[:, due] = 0.0
        self.rev_volume_um3[:, due] = 0.0
        self.rev_footprint_um2[:, due] = 0.0
        coupling = self.biology.osteoblasts_per_1e6_um3_resorbed * coupling_fold
        self._new_formation_cohort(bmus, coupling * volume / 1e6, volume, footprint, working_life_days, True)

    def _new_formation_cohort(self, bmus, osteoblasts, capacity, footprint, working_life_days, remodeling) -> None:
        """Remodeling cohorts use slots [0, FORMATION_SLOTS), modeling units the slots above, one per day."""
        slot = self.day_index % FORMATION_SLOTS + (0 if remodeling else FORMATION_SLOTS)
        if remodeling:  # a remodeling BMU leaves its record when it ends (the modeling units do not)
            self._finish_formation(self.form_age_days[:, slot] < np.inf, slot)
        self.form_bmus[:, slot] = bmus
        self.form_osteoblasts[:, slot] = osteoblasts
        self.form_capacity_um3[:, slot] = capacity
        self.form_footprint_um2[:, slot] = footprint
        self.form_mean_life_days[:, slot] = working_life_days
        self.form_age_days[:, slot] = 0.0
        self.form_working[:, slot] = 1.0
        self.form_share[:, slot] = 1.0

    def _reactivate_lining(self, quiescent_mm2: np.ndarray, rate_per_day: float, working_life_days: float) -> None:
        """Teriparatide: lining cells (one per `lining_cell_area_um2` of quiescent surface) start modeling units
        of one osteoblast each; their matrix is limited by the osteoblast's working life, not by a cavity."""
        lining = quiescent_mm2 * UM2_PER_MM2 / self.biology.lining_cell_area_um2
        units = lining * (1.0 - math.exp(-rate_per_day))
        self._new_formation_cohort(units, units, np.full(len(units), np.inf), units * self.biology.lining_cell_area_um2,
                                   working_life_days, False)

    def _form(self) -> np.ndarray:
        """Matrix laid today by every formation cohort (µm³ per compartment); finished cohorts leave, and a
        share of the osteoblasts whose working life ended becomes osteocytes in the new bone."""
        b = self.biology
        k = len(self.parts)
        laid, finished = np.empty(k), np.empty(k)
        form_cohorts(self.form_bmus, self.form_osteoblasts, self.form_capacity_um3, self.form_footprint_um2,
                     self.form_mean_life_days, self.form_age_days, self.form_share, self.form_working,
                     float(b.osteoblast_lifespan_shape), b.osteoblast_matrix_um3_per_day, laid, finished)
        self.osteocytes += b.osteoblast_to_osteocyte_fraction * finished
        return laid

    def _finish_formation(self, mask: np.ndarray, slot: int) -> None:
        if not mask.any():
            return
        self.form_bmus[mask, slot] = 0.0
        self.form_osteoblasts[mask, slot] = 0.0
        self.form_capacity_um3[mask, slot] = 0.0
        self.form_footprint_um2[mask, slot] = 0.0
        self.form_share[mask, slot] = 0.0
        self.form_age_days[mask, slot] = np.inf

    # --- tissue and mineral ------------------------------------------------------------------------
    def _tissue_day(self, keep: np.ndarray, new_matrix_mm3: np.ndarray) -> None:
        """`kernels.cohorts.tissue_day` with the agents' mineralization constants (`kernels.remodeling.mineralize`,
        dt = 1 day); the rule is homogeneous in the voxel's bone, so a cohort of any volume follows it."""
        b = self.biology
        tissue_day(self.tissue_bone, self.tissue_osteoid, self.tissue_mineral, self.old_bone, self.old_osteoid,
                   self.old_mineral, np.ascontiguousarray(keep, dtype=np.float64), self.day_index % TISSUE_SLOTS,
                   np.ascontiguousarray(new_matrix_mm3, dtype=np.float64),
                   1.0 - math.exp(-1.0 / b.mineralization_lag_days),
                   1.0 - math.exp(-1.0 / b.primary_mineralization_time_constant_days),
                   1.0 - math.exp(-1.0 / (b.secondary_mineralization_time_constant_years * DAYS_PER_YEAR)),
                   b.primary_mineral_fraction_of_final, self._bone_total_mm3, self._mineral_total_mm3)

    # --- spin-up and baselines ----------------------------------------------------------------------
    def reseed_tissue_age(self, mean_age_years: np.ndarray) -> None:
        """The old pool takes the mineral of exponential tissue ages with this mean (per compartment): the
        agents' end-of-spin-up reseeding at the patient's own turnover."""
        b = self.biology
        tau = b.secondary_mineralization_time_constant_years
        degree = 1.0 - (1.0 - b.primary_mineral_fraction_of_final) * tau / (tau + np.asarray(mean_age_years))
        self.old_mineral = (self.old_bone - self.old_osteoid) * degree
        self._sum_tissue()

    def mean_over(self, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean daily (activations, resorbed µm³, formed µm³) per compartment over the last `days` days."""
        recent = list(self.history)[-days:]
        if not recent:
            z = np.zeros(len(self.parts))
            return z, z, z
        a, r, f = (np.array(x) for x in zip(*recent))
        return a.mean(axis=0), r.mean(axis=0), f.mean(axis=0)

    def turnover_per_year(self, days: int = 182) -> np.ndarray:
        """Bone formed per year as a fraction of the bone volume, over the last `days` days."""
        formed = self.mean_over(days)[2]
        return formed * DAYS_PER_YEAR / (self.bone_mm3 * UM3_PER_MM3)

    def set_baseline(self) -> None:
        self.baseline_mineral = self.mineral.copy()
        self.baseline_resorbed_um3 = self.resorbed_um3.copy()
        self.baseline_formed_um3 = self.formed_um3.copy()

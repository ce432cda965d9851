"""The whole-skeleton layer: the agents' cell rules in their expected-value limit, per skeletal compartment.

A 1 mm³ agent volume is a biopsy: ~20 BMUs a year, so its fluxes are samples. Serum markers and DXA
average over the skeleton. This layer follows the expected numbers of the same cells under the same rules
and the same parameter table (`BiologyParameters`), compartment by compartment (`compartments.py`), so one
run gives smooth, deterministic patient curves. All arrays have the compartments as their first axis.

Each day, in the agents' order (`engine.model.BoneModel.step`):
1. Signalling. Marrow-mean total RANKL and OPG of the patient's trabecular bone, from osteocyte secretion
   over the marrow volume (`engine.signalling`'s steady state integrated over the volume: k·∫c = ∫s), times
   the day's systemic factors and, for OPG, the young osteocytes' factor of the compartment whose
   osteocytes make it (`agents.osteocyte_opg`, 1 unless `rebound_mechanism` is 'osteocyte_opg';
   advanced after the day's formation); the drug field is the regimen's free RANKL binder × the compartment's
   access (0 in the parts the binder does not reach: `split_by_drug_reach` runs each compartment as two
   parts, each with its own precursors, sites and cohorts; an agent volume is one or the other,
   `geometry.drug_reach`); binding is the same closed form (`kernels.binding.free_ligand_competitive`), RANK
   occupancy θ = L/(L + K_RANK).
2. Precursors: one `PrecursorPool` per compartment at its θ (the agents' class itself); with
   `rebound_mechanism: osteomorph_recycling`, re-fusing osteomorphs join its output for fusion
   (`agents.osteomorphs`, fed by the cohorts' expected osteoclast nuclei).
3. Activation: new BMUs at activation_per_mm2_per_year/365.25 × quiescent surface × committed precursors
   × the primed activation sites' factor (`agents.activation_sites`, one per compartment) × (1 − the share
   a bisphosphonate on the surface keeps from starting, `hold_bisphosphonates`) (the agents' Poisson rate
   and founding draw, taken as their mean). Quiescent surface = BS − footprints of active BMUs.
4. Osteoclasts (per cohort of BMUs activated the same day): `osteoclasts_per_new_bmu` cells founded with
   `osteoclast_founding_nuclei` nuclei; expected nuclei per live cell gain fusion (rate × committed
   precursors) and lose nucleus deaths; a cell survives the day with exp(−hazard), hazard = 1/lifespan
   (× physiology) + the RANKL-withdrawal hazard + contact loss; each
   live cell resorbs nuclei × rate and sweeps 2 × radius × BMU advance of surface a day (its footprint).
   A BMU is in resorption while one of its cells lives: 1 − (1 − S)^k of the cohort.
5. BMU phases: BMUs that lost their last osteoclast enter reversal for the agents' delay distribution
   (max(1, round(gamma(shape, mean/shape)))); then osteoblasts are recruited at coupling × resorbed volume
   (× teriparatide's fold), each working for max(1, round(gamma(k, mean life/k))) days (mean life scaled by
   physiology and teriparatide on the day of recruitment) at `osteoblast_matrix_um3_per_day`, filling at
   most the cohort's cavities (osteoblasts fill only their own cavity). A BMU is in formation while one
   of its osteoblasts works.
6. Modeling-based formation: lining cells (one per `lining_cell_area_um2` of quiescent surface) start
   modeling units at 1 − exp(−rate) a day, rate = the untreated base rate (× the compartment's
   `modeling_formation_fold`: cortical envelopes model more than cancellous bone) + teriparatide's
   (`processes.systemic.lining_activation_per_day`); each osteoblast forms for its working life.
7. Mineralization: the matrix formed each day is a tissue cohort that mineralizes by the agents' voxel rule
   (`kernels.remodeling.mineralize`: the rule is homogeneous in the voxel's bone, so a cohort of any volume
   follows it); cohorts older than two years join the old-bone pool (primary mineralization is complete,
   so only the linear secondary phase acts and pooling is exact). Resorption takes tissue of every age in
   proportion to its volume, with its mineral.
The arithmetic of the day runs in compiled kernels (`engine.kernels.cohorts`: `marrow_signal`, `advance_pools`,
`surfaces_mm2`, `cohort_day`), each with a numpy twin or the agents' own class as its reference in
tests/kernels/test_cohorts.py; a patient-day costs ~90 µs (3 years and the spin-up in ~0.13 s).
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
from dataclasses import replace

import numpy as np
from scipy.special import gammaincc

from engine.agents.activation_sites import ActivationSites
from engine.agents.osteocyte_opg import YoungOsteocyteOPG
from engine.agents.osteomorphs import Osteomorphs
from engine.agents.osteocyte import seeded_osteocytes_per_mm3_bone
from engine.agents.precursor_pool import PrecursorPool
from engine.kernels.cohorts import advance_pools, cohort_day, marrow_signal, surfaces_mm2
from engine.processes.tissue_age import ages_years, steady_degree
from engine.skeleton.compartments import AGENT_GEOMETRY, CORTICAL_SITE_RATIO_RELATIVE, Compartment, compartments
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


OUT_OF_REACH_SUFFIX = "_out_of_reach"


def split_by_drug_reach(parts: tuple[Compartment, ...], out_of_reach_fraction: float
                        ) -> tuple[tuple[Compartment, ...], np.ndarray]:
    """Each compartment split by the RANKL binder's reach: a share 1 − s where it acts as the compartment says
    and a share s it does not reach (drug access 0; the binder's `out_of_reach_fraction`, e.g. denosumab's):
    (the parts, the index of each part's compartment). s = 0 keeps the compartments as they are."""
    s = float(out_of_reach_fraction)
    if s <= 0.0:
        return tuple(parts), np.arange(len(parts))
    reached = tuple(replace(p, bmc_g=p.bmc_g * (1.0 - s)) for p in parts)
    unreached = tuple(replace(p, bmc_g=p.bmc_g * s, drug_access=0.0, name=p.name + OUT_OF_REACH_SUFFIX)
                      for p in parts)
    return reached + unreached, np.concatenate([np.arange(len(parts)), np.arange(len(parts))])


class SkeletonLayer:
    """Expected-value state of every compartment of one patient's skeleton.

    Args:
        biology: the scenario's BiologyParameters (the agents' table).
        trabecular_bv_tv: BV/TV of the patient's cancellous bone (the agent volume's structure): sets the
            marrow RANKL/OPG totals through osteocytes per marrow volume, as in the agents.
        trabecular_bs_bv_per_mm: true BS/BV of that bone (`compartments.trabecular_bs_bv_per_mm`).
        parts: compartments (default: `compartments(trabecular_bs_bv_per_mm)`).
        out_of_reach_fraction: share of every compartment the regimen's RANKL binder does not reach (its table's
            `out_of_reach_fraction`; 0 without one): those parts are followed apart, with drug access 0
            (`split_by_drug_reach`); `by_compartment` sums them back.
    """

    def __init__(self, biology, trabecular_bv_tv: float, trabecular_bs_bv_per_mm: float | None = None,
                 parts: tuple[Compartment, ...] | None = None, out_of_reach_fraction: float = 0.0):
        self.biology = biology
        base = parts if parts is not None else compartments(trabecular_bs_bv_per_mm)
        self.base_names = tuple(p.name for p in base)
        self.parts, self.base_index = split_by_drug_reach(base, out_of_reach_fraction)
        self.names = tuple(p.name for p in self.parts)
        k = len(self.parts)
        b = biology
        self.trabecular_bv_tv = float(trabecular_bv_tv)
        bone_mm3 = np.array([p.bmc_g for p in self.parts]) / MINERAL_G_PER_MM3_FULL
        self.bs_per_bv_per_mm = np.array([p.bs_bv_per_mm for p in self.parts])
        self.drug_access = np.array([p.drug_access for p in self.parts])
        self.modeling_fold = np.array([p.modeling_formation_fold for p in self.parts])
        trabecular = np.array([p.kind == "trabecular" for p in self.parts])
        # the marrow whose RANKL a compartment sees: its own for cancellous bone, the first cancellous
        # compartment's for cortical canals (compartments.py), within the same reach of a RANKL binder
        n_base = len(self.base_names)
        base_trabecular = trabecular[:n_base]  # the parts repeat the compartments in order (split_by_drug_reach)
        first = int(np.argmax(base_trabecular)) if base_trabecular.any() else 0
        base_from = np.where(base_trabecular, np.arange(n_base), first)
        self._signal_from = np.arange(k) // n_base * n_base + np.tile(base_from, k // n_base)
        self.initial_bone_mm3 = bone_mm3.copy()
        self.osteocytes = bone_mm3 * seeded_osteocytes_per_mm3_bone(b)  # living ones, as the agents place them
        geometry = {p.name: p.value for p in AGENT_GEOMETRY}
        self.contact_loss_per_day = np.where(trabecular, geometry["osteoclast_contact_loss_per_day"], 0.0)
        self.resorption_efficiency = geometry["osteoclast_resorption_efficiency"]
        site_ratio = geometry["osteoclast_site_occupancy_ratio"]
        self.fusion_site_ratio = np.where(trabecular, site_ratio, site_ratio * CORTICAL_SITE_RATIO_RELATIVE)
        self.precursors = PrecursorPool(b, 1.0, np.ones(k))  # one pool per compartment
        self.sites = ActivationSites(b, np.ones(k))          # primed activation sites, per compartment
        self.young_osteocytes = YoungOsteocyteOPG(b, np.ones(k))  # OPG-making osteocytes, per compartment
        self.osteomorphs = Osteomorphs(b, np.ones(k))              # recycling osteoclasts, per compartment
        # marrow RANKL and OPG (nM) per osteocyte per litre of marrow: secretion / decay (`kernels.cohorts.marrow_signal`)
        # the agents' mineralization constants for dt = 1 day (`kernels.remodeling.mineralize`): lag, primary, secondary
        self._mineralization_rates = (1.0 - math.exp(-1.0 / b.mineralization_lag_days),
                                      1.0 - math.exp(-1.0 / b.primary_mineralization_time_constant_days),
                                      1.0 - math.exp(-1.0 / (b.secondary_mineralization_time_constant_years * DAYS_PER_YEAR)),
                                      b.primary_mineral_fraction_of_final)
        self._per_cell_nM = (b.osteocyte_rankl_secretion_molecules_per_day / b.rankl_decay_per_day / AVOGADRO_PER_MOL * 1e9,
                             b.osteocyte_opg_secretion_molecules_per_day / b.opg_decay_per_day / AVOGADRO_PER_MOL * 1e9)
        self.rank_occupancy = np.zeros(k)
        self.committed = np.ones(k)
        self.fusing = self.committed  # cells that fuse into osteoclasts: the committed ones, plus osteomorphs
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
        f = 2 * FORMATION_SLOTS  # remodeling cohorts, then modeling units (modeling-based formation)
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
        self.bp_exposure = np.zeros(k)  # osteoclasts' Σ C/EC50 of buried drug, followed with the action's memory
        self.bp_bone_mm3 = np.zeros(k)  # bone formed while a drug was held (where the buried drug is)
        self.bp_founding_effect = np.zeros(k)  # share of new BMUs the surface drug keeps from starting
        self.bp_action: dict[str, float] = {}
        self.baseline_mineral = self.mineral.copy()
        self.baseline_resorbed_um3 = np.full(k, np.nan)
        self.baseline_formed_um3 = np.full(k, np.nan)

    # --- state views --------------------------------------------------------------------------------
    def _mean_degree(self, mean_age_years, older_than_years: float = 0.0):
        """Mean mineral degree of bone with tissue ages `older_than_years` + exponential(mean) (the agents'
        seeding rule, averaged: E[exp(−a/τ)] = exp(−older/τ)·τ/(τ + mean))."""
        b = self.biology
        tau = b.secondary_mineralization_time_constant_years
        return 1.0 - (1.0 - b.primary_mineral_fraction_of_final) * math.exp(-older_than_years / tau) * tau / (
            tau + np.asarray(mean_age_years))

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

    def by_compartment(self, values: np.ndarray) -> np.ndarray:
        """A per-part quantity summed over the parts of each compartment (`split_by_drug_reach`), in the order
        of `base_names`."""
        return np.bincount(self.base_index, weights=np.asarray(values, np.float64), minlength=len(self.base_names))

    def surfaces_mm2(self) -> tuple[np.ndarray, np.ndarray]:
        """(ES, OS) per compartment: footprints of BMUs resorbing or in reversal, and of BMUs (and modeling
        units) still forming (`kernels.cohorts.surfaces_mm2`)."""
        k = len(self.parts)
        eroded, osteoid = np.empty(k), np.empty(k)
        surfaces_mm2(self.res_footprint_um2, self.res_fraction, self.rev_footprint_um2, self.form_footprint_um2,
                     self.form_share, eroded, osteoid)
        return eroded, osteoid

    @property
    def eroded_surface_mm2(self) -> np.ndarray:
        """Footprints of BMUs in resorption or reversal (ES)."""
        return self.surfaces_mm2()[0]

    @property
    def osteoid_surface_mm2(self) -> np.ndarray:
        """Footprints of the BMUs (and modeling units) still forming (OS)."""
        return self.surfaces_mm2()[1]

    def hold_bisphosphonates(self, drugs: tuple[str, ...], ec50_uM: np.ndarray, action: dict[str, float]) -> None:
        """The bone-seeking drugs of the regimen (`engine.processes.bone_drug` in the agents): each day's
        skeletal uptake binds the compartment's share of the skeleton's surface (`SKELETAL_SURFACE_MM2`, as the
        agents), `active_surface_uptake_fold` more densely on eroded and osteoid surface, which formation then
        buries; resorption releases what is on the surface it sweeps and, from buried bone, in proportion to
        the volume; what is released binds again at the skeletal uptake fraction (recycling). The drug acts
        as in `engine.pharmacology.bisphosphonates`: the quiescent surface's drug over its outer
        `DRUG_LAYER_UM` keeps `max_founding_effect` × E of new BMUs from starting (E = x/(1+x)); the buried
        drug, spread over the bone formed while it was held, lowers resorption per nucleus by that bone's
        share × E (no apoptosis hazard here: `run_step` says why)."""
        k = len(self.parts)
        self.bp_drugs = tuple(drugs)
        self.bp_ec50_uM = np.asarray(ec50_uM, dtype=np.float64)
        self.bp_surface_fmol = np.zeros((k, len(drugs)))
        self.bp_buried_fmol = np.zeros((k, len(drugs)))
        self.bp_bone_mm3 = np.zeros(k)  # bone formed while a drug was held (where the buried drug is)
        self.bp_founding_effect = np.zeros(k)  # share of new BMUs the surface drug keeps from starting
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

    def _release(self, swept_mm2: np.ndarray, resorbed_um3: np.ndarray, quiescent_mm2: np.ndarray,
                 bone_mm3: np.ndarray) -> None:
        # the surface drug sits in a layer `DRUG_LAYER_UM` deep: a cell that resorbs less than that layer
        # under its swept area releases only what it removed (the agents' drug leaves with the matrix)
        released_area_mm2 = np.minimum(swept_mm2, resorbed_um3 / DRUG_LAYER_UM / UM2_PER_MM2)
        surface_share = np.clip(np.where(quiescent_mm2 > 0, released_area_mm2 / np.maximum(quiescent_mm2, 1e-300), 0.0),
                                0.0, 1.0)
        volume_share = np.clip(resorbed_um3 / UM3_PER_MM3 / bone_mm3, 0.0, 1.0)
        released = self.bp_surface_fmol * surface_share[:, None] + self.bp_buried_fmol * volume_share[:, None]
        self.bp_surface_fmol -= self.bp_surface_fmol * surface_share[:, None]
        self.bp_buried_fmol -= self.bp_buried_fmol * volume_share[:, None]
        self.bp_released_fmol += released
        # the buried drug lies in the bone formed while it was held: osteoclasts meet it at that bone's own
        # concentration, in its share of what they resorb (`run_step`); the surface drug acted at founding
        held = self.bp_bone_mm3 > 1e-12
        conc_uM = np.zeros_like(self.bp_buried_fmol)
        conc_uM[held] = self.bp_buried_fmol[held] / self.bp_bone_mm3[held, None] / UM3_PER_MM3 * 1e6
        self.bp_bone_mm3 -= self.bp_bone_mm3 * volume_share
        today = (conc_uM / self.bp_ec50_uM[None, :]).sum(axis=1)
        follow = 1.0 - math.exp(-1.0 / self.bp_action["exposure_memory_days"])
        self.bp_exposure += (today - self.bp_exposure) * follow

    # --- the day ------------------------------------------------------------------------------------
    def run_step(self, *, rankl_factor: float, opg_factor: float, binder_nM: float, binder_kd_nM: float,
                 supply_factor: float, osteoclast_lifespan_factor: float, working_life_days: float,
                 coupling_fold: float, osteocyte_lifespan_factor: float = 1.0,
                 lining_activation_per_day: float = 0.0, bisphosphonate_uptake_umol: np.ndarray | None = None,
                 bisphosphonate_recycle_fraction: np.ndarray | None = None, holding: bool = False,
                 untreated_lining_activation_per_day: float = 0.0) -> None:
        """Advance one day (arguments: the day's systemic factors, as the agents' processes receive them;
        `holding`: the patient is held untreated, as in the spin-up, for the activation sites).
        `lining_activation_per_day` is the day's whole rate (`systemic.lining_activation_per_day`), of which
        `untreated_lining_activation_per_day` is the untreated base: that part is scaled by each compartment's
        `modeling_formation_fold` (cortical envelopes), a drug's part is not."""
        b = self.biology
        k = len(self.parts)
        self.day_index += 1
        # 1-2. signalling and precursors
        rankl_per_cell, opg_per_cell = self._per_cell_nM
        marrow_signal(self.bone_mm3, self.initial_bone_mm3, self.trabecular_bv_tv, self.osteocytes, rankl_per_cell,
                      opg_per_cell, rankl_factor, opg_factor * self.young_osteocytes.opg_factor, self._signal_from,
                      binder_nM, self.drug_access,
                      b.rankl_opg_kd_nM, binder_kd_nM, b.rankl_rank_kd_nM, self.rank_occupancy)
        pool = self.precursors
        advance_pools(pool.relative_size, pool.committed_stages, pool._day_propagator, pool._rate, self.rank_occupancy,
                      b.reference_rank_occupancy, b.precursor_lifespan_days, b.precursor_differentiation_per_day,
                      supply_factor, self.committed)
        pool.rank_occupancy = self.rank_occupancy
        if self.osteomorphs.active:  # re-fusing osteomorphs join the committed precursors (agents.osteomorphs)
            cells_per_bmu = max(1, round(b.osteoclasts_per_new_bmu))
            nuclei = (self.res_bmus * self.res_survival * self.res_nuclei).sum(axis=1) * cells_per_bmu
            self.osteomorphs.advance(nuclei, self.rank_occupancy, self.committed, holding)
            self.fusing = self.osteomorphs.fusing(self.committed)
        else:
            self.fusing = self.committed
        self.sites.advance(self.committed, holding)
        # 3. activation on quiescent surface (bisphosphonate uptake first, as the agents' day)
        eroded, osteoid = self.surfaces_mm2()
        quiescent = np.maximum(self.surface_mm2 - eroded - osteoid, 0.0)
        if self.bp_drugs:
            self._adsorb(bisphosphonate_uptake_umol, bisphosphonate_recycle_fraction, quiescent)
            bone_before = self.bone_mm3.copy()
        # bisphosphonate: new BMUs start with probability 1 − E of the surface drug their founding osteoclasts
        # take up first; resorbing osteoclasts meet buried drug in the share of bone formed while it was held,
        # which lowers the expected resorption by that share × E. Its apoptosis hazard is left out here: in the
        # agents only the few cells that reach such bone die of it, while a hazard shared by every cohort would
        # shorten every BMU (with 15 % of bone formed on treatment, a 20-day osteoclast would survive 5 %
        # instead of 85 %); the agents' biopsies on alendronate keep their erosion depth (+1 % at month 24)
        effect = self.bp_exposure / (1.0 + self.bp_exposure)
        site_factor = self.sites.activation_factor
        if self.bp_drugs:
            effect = effect * np.clip(self.bp_bone_mm3 / np.maximum(self.bone_mm3, 1e-300), 0.0, 1.0)
            x_s = (self.bp_surface_fmol / np.maximum(quiescent * UM2_PER_MM2 * DRUG_LAYER_UM, 1e-300)[:, None] * 1e6
                   / self.bp_ec50_uM[None, :]).sum(axis=1)
            self.bp_founding_effect = self.bp_action["max_founding_effect"] * x_s / (1.0 + x_s)
            site_factor = site_factor * (1.0 - self.bp_founding_effect)
        # 4-7. activation, osteoclasts, reversal, osteocytes, formation, mineralization: one compiled pass
        swept = np.empty(k)
        cohort_day(self.day_index, quiescent, self.committed, self.fusing, site_factor, self.rank_occupancy,
                   effect, self.contact_loss_per_day,
                   self.fusion_site_ratio, self.osteocytes, self._bone_total_mm3, self._mineral_total_mm3,
                   self.res_bmus, self.res_survival, self.res_nuclei, self.res_fraction, self.res_volume_um3,
                   self.res_footprint_um2, self.rev_bmus, self.rev_volume_um3, self.rev_footprint_um2,
                   self._reversal_pmf, self.form_bmus, self.form_osteoblasts, self.form_capacity_um3,
                   self.form_footprint_um2, self.form_mean_life_days, self.form_age_days, self.form_share,
                   self.form_working, FORMATION_SLOTS, self.tissue_bone, self.tissue_osteoid, self.tissue_mineral,
                   self.old_bone, self.old_osteoid, self.old_mineral,
                   b.activation_per_mm2_per_year / DAYS_PER_YEAR, float(round(b.osteoclast_founding_nuclei)),
                   max(1, round(b.osteoclasts_per_new_bmu)), b.osteoclast_fusion_per_day,
                   math.exp(-1.0 / b.osteoclast_nucleus_lifespan_days),
                   b.osteoclast_lifespan_days * osteoclast_lifespan_factor,
                   b.osteoclast_rankl_withdrawal_apoptosis_per_day, b.reference_rank_occupancy,
                   b.osteoclast_survival_occupancy_fraction, 0.0,  # no mean-field bisphosphonate hazard: see above
                   b.osteoclast_resorption_um3_per_day_per_nucleus * self.resorption_efficiency,
                   2.0 * b.osteoclast_radius_um * b.bmu_advance_um_per_day,
                   math.exp(-1.0 / (b.osteocyte_lifespan_years * osteocyte_lifespan_factor * DAYS_PER_YEAR)),
                   b.osteoblasts_per_1e6_um3_resorbed * coupling_fold / 1e6, working_life_days,
                   # the untreated base rate scaled per compartment (cortical envelopes), plus any drug's
                   lining_activation_per_day + untreated_lining_activation_per_day * (self.modeling_fold - 1.0),
                   b.lining_cell_area_um2, b.osteoblast_footprint_um2,
                   float(b.osteoblast_lifespan_shape),
                   b.osteoblast_matrix_um3_per_day, b.osteoblast_to_osteocyte_fraction, *self._mineralization_rates,
                   self.activations, self.resorbed_um3, swept, self.formed_um3)
        if self.bp_drugs:
            self._release(swept / UM2_PER_MM2, self.resorbed_um3, quiescent, bone_before)
            if self.bp_buried_fmol.sum() > 0 or self.bp_surface_fmol.sum() > 0:
                self.bp_bone_mm3 += self.formed_um3 / UM3_PER_MM3
        self.young_osteocytes.advance(self.formed_um3, holding)
        self.history.append((self.activations.copy(), self.resorbed_um3.copy(), self.formed_um3.copy()))

    # --- spin-up and baselines ----------------------------------------------------------------------
    def reseed_tissue_age(self, mean_age_years: np.ndarray, older_than_years: float = 0.0,
                          missing_mm3: np.ndarray | None = None) -> None:
        """The old pool takes the mineral of tissue ages `older_than_years` + exponential(mean) (per
        compartment): the agents' end-of-spin-up reseeding at the patient's own turnover (the old pool is the
        bone present before the spin-up, so at least that old), except the young tissue the spin-up did not
        form (`missing_mm3`, (days, compartments) by age, oldest first: `processes.tissue_age`), which gets
        the mineral of its own ages."""
        old = self.old_bone - self.old_osteoid
        mineral_young = np.zeros_like(old)
        if missing_mm3 is not None and len(missing_mm3):
            missing_mm3 = np.asarray(missing_mm3, np.float64)
            total = missing_mm3.sum(axis=0)
            scale = np.where(total > old, old / np.maximum(total, 1e-300), 1.0)  # never more than the old pool
            missing_mm3 = missing_mm3 * scale
            degree = steady_degree(self.biology, ages_years(missing_mm3.shape[0]))
            mineral_young = (missing_mm3 * degree[:, None]).sum(axis=0)
            old = old - missing_mm3.sum(axis=0)
        self.old_mineral = old * self._mean_degree(mean_age_years, older_than_years) + mineral_young
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
        """Bone resorbed per year as a fraction of the bone volume, over the last `days` days: the renewal rate
        of tissue of every age (`processes.markers.MarkerFluxes.turnover_per_year` says why not formation)."""
        resorbed = self.mean_over(days)[1]
        return resorbed * DAYS_PER_YEAR / (self.bone_mm3 * UM3_PER_MM3)

    def set_baseline(self) -> None:
        self.baseline_mineral = self.mineral.copy()
        self.baseline_resorbed_um3 = self.resorbed_um3.copy()
        self.baseline_formed_um3 = self.formed_um3.copy()

"""The remodeling cycle: BMUs are activated on the surface, excavated by osteoclasts and refilled by osteoblasts.

One `step()` per day, after the signalling fields are solved (DESIGN.md, data flow):
1. precursor pool and its commitment chain advance at today's marrow RANK occupancy (`agents.precursor_pool`);
2. osteocytes die at their literature rate; each death flags the surface above it for targeted remodeling;
3. activation: new BMUs originate on quiescent surface as a Poisson process with rate
       activation_per_mm2_per_year/365 × quiescent surface (mm²) × committed precursors (relative), where
       the committed precursors are (RANK occupancy / reference) × pool, delayed ~4 weeks
   at targeted sites (a share `targeted_remodeling_fraction` while any are pending) or at random surface
   voxels weighted by local RANK occupancy (stochastic remodeling);
4. osteoclasts decide (fusion, nucleus death, apoptosis; `agents.osteoclast`), then all of them resorb and
   move in one kernel call (`kernels.remodeling.resorb_and_advance`);
5. BMU phases move on: no osteoclasts left -> reversal (gamma delay) -> osteoblasts recruited in proportion
   to the resorbed volume (coupling) -> they lay osteoid (`kernels.remodeling.deposit`) until the last one's
   fate day -> done (its record goes to `completed`);
6. osteoblast fates of the day (apoptosis / osteocyte / lining cell);
7. mineralization of every voxel (`kernels.remodeling.mineralize`);
8. osteocytes and lining cells on resorbed voxels are removed.

Fluxes of the day (resorbed matrix and mineral, formed matrix) are kept for the CTX and P1NP proxies.
Internal times are on the model clock (days since the start of the spin-up), so records of BMUs that
began in the spin-up stay consistent.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque

import numpy as np

from engine.agents.bmu import BMU, DONE, FORMATION, RESORPTION, REVERSAL
from engine.agents.osteoblast import ACTIVE, LINING, Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.agents.osteocyte import Osteocyte
from engine.agents.precursor_pool import PrecursorPool
from engine.kernels.adsorption import adsorb_to_surface
from engine.kernels.remodeling import (deposit, mineralize, nearest_exposed, outward_normal, resorb_and_advance,
                                       surface_phase_counts)
from engine.kernels.surfaces import BONE_LEVEL, count_marrow_neighbours
from engine.pharmacology.bisphosphonates import (BISPHOSPHONATE_ACTION, SKELETAL_SURFACE_MM2, UMOL_TO_FMOL,
                                                 osteoclast_effect)
from engine.pharmacology.parameters import values
from engine.physiology.patient_state import DAYS_PER_YEAR

FULLY_MINERALIZED = 1.0  # mineral_fraction is relative to fully mineralized bone
MAX_PASSES = 16


class Remodeling:
    """Owns the BMUs, the cell calendars and the remodeling state of one BoneModel."""

    def __init__(self, model):
        self.model = model
        self.grid = model.grid
        self.biology = model.biology
        h = self.grid.voxel_size_um
        self.voxel_um3 = h**3
        self.voxel_area_mm2 = (h * 1e-3) ** 2
        marrow_mm3 = float(self.grid.marrow_fraction().sum(dtype=np.float64)) * self.grid.voxel_volume_mm3
        self.precursors = PrecursorPool(self.biology, marrow_mm3)
        self.bmus: dict[int, BMU] = {}
        self.completed: list[dict] = []
        self.activation_clock_days: list[int] = []
        self._next_label = 1
        self.phase_of_label = np.zeros(1024, np.int8)
        self.targeted_sites: list[tuple[int, int, int]] = []
        self.fate_calendar: dict[int, list[Osteoblast]] = defaultdict(list)
        self.occupants: dict[int, list] = defaultdict(list)  # flat voxel -> osteocytes / lining cells in it
        self.formed_in_model = np.zeros(self.grid.shape, np.bool_)  # voxels that received new matrix
        self.flux_history: deque = deque(maxlen=366)  # (resorbed mineral µm³, formed matrix µm³) per day
        self.marker_baseline = (float("nan"), float("nan"))
        self.surface_counts = np.zeros(5, np.int64)
        self._marrow_neighbours = np.zeros(self.grid.shape, np.int8)
        self.today = {"resorbed_um3": 0.0, "resorbed_mineral_um3": 0.0, "formed_um3": 0.0,
                      "forming_floor_area_um2": 0.0}
        self.modeling_formed_um3 = 0.0  # matrix laid by finished modeling units (teriparatide)
        # bone-bound bisphosphonates: one fmol-per-voxel field per drug of the regimen (engine.pharmacology.
        # bisphosphonates); what resorption released today binds bone again tomorrow (recycling)
        self.bound_drugs = tuple(model.exposure.bisphosphonates)
        self.bound_drug_fmol = np.zeros((len(self.bound_drugs), *self.grid.shape), np.float32)
        self.released_fmol = np.zeros(len(self.bound_drugs))
        self.bisphosphonate_action = values(BISPHOSPHONATE_ACTION)
        self._ec50_uM = np.array([model.exposure.bisphosphonates[d].p["osteoclast_ec50_uM"] for d in self.bound_drugs])
        self._count_surfaces()

    # --- bookkeeping ----------------------------------------------------------------------------
    def _flat(self, voxel) -> int:
        nz, ny, nx = self.grid.shape
        return (int(voxel[0]) * ny + int(voxel[1])) * nx + int(voxel[2])

    def register_occupant(self, agent) -> None:
        self.occupants[self._flat(agent.voxel)].append(agent)

    def _count_surfaces(self) -> None:
        surface_phase_counts(self.grid.bone_fraction, self.grid.bmu_label, self.phase_of_label, self.surface_counts)

    @property
    def surface_voxels(self) -> int:
        return int(self.surface_counts.sum())

    @property
    def eroded_surface_voxels(self) -> int:
        """Surface in or bordering a cavity in resorption or reversal (ES, in voxel faces)."""
        return int(self.surface_counts[RESORPTION] + self.surface_counts[REVERSAL])

    def _set_phase(self, bmu: BMU, phase: int) -> None:
        bmu.phase = phase
        self.phase_of_label[bmu.label] = phase if phase != DONE else 0

    def seed_mineral_by_tissue_age(self, mean_age_years: float | None = None) -> None:
        """Give the bone not formed in the model the mineral of a steady-turnover mix of tissue ages.

        Ages are exponential with mean `mean_age_years` (default: the biology parameter
        `existing_bone_mean_tissue_age_years`); mineral = bone × (1 − (1 − primary share)·exp(−age/τ_secondary)).
        Voxels that received matrix in the model keep their own mineralization history.
        """
        b = self.biology
        g = self.grid
        mean_age = b.existing_bone_mean_tissue_age_years if mean_age_years is None else mean_age_years
        age_years = self.model.rng.exponential(mean_age, size=g.shape)
        degree = 1.0 - (1.0 - b.primary_mineral_fraction_of_final) * np.exp(
            -age_years / b.secondary_mineralization_time_constant_years)
        old = ~self.formed_in_model
        g.mineral_fraction[old] = (g.bone_fraction[old] * degree[old] * FULLY_MINERALIZED).astype(np.float32)

    def turnover_per_year(self, days: int) -> float:
        """Bone formed per year over the last `days` days, as a fraction of the bone volume (renewal rate)."""
        formed_um3_per_day = self.mean_flux(days)[1]
        bone_um3 = float(self.grid.bone_fraction.sum(dtype=np.float64)) * self.voxel_um3
        return formed_um3_per_day * DAYS_PER_YEAR / bone_um3 if bone_um3 else 0.0

    def seed_lining_cells(self) -> None:
        """Cover the quiescent surface with lining cells at `lining_cell_area_um2` each."""
        model = self.model
        count_marrow_neighbours(self.grid.bone_fraction, self._marrow_neighbours)
        surface = np.flatnonzero(self._marrow_neighbours.ravel() > 0)
        area_um2 = surface.size * self.grid.voxel_size_um**2
        n = min(surface.size, int(round(area_um2 / self.biology.lining_cell_area_um2)))
        chosen = np.sort(model.rng.choice(surface, size=n, replace=False))
        for voxel in zip(*np.unravel_index(chosen, self.grid.shape)):
            self.register_occupant(Osteoblast(model, voxel, state=LINING))

    # --- the day --------------------------------------------------------------------------------
    def step(self) -> None:
        model = self.model
        for key in self.today:
            self.today[key] = 0.0
        self._count_surfaces()
        self.mean_rank_occupancy = model.signalling.marrow_mean("rank_occupancy")
        self.precursors.advance(self.mean_rank_occupancy, model.physiology.precursor_supply_factor)
        self._adsorb_bisphosphonates()
        self._osteocyte_deaths()
        self._activate()
        self._activate_lining_cells()
        if Osteoclast in model.agents_by_type:
            model.agents_by_type[Osteoclast].shuffle_do("step")
        self._resorb()
        self._advance_phases()
        self._osteoblast_fates()
        b = self.biology
        self.flux_history.append((self.today["resorbed_mineral_um3"], self.today["formed_um3"]))
        mineralize(self.grid.bone_fraction, self.grid.osteoid_fraction, self.grid.mineral_fraction, 1.0,
                   b.mineralization_lag_days, b.primary_mineral_fraction_of_final,
                   b.primary_mineralization_time_constant_days,
                   b.secondary_mineralization_time_constant_years * DAYS_PER_YEAR, FULLY_MINERALIZED)

    def _osteocyte_deaths(self) -> None:
        model = self.model
        cells = model.osteocytes
        n = len(cells)
        if n == 0:
            return
        lifespan_years = self.biology.osteocyte_lifespan_years * model.physiology.osteocyte_lifespan_factor
        p = 1.0 - math.exp(-1.0 / (lifespan_years * DAYS_PER_YEAR))
        deaths = int(model.rng.binomial(n, p))
        if deaths == 0:
            return
        ids = model.osteocyte_ids()
        dead = set(model.rng.choice(ids, size=deaths, replace=False).tolist())
        for cell in [c for c in cells if c.unique_id in dead]:
            site = model.signalling.nearest_marrow_voxel(cell.voxel)
            z, y, x = nearest_exposed(self.grid.bone_fraction, float(site[0]), float(site[1]), float(site[2]), 3)
            if z >= 0:
                self.targeted_sites.append((int(z), int(y), int(x)))
            self._remove_occupant(cell)

    def _activate(self) -> None:
        model = self.model
        b = self.biology
        quiescent_mm2 = self.surface_counts[0] * self.voxel_area_mm2
        rate = b.activation_per_mm2_per_year / DAYS_PER_YEAR * quiescent_mm2 * self.precursors.committed_relative
        n_new = int(model.rng.poisson(rate))
        for _ in range(n_new):
            targeted = bool(self.targeted_sites) and model.rng.random() < b.targeted_remodeling_fraction
            site = self.targeted_sites.pop(0) if targeted else self._random_site()
            if site is not None:
                self._start_bmu(site, targeted)

    def _random_site(self):
        """A quiescent surface voxel, chosen with probability proportional to its local RANK occupancy."""
        count_marrow_neighbours(self.grid.bone_fraction, self._marrow_neighbours)
        surface = (self._marrow_neighbours > 0) & (self.grid.bmu_label == 0)
        idx = np.flatnonzero(surface.ravel())
        if idx.size == 0:
            return None
        z, y, x = np.unravel_index(idx, self.grid.shape)
        f = self.model.signalling.factor
        weights = self.model.signalling.coarse["rank_occupancy"][z // f, y // f, x // f]
        total = weights.sum()
        p = weights / total if total > 0 else None
        k = int(self.model.rng.choice(idx.size, p=p))
        return int(z[k]), int(y[k]), int(x[k])

    def _new_bmu(self, origin, targeted: bool, modeling: bool = False) -> BMU:
        """A BMU with the next label (the label -> phase table grows as needed), registered as active."""
        if self._next_label >= self.phase_of_label.size:
            self.phase_of_label = np.concatenate([self.phase_of_label, np.zeros_like(self.phase_of_label)])
        bmu = BMU(self._next_label, origin, self.model.clock, targeted, modeling)
        self._next_label += 1
        self.bmus[bmu.label] = bmu
        return bmu

    def _start_bmu(self, site, targeted: bool) -> None:
        model = self.model
        b = self.biology
        bmu = self._new_bmu(site, targeted)
        self._set_phase(bmu, RESORPTION)
        self.activation_clock_days.append(model.clock)
        normal = np.array(outward_normal(self.grid.bone_fraction, *site))
        heading = model.rng.normal(size=3)
        heading -= heading.dot(normal) * normal
        heading /= np.linalg.norm(heading) or 1.0
        across = np.cross(normal, heading)
        n_oc = max(1, int(round(b.osteoclasts_per_new_bmu)))
        spacing = 2.0 * b.osteoclast_radius_um / self.grid.voxel_size_um
        for i in range(n_oc):
            offset = (i - (n_oc - 1) / 2.0) * spacing
            oc = Osteoclast(model, bmu, int(round(b.osteoclast_founding_nuclei)), np.array(site) + offset * across,
                            heading)
            bmu.osteoclasts.append(oc)

    def _resorb(self) -> None:
        model = self.model
        b = self.biology
        clasts = [oc for bmu in self.bmus.values() if bmu.phase == RESORPTION for oc in bmu.osteoclasts]
        if not clasts:
            return
        n = len(clasts)
        h = self.grid.voxel_size_um
        radius = b.osteoclast_radius_um / h
        cap = (2 * int(radius) + 1) ** 3
        positions = np.array([oc.position for oc in clasts])
        headings = np.array([oc.heading for oc in clasts])
        labels = np.array([oc.bmu.label for oc in clasts], np.int32)
        activity = np.array([1.0 - osteoclast_effect(oc.bisphosphonate_exposure) for oc in clasts])
        volumes = np.array([oc.nuclei for oc in clasts], np.float64) * activity * (
            b.osteoclast_resorption_um3_per_day_per_nucleus / self.voxel_um3)
        turn = model.rng.normal(scale=b.osteoclast_turning_per_day, size=(n, 3))
        touched = np.empty((n, cap), np.int64)
        n_touched = np.zeros(n, np.int64)
        removed = np.zeros(n)
        removed_mineral = np.zeros(n)
        footprint = np.zeros(n, np.int64)
        attached = np.zeros(n, np.bool_)
        released = np.zeros((n, len(self.bound_drugs)))
        g = self.grid
        resorb_and_advance(g.bone_fraction, g.mineral_fraction, g.osteoid_fraction, g.bmu_label, positions, headings,
                           labels, volumes, turn, radius, b.bmu_advance_um_per_day / h, int(np.ceil(2 * radius)),
                           MAX_PASSES, touched, n_touched, removed, removed_mineral, footprint, attached,
                           self.bound_drug_fmol, released)
        if self.bound_drugs:
            self._expose_osteoclasts(clasts, released, removed)
        for i, oc in enumerate(clasts):
            bmu = oc.bmu
            oc.position = positions[i]
            oc.heading = headings[i]
            bmu.add_cavity(touched[i, :n_touched[i]])
            bmu.resorbed_um3 += removed[i] * self.voxel_um3
            bmu.resorbed_mineral_um3 += removed_mineral[i] * self.voxel_um3
            bmu.floor_area_um2 += footprint[i] * h * h
            if not attached[i]:
                oc.die()  # lost contact with bone (e.g. a resorbed-through rod)
        self.today["resorbed_um3"] = float(removed.sum()) * self.voxel_um3
        self.today["resorbed_mineral_um3"] = float(removed_mineral.sum()) * self.voxel_um3
        self._evict_from_resorbed(list(dict.fromkeys(oc.bmu for oc in clasts)))

    def _expose_osteoclasts(self, clasts, released: np.ndarray, removed: np.ndarray) -> None:
        """Each osteoclast's bisphosphonate exposure follows the concentration in the bone it resorbed today
        (released fmol over resorbed µm³ = mol/L; ×1e6 → µM), scaled by each drug's EC50 and summed, with a
        memory of `exposure_memory_days` (engine.pharmacology.bisphosphonates)."""
        follow = 1.0 - math.exp(-1.0 / self.bisphosphonate_action["exposure_memory_days"])
        resorbed_um3 = removed * self.voxel_um3
        with np.errstate(divide="ignore", invalid="ignore"):
            conc_uM = np.where(resorbed_um3[:, None] > 0, released / resorbed_um3[:, None] * 1e6, 0.0)
        today = (conc_uM / self._ec50_uM).sum(axis=1)
        for oc, x in zip(clasts, today):
            oc.bisphosphonate_exposure += (x - oc.bisphosphonate_exposure) * follow
        self.released_fmol += released.sum(axis=0)

    def _adsorb_bisphosphonates(self) -> None:
        """Today's skeletal uptake of each bisphosphonate (the volume's share of the skeleton's surface) and
        yesterday's recycled release bind the exposed bone (`kernels.adsorption`)."""
        if not self.bound_drugs:
            return
        exposure = self.model.exposure
        share = self.surface_voxels * self.voxel_area_mm2 / SKELETAL_SURFACE_MM2
        g = self.grid
        for j, drug in enumerate(self.bound_drugs):
            pk = exposure.bisphosphonates[drug]
            amount = pk.take_skeletal_uptake() * UMOL_TO_FMOL * share + pk.recycled(self.released_fmol[j])
            self.released_fmol[j] = 0.0
            if amount > 0:
                adsorb_to_surface(g.bone_fraction, g.bmu_label, g.osteoid_fraction, self.bound_drug_fmol[j], amount,
                                  self.bisphosphonate_action["active_surface_uptake_fold"])

    def bound_drug_uM(self, drug: str) -> float:
        """Mean concentration of a bisphosphonate in the bone of the volume (µmol per litre of bone)."""
        if drug not in self.bound_drugs:
            return 0.0
        bone_um3 = float(self.grid.bone_fraction.sum(dtype=np.float64)) * self.voxel_um3
        total = float(self.bound_drug_fmol[self.bound_drugs.index(drug)].sum(dtype=np.float64))
        return total / bone_um3 * 1e6 if bone_um3 else 0.0

    def _activate_lining_cells(self) -> None:
        """Teriparatide reactivates bone-lining cells into osteoblasts that form bone on quiescent surface
        without prior resorption (modeling-based formation; engine.pharmacology.teriparatide). Each day a
        lining cell is reactivated with probability 1 − exp(−rate); the cells reactivated on one day form one
        modeling unit (a BMU that starts in formation, its 'cavity' the marrow next to their voxels)."""
        model = self.model
        pth = model.exposure.teriparatide
        if pth is None or pth.anabolic_effect <= 0:
            return
        rate = pth.p["lining_activation_per_day_max"] * pth.anabolic_effect
        lining = [a for a in model.agents_by_type.get(Osteoblast, []) if a.state == LINING]
        if not lining:
            return
        n = int(model.rng.binomial(len(lining), 1.0 - math.exp(-rate)))
        if n == 0:
            return
        chosen = [lining[i] for i in np.sort(model.rng.choice(len(lining), size=n, replace=False))]
        for cell in chosen:
            self._start_modeling_unit(cell)

    def _start_modeling_unit(self, cell) -> None:
        """One reactivated lining cell makes matrix on the marrow side of its voxel (within one osteoblast
        footprint), as an osteoblast of a unit in formation."""
        model = self.model
        b = self.biology
        g = self.grid
        z, y, x = cell.voxel
        r = max(1, int(round(math.sqrt(b.lining_cell_area_um2 / math.pi) / g.voxel_size_um)))
        zs, ys, xs = (np.arange(max(c - r, 0), min(c + r + 1, n)) for c, n in zip((z, y, x), g.shape))
        zz, yy, xx = np.meshgrid(zs, ys, xs, indexing="ij")
        block = g.bone_fraction[zz, yy, xx]
        free = (block < 1.0) & (g.bmu_label[zz, yy, xx] == 0)
        if not free.any():
            return
        flat = np.ravel_multi_index((zz[free], yy[free], xx[free]), g.shape)
        self._unregister_occupant(cell)
        unit = self._new_bmu((int(z), int(y), int(x)), targeted=False, modeling=True)
        unit.add_cavity(flat.astype(np.int64))
        g.bmu_label.ravel()[flat] = unit.label
        unit.reversal_started_clock = model.clock
        self._set_phase(unit, FORMATION)
        unit.formation_started_clock = model.clock
        unit.osteoblasts_recruited = 1
        unit.active_osteoblasts = 1
        unit.floor_area_um2 = b.lining_cell_area_um2
        cell.state = ACTIVE
        cell.bmu = unit
        mean_life = (b.osteoblast_working_lifespan_days * model.physiology.osteoblast_lifespan_factor
                     * model.exposure.pth_fold("osteoblast_lifespan_fold_max"))
        k = b.osteoblast_lifespan_shape
        cell.fate_day = model.clock + max(1, int(round(model.rng.gamma(k, mean_life / k))))
        cell.fate = ("osteocyte", "lining", "apoptosis")[int(model.rng.choice(
            3, p=[b.osteoblast_to_osteocyte_fraction, b.osteoblast_to_lining_fraction,
                  1.0 - b.osteoblast_to_osteocyte_fraction - b.osteoblast_to_lining_fraction]))]
        self.fate_calendar[cell.fate_day].append(cell)

    def _evict_from_resorbed(self, bmus) -> None:
        bone = self.grid.bone_fraction.ravel()
        for bmu in bmus:
            cav = bmu.cavity
            for idx in cav[bone[cav] < BONE_LEVEL].tolist():
                for agent in self.occupants.pop(idx, []):
                    agent.remove()  # osteocytes die with their lacuna; lining cells are lifted off

    def _unregister_occupant(self, agent) -> None:
        lst = self.occupants.get(self._flat(agent.voxel))
        if lst and agent in lst:
            lst.remove(agent)

    def _remove_occupant(self, agent) -> None:
        self._unregister_occupant(agent)
        agent.remove()

    def _advance_phases(self) -> None:
        model = self.model
        b = self.biology
        clock = model.clock
        for bmu in list(self.bmus.values()):
            if bmu.phase == RESORPTION and not bmu.osteoclasts:
                bmu.reversal_started_clock = clock
                delay = model.rng.gamma(b.reversal_shape, b.reversal_days / b.reversal_shape)
                bmu.formation_due_clock = clock + max(1, int(round(delay)))
                self._set_phase(bmu, REVERSAL)
            elif bmu.phase == REVERSAL and clock >= bmu.formation_due_clock:
                self._recruit_osteoblasts(bmu)
            if bmu.phase == FORMATION:
                if bmu.active_osteoblasts > 0:
                    volume = bmu.active_osteoblasts * b.osteoblast_matrix_um3_per_day / self.voxel_um3
                    laid = deposit(self.grid.bone_fraction, self.grid.osteoid_fraction, self.formed_in_model,
                                   bmu.cavity, volume, MAX_PASSES)
                    bmu.formed_um3 += laid * self.voxel_um3
                    self.today["formed_um3"] += laid * self.voxel_um3
                    # histomorphometric MAR is measured where osteoblasts are at work (labelled seams)
                    self.today["forming_floor_area_um2"] += (bmu.floor_area_um2 * bmu.active_osteoblasts
                                                             / bmu.osteoblasts_recruited)
                else:
                    self._finish(bmu)

    def _recruit_osteoblasts(self, bmu: BMU) -> None:
        model = self.model
        b = self.biology
        bmu.formation_started_clock = model.clock
        self._set_phase(bmu, FORMATION)
        coupling = b.osteoblasts_per_1e6_um3_resorbed * model.exposure.pth_fold("osteoblast_recruitment_fold_max")
        n = int(model.rng.poisson(coupling * bmu.resorbed_um3 / 1e6))
        bmu.osteoblasts_recruited = n
        bmu.active_osteoblasts = n
        if n == 0:
            return
        cav = bmu.cavity
        voxels = np.unravel_index(cav[model.rng.integers(0, cav.size, size=n)], self.grid.shape) if cav.size else None
        mean_life = (b.osteoblast_working_lifespan_days * model.physiology.osteoblast_lifespan_factor
                     * model.exposure.pth_fold("osteoblast_lifespan_fold_max"))
        k = b.osteoblast_lifespan_shape
        lifetimes = model.rng.gamma(k, mean_life / k, size=n)
        p_ocy = b.osteoblast_to_osteocyte_fraction
        p_lin = b.osteoblast_to_lining_fraction
        fates = model.rng.choice(3, size=n, p=[p_ocy, p_lin, 1.0 - p_ocy - p_lin])
        names = ("osteocyte", "lining", "apoptosis")
        for i in range(n):
            voxel = (voxels[0][i], voxels[1][i], voxels[2][i]) if voxels is not None else bmu.origin
            fate_day = model.clock + max(1, int(round(lifetimes[i])))
            ob = Osteoblast(model, voxel, bmu=bmu, state=ACTIVE, fate=names[fates[i]], fate_day=fate_day)
            self.fate_calendar[fate_day].append(ob)

    def _osteoblast_fates(self) -> None:
        model = self.model
        for ob in self.fate_calendar.pop(model.clock, []):
            bmu = ob.bmu
            bmu.active_osteoblasts -= 1
            if ob.fate == "osteocyte":
                voxel = self._formed_voxel(bmu)
                if voxel is not None:
                    cell = Osteocyte(model, voxel, model.biology.osteocyte_rankl_secretion_molecules_per_day,
                                     model.biology.osteocyte_opg_secretion_molecules_per_day)
                    self.register_occupant(cell)
                    ob.remove()
                    continue
                ob.fate = "lining"
            if ob.fate == "lining":
                ob.state = LINING
                ob.bmu = None
                self.register_occupant(ob)
            else:
                ob.remove()

    def _formed_voxel(self, bmu: BMU):
        """A voxel of new bone in the cavity (where an osteoblast gets buried), or None."""
        cav = bmu.cavity
        formed = cav[self.grid.bone_fraction.ravel()[cav] >= BONE_LEVEL]
        if formed.size == 0:
            return None
        return tuple(int(v) for v in np.unravel_index(formed[self.model.rng.integers(0, formed.size)], self.grid.shape))

    def _finish(self, bmu: BMU) -> None:
        bmu.ended_clock = self.model.clock
        self._set_phase(bmu, DONE)
        cav = bmu.cavity
        labels = self.grid.bmu_label.ravel()
        mine = cav[labels[cav] == bmu.label]
        labels[mine] = 0
        if bmu.modeling:
            self.modeling_formed_um3 += bmu.formed_um3  # not a remodeling cycle: kept out of BMU histomorphometry
        else:
            self.completed.append(bmu.record())
        del self.bmus[bmu.label]

    # --- views for readouts ------------------------------------------------------------------
    def bmus_in(self, phase: int) -> list[BMU]:
        return [bmu for bmu in self.bmus.values() if bmu.phase == phase]

    def mean_flux(self, days: int) -> tuple[float, float]:
        """Mean daily (resorbed mineral, formed matrix) in µm³ over the last `days` days."""
        recent = list(self.flux_history)[-days:]
        if not recent:
            return float("nan"), float("nan")
        arr = np.array(recent)
        return float(arr[:, 0].mean()), float(arr[:, 1].mean())

    def set_marker_baseline(self, days: int) -> None:
        """CTX / P1NP proxies are % changes from the mean daily flux over the last `days` days."""
        self.marker_baseline = self.mean_flux(days)

    def completed_within(self, days: int) -> list[dict]:
        """Records of BMUs that finished in the last `days` days."""
        start = self.model.clock - days
        return [r for r in self.completed if r["ended_clock_day"] > start]

    def activations_within(self, days: int) -> int:
        start = self.model.clock - days
        return sum(1 for c in self.activation_clock_days if c > start)

"""Activation: new BMUs originate on quiescent surface; teriparatide reactivates lining cells.

`Activation` (every day). New BMUs are a Poisson process with rate
    activation_per_mm2_per_year / 365.25 × quiescent surface (mm²) × committed precursors (relative),
where the committed precursors are the output of the precursor pool's commitment chain (~4 weeks behind
RANK occupancy), times the primed activation sites' factor (1 unless `rebound_mechanism` is
'activation_sites': `engine.agents.activation_sites`, whose backlog under RANKL blockade makes the rebound).
Each starts at a site flagged by a dead osteocyte (a share `targeted_remodeling_fraction`, raised by a
backlog of primed sites, while any flagged sites are pending) or at a random quiescent surface voxel
weighted by local RANK occupancy (stochastic remodeling), with `osteoclasts_per_new_bmu` osteoclasts side
by side across a random heading along the surface. A bisphosphonate adsorbed at the chosen site keeps the
BMU from starting with probability E (`processes.bone_drug.founding_effect`: its founding osteoclasts take
the drug up first), so bisphosphonates lower the activation frequency (Chavassieux 1997 J Clin Invest
100:1475). The draw is made only when a bisphosphonate is in the regimen (other runs keep their stream).
Reads: surface census, precursor pool, osteocyte turnover's flagged sites, signalling (RANK occupancy),
the bisphosphonate held at the site (processes.bone_drug), grid.bone_fraction, grid.bmu_label.
Writes: new BMUs in the registry, new osteoclasts (agents).

`LiningCellReactivation` (every day): modeling-based formation (MBF). Each lining position of the quiescent
surface (one per `lining_cell_area_um2`) is reactivated with probability 1 − exp(−rate) a day, taking one
of the lining-cell agents, rate = `systemic.lining_activation_per_day`: the untreated base rate
(`modeling_formation_lining_activation_per_day`, which needs no RANKL and so persists under denosumab) plus
teriparatide's lining_activation_per_day_max × today's anabolic effect; each makes a modeling unit on the
marrow side of its voxel (formation without prior resorption).
Reads: the day's rate, surface census, lining cells (agents). Writes: new modeling units in the registry and
grid.bmu_label of their voxels; the reactivated cells change their own state and join the fate calendar.
"""

from __future__ import annotations

import math

import numpy as np

from engine.agents.activation_sites import ActivationSites
from engine.agents.osteoclast import Osteoclast
from engine.kernels.remodeling import outward_normal
from engine.kernels.surfaces import quiescent_surface_voxels
from engine.scratch import HasScratch
from engine.units import DAYS_PER_YEAR


class Activation(HasScratch):
    #: today's candidate sites (`random_site`), found again when missing: scratch, not state (`engine.scratch`)
    _scratch_surface_clock = None
    _scratch_surface = None

    def __init__(self, model, census, precursors, turnover, registry):
        self.model = model  # the host of the new osteoclast agents (and their random generator)
        self.grid = model.grid
        self.biology = model.biology
        self.signalling = model.signalling
        self.census = census
        self.precursors = precursors
        self.turnover = turnover
        self.registry = registry
        self.sites = ActivationSites(self.biology)
        self.voxel_area_mm2 = (self.grid.voxel_size_um * 1e-3) ** 2

    def run_step(self, holding: bool = False) -> None:
        """`holding`: the patient is held untreated (spin-up; `ActivationSites.advance`)."""
        rng = self.model.rng
        b = self.biology
        committed = self.precursors.committed_relative
        self.sites.advance(committed, holding)
        quiescent_mm2 = self.census.quiescent_voxels * self.voxel_area_mm2
        rate = (b.activation_per_mm2_per_year / DAYS_PER_YEAR * quiescent_mm2 * committed
                * self.sites.activation_factor)
        targeted_share = self.sites.targeted_share_today
        n_new = int(rng.poisson(rate))
        for _ in range(n_new):
            targeted = bool(self.turnover.targeted_sites) and rng.random() < targeted_share
            site = self.turnover.take_site() if targeted else self.random_site()
            if site is not None and self.founded(site):
                self.start_bmu(site, targeted)

    def founded(self, site) -> bool:
        """Whether a BMU's founding osteoclasts survive the bisphosphonate adsorbed at `site` (probability
        1 − E, `BisphosphonatesInBone.founding_effect`); no draw without a bisphosphonate."""
        drug = self.model.bone_drug
        return not drug.drugs or self.model.rng.random() >= drug.founding_effect(site)

    def random_site(self):
        """A quiescent surface voxel, chosen with probability proportional to its local RANK occupancy. The
        candidates and their weights are found once per day (`_surface_weights`): starting a BMU changes
        neither the bone nor the labels, so later sites of the same day would find the same."""
        if self._scratch_surface_clock != self.model.clock:
            self._scratch_surface = self._surface_weights()
            self._scratch_surface_clock = self.model.clock
        idx, p = self._scratch_surface
        if idx.size == 0:
            return None
        k = int(self.model.rng.choice(idx.size, p=p))
        z, y, x = np.unravel_index(idx[k], self.grid.shape)
        return int(z), int(y), int(x)

    def _surface_weights(self):
        """(flat indices of the quiescent surface voxels, their probabilities ∝ local RANK occupancy, or None
        for uniform when the occupancy is 0 everywhere)."""
        idx = quiescent_surface_voxels(self.grid.bone_fraction, self.grid.bmu_label)
        if idx.size == 0:
            return idx, None
        z, y, x = np.unravel_index(idx, self.grid.shape)
        weights = self.signalling.occupancy_at(z, y, x)
        total = weights.sum()
        return idx, (weights / total if total > 0 else None)

    def start_bmu(self, site, targeted: bool):
        """A BMU at `site` in resorption, with its founding osteoclasts heading along the surface."""
        model = self.model
        b = self.biology
        bmu = self.registry.new_bmu(site, model.clock, targeted)
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
        return bmu


class LiningCellReactivation:
    def __init__(self, model, registry, fates):
        self.model = model
        self.fates = fates  # OsteoblastFates: the calendar the new osteoblasts join
        self.grid = model.grid
        self.biology = model.biology
        self.registry = registry

    def run_step(self, rate_per_day: float, mean_working_life_days: float) -> None:
        """Reactivate lining cells at `rate_per_day` (`systemic.lining_activation_per_day`), per lining cell
        of the quiescent surface: one per `lining_cell_area_um2` of it (the lining density the model is
        built with, and the whole-skeleton layer's rule), each reactivation taking one of the lining-cell
        agents (at most all of them). Counting the agents instead let modeling-based formation fade: every
        reactivated cell returns to lining with only the osteoblasts' lining share, so in a 600 µm volume
        the agents fell to ~0.6-0.8 of that density within 2-4 years while the layer kept forming at it."""
        if rate_per_day <= 0:
            return
        model = self.model
        n_lining = len(model.cells.lining)
        if not n_lining:
            return
        quiescent_um2 = model.census.quiescent_voxels * self.grid.voxel_size_um ** 2
        positions = int(round(quiescent_um2 / self.biology.lining_cell_area_um2))
        n = min(int(model.rng.binomial(positions, 1.0 - math.exp(-rate_per_day))), n_lining)
        if n == 0:
            return
        chosen = model.cells.lining_cells_at(np.sort(model.rng.choice(n_lining, size=n, replace=False)))
        for cell in chosen:
            self._start_modeling_unit(cell, mean_working_life_days)

    def _start_modeling_unit(self, cell, mean_working_life_days: float) -> None:
        """One reactivated lining cell makes matrix on the marrow side of its voxel (within one osteoblast
        footprint, `osteoblast_footprint_um2`), as the osteoblast of a unit in formation."""
        b = self.biology
        g = self.grid
        z, y, x = cell.voxel
        r = max(1, int(round(math.sqrt(b.osteoblast_footprint_um2 / math.pi) / g.voxel_size_um)))
        zs, ys, xs = (np.arange(max(c - r, 0), min(c + r + 1, n)) for c, n in zip((z, y, x), g.shape))
        zz, yy, xx = np.meshgrid(zs, ys, xs, indexing="ij")
        block = g.bone_fraction[zz, yy, xx]
        free = (block < 1.0) & (g.bmu_label[zz, yy, xx] == 0)
        if not free.any():
            return
        flat = np.ravel_multi_index((zz[free], yy[free], xx[free]), g.shape)
        unit = self.registry.new_bmu((int(z), int(y), int(x)), self.model.clock, targeted=False, modeling=True)
        unit.start_modeling(self.model.clock, flat.astype(np.int64), b.osteoblast_footprint_um2)
        g.bmu_label.ravel()[flat] = unit.label
        cell.reactivate(unit, mean_working_life_days)
        self.fates.schedule(cell)

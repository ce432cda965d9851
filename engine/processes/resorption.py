"""Resorption: osteoclasts decide, then all of them resorb and move in one kernel call.

1. Each osteoclast takes its own decisions (fusion, nucleus death, apoptosis; `Osteoclast.step`), in random
   order (Mesa's `shuffle_do`).
2. `kernels.remodeling.resorb_and_advance` removes bone (and its mineral, osteoid and bound drug) in a ball
   in front of each osteoclast of a BMU in resorption, at nuclei × the per-nucleus rate (slowed by its
   bisphosphonate), and moves it along the surface.
3. Each BMU adds what was excavated to its cavity; osteoclasts that lost contact with bone die; the drug
   released goes to the osteoclasts (`BisphosphonatesInBone.expose`); osteocytes and lining cells in
   resorbed voxels are removed.
Reads: the registry's BMUs and their osteoclasts, biology. Writes: grid.bone_fraction, mineral_fraction,
osteoid_fraction, bmu_label (kernel), the bone drug field (kernel), and its own day totals
(`resorbed_um3`: matrix, what the CTX proxy counts).
"""

from __future__ import annotations

import numpy as np

from engine.agents.bmu import RESORPTION
from engine.agents.osteoclast import Osteoclast
from engine.kernels.index_sets import occupied_below
from engine.kernels.remodeling import MAX_PASSES, resorb_and_advance
from engine.kernels.surfaces import BONE_LEVEL
from engine.pharmacology.bisphosphonates import osteoclast_effect



class Resorption:
    def __init__(self, model, registry, bone_drug, cells):
        self.model = model  # host of the osteoclast agents and their random generator
        self.grid = model.grid
        self.biology = model.biology
        self.registry = registry
        self.bone_drug = bone_drug
        self.cells = cells
        self.voxel_um3 = self.grid.voxel_size_um**3
        self.resorbed_um3 = 0.0

    def run_step(self) -> None:
        model = self.model
        self.resorbed_um3 = 0.0
        if Osteoclast in model.agents_by_type:
            model.agents_by_type[Osteoclast].shuffle_do("step")
        b = self.biology
        clasts = [oc for bmu in self.registry.bmus.values() if bmu.phase == RESORPTION for oc in bmu.osteoclasts]
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
        removed_mineral = np.zeros(n)  # the kernel reports it; the CTX proxy counts matrix (`removed`)
        footprint = np.zeros(n, np.int64)
        attached = np.zeros(n, np.bool_)
        drug = self.bone_drug
        released = np.zeros((n, 2 * len(drug.drugs)))  # adsorbed, then buried, per drug
        g = self.grid
        resorb_and_advance(g.bone_fraction, g.mineral_fraction, g.osteoid_fraction, g.bmu_label, positions, headings,
                           labels, volumes, turn, radius, b.bmu_advance_um_per_day / h, int(np.ceil(2 * radius)),
                           MAX_PASSES, touched, n_touched, removed, removed_mineral, footprint, attached,
                           drug.drug_fmol, released)
        if drug.drugs:
            drug.expose(clasts, released, removed)
        for i, oc in enumerate(clasts):
            oc.bmu.resorbed(touched[i, :n_touched[i]], removed[i] * self.voxel_um3, footprint[i] * h * h)
            oc.moved(positions[i], headings[i], bool(attached[i]))
        self.resorbed_um3 = float(removed.sum()) * self.voxel_um3
        self._evict_from_resorbed(list(dict.fromkeys(oc.bmu for oc in clasts)))

    def _evict_from_resorbed(self, bmus) -> None:
        """Osteocytes die with their lacuna; lining cells are lifted off."""
        bone = self.grid.bone_fraction.ravel()
        occupied = self.cells.occupied
        for bmu in bmus:
            for idx in occupied_below(bmu.cavity, occupied, bone, BONE_LEVEL).tolist():
                for agent in self.cells.take_occupants(idx):
                    agent.remove()

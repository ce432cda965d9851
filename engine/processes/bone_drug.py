"""BisphosphonatesInBone: the drug held in bone, given to osteoclasts when they resorb it.

Two fmol-per-voxel fields per bisphosphonate of the regimen (`engine.pharmacology.bisphosphonates`), in one
array `drug_fmol` (the resorption kernel takes drug out of it with the bone it removes): drug adsorbed on
the exposed surface (`adsorbed_fmol`) and drug buried under bone formed over it (`buried_fmol`).
- `run_step` (adsorption, before resorption): drug on voxels that formation has covered since yesterday is
  buried (`kernels.adsorption.bury_covered`); today's skeletal uptake of each drug, this volume's share of
  the skeleton's surface, plus what resorption released yesterday (recycling), binds the exposed bone
  (`kernels.adsorption`). Reads: the PK models' uptake, the surface census. Writes: `drug_fmol`.
- `founding_effect` (asked by activation for a new BMU's site): the share of BMUs whose founding
  osteoclasts the surface drug there disables, so that the BMU never starts.
- `expose` (called by resorption with what its kernel released): each osteoclast's exposure follows the
  concentration of buried drug in the bone it resorbed today (the surface drug decided at its founding).
  Writes: the osteoclasts' exposure (their own state, which they read in `Osteoclast.step`) and
  `released_fmol` (all released drug, for recycling).
"""

from __future__ import annotations

import math

import numpy as np

from engine.kernels.adsorption import adsorb_to_surface, bury_covered
from engine.pharmacology.bisphosphonates import (BISPHOSPHONATE_ACTION, SKELETAL_SURFACE_MM2, UMOL_TO_FMOL,
                                                 osteoclast_effect)
from engine.parameters import values


class BisphosphonatesInBone:
    def __init__(self, grid, pk_models: dict):
        self.grid = grid
        self.pk = pk_models  # drug -> BisphosphonatePK
        self.drugs = tuple(pk_models)
        n = len(self.drugs)
        self.drug_fmol = np.zeros((2 * n, *grid.shape), np.float32)  # adsorbed per drug, then buried per drug
        self.released_fmol = np.zeros(len(self.drugs))
        self.action = values(BISPHOSPHONATE_ACTION)
        self._ec50_uM = np.array([pk_models[d].p["osteoclast_ec50_uM"] for d in self.drugs])
        self.voxel_um3 = grid.voxel_size_um**3
        self.voxel_area_mm2 = (grid.voxel_size_um * 1e-3) ** 2

    @property
    def adsorbed_fmol(self) -> np.ndarray:
        return self.drug_fmol[:len(self.drugs)]

    @property
    def buried_fmol(self) -> np.ndarray:
        return self.drug_fmol[len(self.drugs):]

    @property
    def bound_drug_fmol(self) -> np.ndarray:
        """All drug held in bone, per drug (adsorbed + buried)."""
        return self.adsorbed_fmol + self.buried_fmol

    def run_step(self, surface_voxels: int) -> None:
        if not self.drugs:
            return
        share = surface_voxels * self.voxel_area_mm2 / SKELETAL_SURFACE_MM2
        g = self.grid
        n = len(self.drugs)
        for j, drug in enumerate(self.drugs):
            bury_covered(g.bone_fraction, self.drug_fmol[j], self.drug_fmol[n + j])
            pk = self.pk[drug]
            amount = pk.take_skeletal_uptake() * UMOL_TO_FMOL * share + pk.recycled(self.released_fmol[j])
            self.released_fmol[j] = 0.0
            if amount > 0:
                adsorb_to_surface(g.bone_fraction, g.bmu_label, g.osteoid_fraction, self.drug_fmol[j], amount,
                                  self.action["active_surface_uptake_fold"])

    def founding_effect(self, site) -> float:
        """Emax · x/(1 + x) for the drug adsorbed at a new BMU's site, x = Σ (fmol / voxel volume) / EC50: what
        its founding osteoclasts would take up first (the voxel is the surface layer the layer calls
        `DRUG_LAYER_UM`); Emax = `max_founding_effect`. The BMU starts with probability 1 − that
        (`engine.pharmacology.bisphosphonates`)."""
        if not self.drugs:
            return 0.0
        z, y, x = site
        conc_uM = self.adsorbed_fmol[:, z, y, x].astype(np.float64) / self.voxel_um3 * 1e6
        return self.action["max_founding_effect"] * osteoclast_effect(float((conc_uM / self._ec50_uM).sum()))

    def expose(self, clasts, released: np.ndarray, removed_voxels: np.ndarray) -> None:
        """Exposure follows released buried fmol over resorbed µm³ (= mol/L; ×1e6 → µM), scaled by each drug's
        EC50 and summed, with a memory of `exposure_memory_days`. `released` has the kernel's columns:
        adsorbed per drug, then buried per drug; both recycle."""
        n = len(self.drugs)
        follow = 1.0 - math.exp(-1.0 / self.action["exposure_memory_days"])
        resorbed_um3 = removed_voxels * self.voxel_um3
        with np.errstate(divide="ignore", invalid="ignore"):
            conc_uM = np.where(resorbed_um3[:, None] > 0, released[:, n:] / resorbed_um3[:, None] * 1e6, 0.0)
        today = (conc_uM / self._ec50_uM).sum(axis=1)
        for oc, x in zip(clasts, today):
            oc.take_up_bisphosphonate(x, follow)
        self.released_fmol += released[:, :n].sum(axis=0) + released[:, n:].sum(axis=0)

    def bound_drug_uM(self, drug: str) -> float:
        """Mean concentration of a bisphosphonate in the bone of the volume (µmol per litre of bone)."""
        if drug not in self.drugs:
            return 0.0
        bone_um3 = float(self.grid.bone_fraction.sum(dtype=np.float64)) * self.voxel_um3
        total = float(self.bound_drug_fmol[self.drugs.index(drug)].sum(dtype=np.float64))
        return total / bone_um3 * 1e6 if bone_um3 else 0.0

"""BisphosphonatesInBone: the drug held in bone, given to osteoclasts when they resorb it.

One fmol-per-voxel field per bisphosphonate of the regimen (`engine.pharmacology.bisphosphonates`).
- `run_step` (adsorption, before resorption): today's skeletal uptake of each drug, this volume's share of
  the skeleton's surface, plus what resorption released yesterday (recycling), binds the exposed bone
  (`kernels.adsorption`). Reads: the PK models' uptake, the surface census. Writes: `bound_drug_fmol`.
- `expose` (called by resorption with what its kernel released): each osteoclast's exposure follows the
  concentration in the bone it resorbed today. Writes: the osteoclasts' exposure (their own state, which
  they read in `Osteoclast.step`) and `released_fmol`.
The resorption kernel takes drug out of `bound_drug_fmol` with the bone it removes.
"""

from __future__ import annotations

import math

import numpy as np

from engine.kernels.adsorption import adsorb_to_surface
from engine.pharmacology.bisphosphonates import (BISPHOSPHONATE_ACTION, SKELETAL_SURFACE_MM2, UMOL_TO_FMOL)
from engine.parameters import values


class BisphosphonatesInBone:
    def __init__(self, grid, pk_models: dict):
        self.grid = grid
        self.pk = pk_models  # drug -> BisphosphonatePK
        self.drugs = tuple(pk_models)
        self.bound_drug_fmol = np.zeros((len(self.drugs), *grid.shape), np.float32)
        self.released_fmol = np.zeros(len(self.drugs))
        self.action = values(BISPHOSPHONATE_ACTION)
        self._ec50_uM = np.array([pk_models[d].p["osteoclast_ec50_uM"] for d in self.drugs])
        self.voxel_um3 = grid.voxel_size_um**3
        self.voxel_area_mm2 = (grid.voxel_size_um * 1e-3) ** 2

    def run_step(self, surface_voxels: int) -> None:
        if not self.drugs:
            return
        share = surface_voxels * self.voxel_area_mm2 / SKELETAL_SURFACE_MM2
        g = self.grid
        for j, drug in enumerate(self.drugs):
            pk = self.pk[drug]
            amount = pk.take_skeletal_uptake() * UMOL_TO_FMOL * share + pk.recycled(self.released_fmol[j])
            self.released_fmol[j] = 0.0
            if amount > 0:
                adsorb_to_surface(g.bone_fraction, g.bmu_label, g.osteoid_fraction, self.bound_drug_fmol[j], amount,
                                  self.action["active_surface_uptake_fold"])

    def expose(self, clasts, released: np.ndarray, removed_voxels: np.ndarray) -> None:
        """Exposure follows released fmol over resorbed µm³ (= mol/L; ×1e6 → µM), scaled by each drug's EC50
        and summed, with a memory of `exposure_memory_days`."""
        follow = 1.0 - math.exp(-1.0 / self.action["exposure_memory_days"])
        resorbed_um3 = removed_voxels * self.voxel_um3
        with np.errstate(divide="ignore", invalid="ignore"):
            conc_uM = np.where(resorbed_um3[:, None] > 0, released / resorbed_um3[:, None] * 1e6, 0.0)
        today = (conc_uM / self._ec50_uM).sum(axis=1)
        for oc, x in zip(clasts, today):
            oc.take_up_bisphosphonate(x, follow)
        self.released_fmol += released.sum(axis=0)

    def bound_drug_uM(self, drug: str) -> float:
        """Mean concentration of a bisphosphonate in the bone of the volume (µmol per litre of bone)."""
        if drug not in self.drugs:
            return 0.0
        bone_um3 = float(self.grid.bone_fraction.sum(dtype=np.float64)) * self.voxel_um3
        total = float(self.bound_drug_fmol[self.drugs.index(drug)].sum(dtype=np.float64))
        return total / bone_um3 * 1e6 if bone_um3 else 0.0

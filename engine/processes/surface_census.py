"""SurfaceCensus: how much bone surface there is, and in which remodeling phase (first process of the day).

Reads: grid.bone_fraction, grid.bmu_label, the registry's label -> phase table.
Writes: `counts[p]` (surface voxels whose nearest cavity is in phase p; 0 = quiescent; `kernels.remodeling.
surface_phase_counts`). Activation reads the quiescent surface, readouts BS, ES and OS, bisphosphonate
uptake the surface share of the skeleton.
"""

from __future__ import annotations

import numpy as np

from engine.agents.bmu import RESORPTION, REVERSAL
from engine.kernels.remodeling import surface_phase_counts


class SurfaceCensus:
    def __init__(self, grid, registry):
        self.grid = grid
        self.registry = registry
        self.counts = np.zeros(5, np.int64)
        self.run_step()

    def run_step(self) -> None:
        surface_phase_counts(self.grid.bone_fraction, self.grid.bmu_label, self.registry.phase_table(), self.counts)

    @property
    def surface_voxels(self) -> int:
        return int(self.counts.sum())

    @property
    def quiescent_voxels(self) -> int:
        return int(self.counts[0])

    @property
    def eroded_surface_voxels(self) -> int:
        """Surface in or bordering a cavity in resorption or reversal (ES, in voxel faces)."""
        return int(self.counts[RESORPTION] + self.counts[REVERSAL])

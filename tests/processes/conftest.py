"""A small host for running one process at a time, without building a BoneModel.

`Host` is a bare mesa.Model (agents need one) carrying only what cells read from their model: a 16³-voxel
grid (bone below z = 8, marrow above: one flat surface), default biology, the cell index, a clock, and
stand-ins for the precursor pool, physiology and bone drug at their reference values, and the RANK occupancy
osteoclasts read at the bone.
"""

from types import SimpleNamespace

import mesa
import numpy as np
import pytest

from engine.agents.cell_index import CellIndex
from engine.agents.precursor_pool import PrecursorPool
from engine.grid.voxel_grid import VoxelGrid
from engine.processes.bmu_registry import BMURegistry
from engine.parameters import values
from engine.scenario.biology import BiologyParameters
from engine.skeleton.compartments import AGENT_GEOMETRY

N = 16
SURFACE_Z = 8  # bone occupies z < 8


class Host(mesa.Model):
    def __init__(self, seed: int = 1, voxel_size_um: float = 10.0, **biology):
        super().__init__(rng=seed)
        bone = np.zeros((N, N, N), np.float32)
        bone[:SURFACE_Z] = 1.0
        self.grid = VoxelGrid.from_bone(bone, voxel_size_um)
        self.biology = BiologyParameters(**biology)
        self.cells = CellIndex(self.grid.shape)
        self.bmus = BMURegistry()
        self.clock = 0
        self.precursors = PrecursorPool(self.biology, 1.0)
        self.physiology = SimpleNamespace(osteoclast_lifespan_factor=1.0)
        self.bone_drug = SimpleNamespace(action={"max_apoptosis_per_day": 0.0}, drugs=())

    def local_rank_occupancy(self, voxel) -> float:
        """What osteoclasts read at the bone of the default volume: the reference occupancy × the measured site
        ratio (`AGENT_GEOMETRY`; `engine.signalling`, item 4)."""
        return self.biology.reference_rank_occupancy * values(AGENT_GEOMETRY)["osteoclast_site_occupancy_ratio"]


@pytest.fixture
def host() -> Host:
    return Host()


def surface_voxels_reference(bone: np.ndarray) -> np.ndarray:
    """numpy twin: bone voxels (≥ 0.5) with at least one face neighbour that is marrow (< 0.5) inside the volume."""
    solid = bone >= 0.5
    marrow = ~solid
    touch = np.zeros_like(solid)
    for axis in range(3):
        for shift in (1, -1):
            rolled = np.roll(marrow, shift, axis=axis)
            edge = [slice(None)] * 3
            edge[axis] = 0 if shift == 1 else -1
            rolled[tuple(edge)] = False
            touch |= rolled
    return solid & touch

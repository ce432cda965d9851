"""Mesa agents. Positions are integer voxel indices (z, y, x) into the VoxelGrid arrays."""

from engine.agents.osteocyte import Osteocyte

__all__ = ["Osteocyte"]

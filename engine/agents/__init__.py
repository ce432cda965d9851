"""Mesa agents (osteocytes, osteoclasts, osteoblasts/lining cells) and the BMU and precursor-pool state they
belong to. Positions are voxel indices (z, y, x) into the VoxelGrid arrays (osteoclasts: float voxel
coordinates on the surface)."""

from engine.agents.bmu import BMU
from engine.agents.osteoblast import Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.agents.osteocyte import Osteocyte
from engine.agents.precursor_pool import PrecursorPool

__all__ = ["BMU", "Osteoblast", "Osteoclast", "Osteocyte", "PrecursorPool"]

"""Voxel bone grid: arrays, geometry generation/loading, measurements."""

from engine.grid.voxel_grid import FIELD_NAMES, VoxelGrid, build_grid

__all__ = ["FIELD_NAMES", "VoxelGrid", "build_grid"]

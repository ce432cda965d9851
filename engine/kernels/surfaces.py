"""Bone-surface detection: which bone voxels face marrow, and in which direction.

A voxel is bone when its bone fraction is ≥ 0.5 (the iso-level also used for BS/BV). A bone voxel is
on the surface when at least one of its 6 face neighbours is marrow; the count of marrow faces
(0–6) says how exposed it is. Neighbours outside the volume are not marrow: the volume edge is a cut,
not a bone surface. (A new BMU's osteoclasts take their heading across the local outward normal,
`kernels.remodeling.outward_normal`.)
"""

from __future__ import annotations

import math

from numba import njit, prange

BONE_LEVEL = 0.5


@njit(parallel=True, cache=True)
def count_marrow_neighbours(bone_fraction, out):
    """out[z,y,x] = number of marrow face neighbours of a bone voxel (0 for marrow voxels). out: int8."""
    nz, ny, nx = bone_fraction.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                if bone_fraction[z, y, x] < BONE_LEVEL:
                    out[z, y, x] = 0
                    continue
                n = 0
                if x > 0 and bone_fraction[z, y, x - 1] < BONE_LEVEL:
                    n += 1
                if x < nx - 1 and bone_fraction[z, y, x + 1] < BONE_LEVEL:
                    n += 1
                if y > 0 and bone_fraction[z, y - 1, x] < BONE_LEVEL:
                    n += 1
                if y < ny - 1 and bone_fraction[z, y + 1, x] < BONE_LEVEL:
                    n += 1
                if z > 0 and bone_fraction[z - 1, y, x] < BONE_LEVEL:
                    n += 1
                if z < nz - 1 and bone_fraction[z + 1, y, x] < BONE_LEVEL:
                    n += 1
                out[z, y, x] = n

"""Bone-surface detection: which bone voxels face marrow, and in which direction.

A voxel is bone when its bone fraction is ≥ 0.5 (the iso-level also used for BS/BV). A bone voxel is
on the surface when at least one of its 6 face neighbours is marrow; the count of marrow faces
(0–6) says how exposed it is. Neighbours outside the volume are not marrow: the volume edge is a cut,
not a bone surface. (A new BMU's osteoclasts take their heading across the local outward normal,
`kernels.remodeling.outward_normal`.)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

BONE_LEVEL = 0.5


@njit(inline="always")
def _marrow_faces(bone_fraction, z, y, x):
    """Marrow face neighbours of voxel (z, y, x) inside the volume (0 when the voxel itself is marrow)."""
    nz, ny, nx = bone_fraction.shape
    if bone_fraction[z, y, x] < BONE_LEVEL:
        return 0
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
    return n


@njit(parallel=True, cache=True)
def count_marrow_neighbours(bone_fraction, out):
    """out[z,y,x] = number of marrow face neighbours of a bone voxel (0 for marrow voxels). out: int8."""
    nz, ny, nx = bone_fraction.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                out[z, y, x] = _marrow_faces(bone_fraction, z, y, x)


@njit(parallel=True, cache=True)
def quiescent_surface_voxels(bone_fraction, label):
    """Flat indices, in increasing order, of the surface voxels (a marrow face neighbour) that no BMU holds
    (label 0): where a new BMU can start. Two passes over the planes (count, then fill), in parallel; the
    same voxels as `(count_marrow_neighbours(...) > 0) & (label == 0)`, without the int8 grid and masks."""
    nz, ny, nx = bone_fraction.shape
    counts = np.zeros(nz, np.int64)
    for z in prange(nz):
        n = 0
        for y in range(ny):
            for x in range(nx):
                if label[z, y, x] == 0 and _marrow_faces(bone_fraction, z, y, x) > 0:
                    n += 1
        counts[z] = n
    starts = np.zeros(nz + 1, np.int64)
    for z in range(nz):
        starts[z + 1] = starts[z] + counts[z]
    out = np.empty(starts[nz], np.int64)
    for z in prange(nz):
        k = starts[z]
        for y in range(ny):
            for x in range(nx):
                if label[z, y, x] == 0 and _marrow_faces(bone_fraction, z, y, x) > 0:
                    out[k] = (z * ny + y) * nx + x
                    k += 1
    return out

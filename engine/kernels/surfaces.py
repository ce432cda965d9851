"""Bone-surface detection: which bone voxels face marrow, and in which direction.

A voxel is bone when its bone fraction is ≥ 0.5 (the iso-level also used for BS/BV). A bone voxel is
on the surface when at least one of its 6 face neighbours is marrow; the count of marrow faces
(0–6) says how exposed it is. The outward normal (pointing into marrow) is −∇(bone fraction) by
central differences (one-sided at the volume edge), normalised; it points a BMU's advance.
Neighbours outside the volume are not marrow: the volume edge is a cut, not a bone surface.
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


@njit(inline="always")
def _centred(lo, hi, has_lo, has_hi):
    if has_lo and has_hi:
        return 0.5 * (hi - lo)
    return hi - lo


@njit(parallel=True, cache=True)
def surface_normals(bone_fraction, marrow_neighbours, out):
    """out[:, z, y, x] = unit outward normal (dz, dy, dx) at surface voxels, 0 elsewhere. out: (3, nz, ny, nx)."""
    nz, ny, nx = bone_fraction.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                if marrow_neighbours[z, y, x] == 0:
                    out[0, z, y, x] = 0.0
                    out[1, z, y, x] = 0.0
                    out[2, z, y, x] = 0.0
                    continue
                b = bone_fraction[z, y, x]
                zl = bone_fraction[z - 1, y, x] if z > 0 else b
                zh = bone_fraction[z + 1, y, x] if z < nz - 1 else b
                yl = bone_fraction[z, y - 1, x] if y > 0 else b
                yh = bone_fraction[z, y + 1, x] if y < ny - 1 else b
                xl = bone_fraction[z, y, x - 1] if x > 0 else b
                xh = bone_fraction[z, y, x + 1] if x < nx - 1 else b
                gz = -_centred(zl, zh, z > 0, z < nz - 1)
                gy = -_centred(yl, yh, y > 0, y < ny - 1)
                gx = -_centred(xl, xh, x > 0, x < nx - 1)
                norm = math.sqrt(gz * gz + gy * gy + gx * gx)
                if norm > 0.0:
                    out[0, z, y, x] = gz / norm
                    out[1, z, y, x] = gy / norm
                    out[2, z, y, x] = gx / norm
                else:  # symmetric exposure (e.g. a one-voxel rod): no preferred direction
                    out[0, z, y, x] = 0.0
                    out[1, z, y, x] = 0.0
                    out[2, z, y, x] = 0.0

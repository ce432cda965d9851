"""Which osteocytes' nearest marrow voxel may have changed since the last field update.

Each osteocyte's secretion enters the marrow at its nearest marrow voxel (`engine.signalling`,
`kernels.remodeling.nearest_marrow`). Searching it again for every osteocyte cost ~4 ms a day at 10⁶ voxels,
most of a daily field update's bookkeeping, although a day's remodeling changes the bone at a few hundred
voxels. The answer (s at squared distance d²) stays exact while s is still marrow and no voxel within d of
the osteocyte became marrow (voxels that stopped being marrow can only move the answer if s is one of them).
So the last day's marrow mask is kept, voxels that became marrow are flagged per block of `BLOCK` voxels,
and only osteocytes whose ball of radius d touches a flagged block, or whose s stopped being marrow, are
searched again. The result is identical to searching all (tested against it).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from engine.kernels.remodeling import source_marrow

#: edge of the blocks that flag voxels which became marrow (voxels)
BLOCK = 4


@njit(parallel=True, cache=True)
def update_marrow_mask(bone, enclosed, mask, gained_blocks):
    """mask ← today's marrow a source can enter (`kernels.remodeling.source_marrow`; an empty `enclosed` for
    no pockets);
    gained_blocks[b] ← 1 where a voxel of block b (BLOCK³ voxels) became marrow since the mask was last
    written, else 0. Returns the number of voxels in the mask (0: no source can land)."""
    nz, ny, nx = bone.shape
    bz, by, bx = gained_blocks.shape
    masked = enclosed.size > 0
    per_slab = np.zeros(bz, np.int64)
    for zb in prange(bz):
        for y in range(by):
            for x in range(bx):
                gained_blocks[zb, y, x] = 0
        gained_row = np.empty(nx, np.bool_)
        for z in range(zb * BLOCK, min(zb * BLOCK + BLOCK, nz)):
            for y in range(ny):
                # the row in one branch-free pass (it vectorizes); its few gains are flagged after
                m = mask[z, y]
                gained_any = False
                n_marrow = 0
                for x in range(nx):
                    now = source_marrow(bone, enclosed, masked, z, y, x)
                    gained_row[x] = now & (not m[x])
                    gained_any |= gained_row[x]
                    n_marrow += now
                    m[x] = now
                per_slab[zb] += n_marrow
                if gained_any:
                    flags = gained_blocks[zb, y // BLOCK]
                    for x in range(nx):
                        if gained_row[x]:
                            flags[x // BLOCK] = 1
    return per_slab.sum()


@njit(inline="always")
def _stale(z0, y0, x0, sz, sy, sx, mask, gained_blocks):
    """Whether the osteocyte at (z0, y0, x0) must be searched again: its last nearest marrow voxel (sz, sy, sx)
    is no longer marrow (`mask`), or a block within its distance to that voxel gained marrow."""
    nz, ny, nx = mask.shape
    if not mask[sz, sy, sx]:
        return True
    r = int(math.ceil(math.sqrt((sz - z0) ** 2 + (sy - y0) ** 2 + (sx - x0) ** 2)))
    for zb in range(max(z0 - r, 0) // BLOCK, min(z0 + r, nz - 1) // BLOCK + 1):
        for yb in range(max(y0 - r, 0) // BLOCK, min(y0 + r, ny - 1) // BLOCK + 1):
            for xb in range(max(x0 - r, 0) // BLOCK, min(x0 + r, nx - 1) // BLOCK + 1):
                if gained_blocks[zb, yb, xb]:
                    return True
    return False


@njit(parallel=True, cache=True)
def look_up_sources(positions, ids, placed_ids, placed_voxels, mask, gained_blocks, sources, search):
    """The cache's answers for osteocytes ids (at voxels positions, (n, 3)): where the cache (placed_ids, ascending,
    with their nearest marrow voxels placed_voxels) holds osteocyte i and its answer is still exact (`_stale`),
    sources[i] ← the answer and search[i] ← False; otherwise search[i] ← True (sources[i] left as it was)."""
    for i in prange(positions.shape[0]):
        at = np.searchsorted(placed_ids, ids[i])
        if at < placed_ids.size and placed_ids[at] == ids[i]:
            sz, sy, sx = placed_voxels[at, 0], placed_voxels[at, 1], placed_voxels[at, 2]
            sources[i, 0], sources[i, 1], sources[i, 2] = sz, sy, sx
            search[i] = _stale(positions[i, 0], positions[i, 1], positions[i, 2], sz, sy, sx, mask, gained_blocks)
        else:
            search[i] = True


def blocks_shape(shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """The shape of the gained-marrow block array for a voxel grid of `shape`."""
    return tuple(-(-n // BLOCK) for n in shape)

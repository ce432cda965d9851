"""Which osteocytes' nearest marrow voxel may have changed since the last field update.

Each osteocyte's secretion enters the marrow at its nearest marrow voxel (`engine.signalling`,
`kernels.remodeling.nearest_marrow`). Searching it again for every osteocyte cost ~4 ms a day at 10⁶ voxels,
most of a daily field update's bookkeeping, although a day's remodeling changes the bone at a few hundred
voxels. The answer (s at squared distance d²) stays exact while s is still marrow and no voxel within d of
the osteocyte became marrow (voxels that stopped being marrow can only move the answer if s is one of them).
So the last day's marrow mask is kept, voxels that became marrow are flagged per block of `BLOCK` voxels,
and only osteocytes whose ball of radius d touches a flagged block, or whose s stopped being marrow, need a
new answer. When s is still marrow and lies in the local search's cube (`nearest_marrow`'s `search`), the new
answer is s or a voxel of a flagged block within d (every other voxel in the cube was already no closer than s
yesterday), so only those blocks are scanned (`look_up_sources`); the rest are searched again. The result is
identical to searching all (tested against it).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from engine.kernels.remodeling import closer, source_marrow

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


@njit(inline="always")
def _rescan_gained(z0, y0, x0, sz, sy, sx, mask, gained_blocks, search):
    """The new nearest marrow voxel of the osteocyte at (z0, y0, x0) whose last one, (sz, sy, sx), is still
    marrow and within its local search cube (half-width `search`): s, or a marrow voxel of a block that gained
    marrow, within s's distance and the cube, if closer (`kernels.remodeling.closer`: ties to the first in
    z, y, x order). Returns its flat index."""
    nz, ny, nx = mask.shape
    best = (sz - z0) ** 2 + (sy - y0) ** 2 + (sx - x0) ** 2
    best_flat = (sz * ny + sy) * nx + sx
    r = min(int(math.ceil(math.sqrt(best))), search)
    z_lo, z_hi = max(z0 - r, 0), min(z0 + r, nz - 1)
    y_lo, y_hi = max(y0 - r, 0), min(y0 + r, ny - 1)
    x_lo, x_hi = max(x0 - r, 0), min(x0 + r, nx - 1)
    for zb in range(z_lo // BLOCK, z_hi // BLOCK + 1):
        for yb in range(y_lo // BLOCK, y_hi // BLOCK + 1):
            for xb in range(x_lo // BLOCK, x_hi // BLOCK + 1):
                if not gained_blocks[zb, yb, xb]:
                    continue
                for z in range(max(zb * BLOCK, z_lo), min(zb * BLOCK + BLOCK - 1, z_hi) + 1):
                    for y in range(max(yb * BLOCK, y_lo), min(yb * BLOCK + BLOCK - 1, y_hi) + 1):
                        for x in range(max(xb * BLOCK, x_lo), min(xb * BLOCK + BLOCK - 1, x_hi) + 1):
                            d = (z - z0) ** 2 + (y - y0) ** 2 + (x - x0) ** 2
                            flat = (z * ny + y) * nx + x
                            if mask[z, y, x] and closer(d, flat, best, best_flat):
                                best = d
                                best_flat = flat
    return best_flat


@njit(parallel=True, cache=True)
def look_up_sources(positions, ids, placed_ids, placed_voxels, mask, gained_blocks, search, sources, need_search):
    """The cache's answers for osteocytes ids (at voxels positions, (n, 3)), with the cache (placed_ids, ascending,
    with their nearest marrow voxels placed_voxels) and `nearest_marrow`'s local search half-width `search`.
    Where the cache holds osteocyte i: sources[i] ← its answer if still exact (`_stale`), or the rescanned one
    (`_rescan_gained`) when the old one is still marrow and inside the search cube; need_search[i] ← False.
    Otherwise need_search[i] ← True (sources[i] left as it was) and the caller searches it again."""
    nz, ny, nx = mask.shape
    for i in prange(positions.shape[0]):
        at = np.searchsorted(placed_ids, ids[i])
        if at < placed_ids.size and placed_ids[at] == ids[i]:
            z0, y0, x0 = positions[i, 0], positions[i, 1], positions[i, 2]
            sz, sy, sx = placed_voxels[at, 0], placed_voxels[at, 1], placed_voxels[at, 2]
            need_search[i] = False
            if _stale(z0, y0, x0, sz, sy, sx, mask, gained_blocks):
                inside = max(abs(sz - z0), abs(sy - y0), abs(sx - x0)) <= search
                if mask[sz, sy, sx] and inside:
                    flat = _rescan_gained(z0, y0, x0, sz, sy, sx, mask, gained_blocks, search)
                    sz, sy, sx = flat // (ny * nx), (flat // nx) % ny, flat % nx
                else:
                    need_search[i] = True
            sources[i, 0], sources[i, 1], sources[i, 2] = sz, sy, sx
        else:
            need_search[i] = True


def blocks_shape(shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """The shape of the gained-marrow block array for a voxel grid of `shape`."""
    return tuple(-(-n // BLOCK) for n in shape)

"""Marrow connectivity: which marrow voxels reach a face of the volume.

A marrow pocket that remodeling closed off inside bone exchanges with nothing (`engine.signalling`), so the
fields need the voxels with marrow that no face-connected path of marrow links to a face of the volume.
`scipy.ndimage.label` answers it by labelling every voxel (9 ms per call at 10⁶ voxels with the gather of the
labels); this kernel labels runs of marrow along x instead (union-find), ~1 ms, so the fields can follow the
bone every day. Its twin in the tests labels voxels with scipy.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: slabs of planes whose runs `_join_all_rows` joins in parallel (the result does not depend on it)
JOIN_SLABS = 8


@njit(cache=True)
def _root(parent, i):
    """The root of run i's set, halving the path on the way (union-find)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _join_rows(parent, starts, ends, a0, a1, b0, b1):
    """Union every run of row a (runs a0..a1) with every run of row b (b0..b1) that shares an x with it: face
    neighbours across the two rows. Both rows' runs are sorted by x, so one merge pass finds the overlaps."""
    i = a0
    j = b0
    while i < a1 and j < b1:
        if starts[i] <= ends[j] and starts[j] <= ends[i]:
            ri = _root(parent, i)
            rj = _root(parent, j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
        if ends[i] < ends[j]:
            i += 1
        else:
            j += 1


@njit(parallel=True, cache=True)
def _runs_per_row(bone):
    """The number of runs of marrow (bone < 1) in each x-row, rows in (z, y) order."""
    nz, ny, nx = bone.shape
    counts = np.zeros(nz * ny, np.int64)
    for z in prange(nz):
        for y in range(ny):
            b = bone[z, y]
            n = 0
            was_marrow = False
            for x in range(nx):
                is_marrow = b[x] < 1.0
                n += is_marrow and not was_marrow
                was_marrow = is_marrow
            counts[z * ny + y] = n
    return counts


@njit(parallel=True, cache=True)
def _find_runs(bone, row_first, starts, ends):
    """starts/ends (inclusive) of the runs of marrow of each row, row r's at row_first[r]:row_first[r + 1].

    Per row, a branch-free pass (it vectorizes) marks where marrow starts or stops; the marks are then read 8 at
    a time as one 64-bit word, so the scalar work is one test per 8 voxels plus one per run edge (a row of
    trabecular bone has a handful of edges)."""
    nz, ny, nx = bone.shape
    words = (nx + 1 + 7) // 8
    for z in prange(nz):
        marks = np.zeros(8 * words, np.uint8)  # marks[x] = 1 where marrow starts or stops at x (x = nx: stops)
        packed = marks.view(np.uint64)
        for y in range(ny):
            b = bone[z, y]
            marks[0] = b[0] < 1.0
            for x in range(1, nx):
                marks[x] = (b[x] < 1.0) != (b[x - 1] < 1.0)
            marks[nx] = b[nx - 1] < 1.0
            n = row_first[z * ny + y]
            k = 0  # edges found so far: even k opens a run at x, odd k closes the run before x
            for w in range(words):
                if packed[w] == 0:
                    continue
                for x in range(8 * w, 8 * w + 8):
                    if marks[x]:
                        if k % 2 == 0:
                            starts[n + k // 2] = x
                        else:
                            ends[n + k // 2] = x - 1
                        k += 1


@njit(parallel=True, cache=True)
def _join_all_rows(parent, starts, ends, row_first, nz, ny):
    """Union every run with the overlapping runs of the rows before it in y and in z. The planes are cut into
    `JOIN_SLABS` slabs, each joined on its own (in parallel): a slab's runs are a range of indices of their own, and
    `_root` and the union (the larger root points to the smaller) only follow and write indices of the sets
    being joined, which stay inside the slab until its first plane is joined to the plane before it,
    afterwards and in order. The sets, and each set's root (its smallest run), do not depend on the order."""
    slabs = max(1, min(JOIN_SLABS, nz))
    for slab in prange(slabs):
        z_first = slab * nz // slabs
        for z in range(z_first, (slab + 1) * nz // slabs):
            for y in range(ny):
                row = z * ny + y
                a0 = row_first[row]
                a1 = row_first[row + 1]
                if a0 == a1:
                    continue
                if y > 0:
                    _join_rows(parent, starts, ends, a0, a1, row_first[row - 1], row_first[row])
                if z > z_first:
                    _join_rows(parent, starts, ends, a0, a1, row_first[row - ny], row_first[row - ny + 1])
    for slab in range(1, slabs):
        z = slab * nz // slabs
        for y in range(ny):
            row = z * ny + y
            _join_rows(parent, starts, ends, row_first[row], row_first[row + 1], row_first[row - ny],
                       row_first[row - ny + 1])


@njit(cache=True)
def enclosed_runs(bone, enclosed):
    """enclosed = voxels with marrow (bone < 1) that no face-connected (6-neighbour) path of such voxels links
    to a face of the volume; if no marrow reaches a face (a volume wrapped in bone), every region but the
    largest. Returns the number of marrow voxels that reach a face.

    How: the marrow of each x-row is cut into runs (one sequential pass over the voxels); runs of face-adjacent
    rows that overlap in x are joined (union-find); a set is open when one of its runs touches a face. This
    touches each voxel twice in memory order, instead of a flood fill's random walk over the voxels."""
    nz, ny, nx = bone.shape
    row_first = np.empty(nz * ny + 1, np.int64)
    row_first[0] = 0
    row_first[1:] = np.cumsum(_runs_per_row(bone))
    n = row_first[nz * ny]
    starts = np.empty(n, np.int32)
    ends = np.empty(n, np.int32)  # inclusive
    _find_runs(bone, row_first, starts, ends)
    parent = np.arange(n)
    _join_all_rows(parent, starts, ends, row_first, nz, ny)
    for i in range(n):  # every parent has a smaller index, so one pass in order leaves each run at its root
        parent[i] = parent[parent[i]]
    open_set = np.zeros(n, np.bool_)
    size = np.zeros(n, np.int64)
    for z in range(nz):
        for y in range(ny):
            row = z * ny + y
            edge_row = z == 0 or z == nz - 1 or y == 0 or y == ny - 1
            for i in range(row_first[row], row_first[row + 1]):
                r = parent[i]
                size[r] += ends[i] - starts[i] + 1
                if edge_row or starts[i] == 0 or ends[i] == nx - 1:
                    open_set[r] = True
    reached = 0
    for i in range(n):
        if open_set[i]:
            reached += size[i]
    if reached == 0 and n > 0:
        open_set[np.argmax(size)] = True
    closed = np.empty(n, np.bool_)
    for i in range(n):
        closed[i] = not open_set[parent[i]]
    _write_runs(starts, ends, row_first, closed, enclosed)
    return reached


@njit(parallel=True, cache=True)
def _write_runs(starts, ends, row_first, closed, enclosed):
    """enclosed = the voxels of the runs flagged `closed`, row by row (rows in parallel)."""
    nz, ny, nx = enclosed.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                enclosed[z, y, x] = False
            row = z * ny + y
            for i in range(row_first[row], row_first[row + 1]):
                if closed[i]:
                    for x in range(starts[i], ends[i] + 1):
                        enclosed[z, y, x] = True

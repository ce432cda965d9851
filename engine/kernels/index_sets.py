"""Sets of flat voxel indices kept as sorted arrays: a BMU's cavity grows by a few voxels a day to thousands.

`merge_sorted_unique` adds the day's voxels to the sorted cavity in one pass (numpy's unique, searchsorted and
insert cost ~40 µs per BMU and day in calls alone); `occupied_below` picks the cavity voxels that hold cells and
are no longer bone, the cells resorption evicts, without the temporaries of a numpy mask.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def merge_sorted_unique(known, new):
    """The sorted union of `known` (sorted, unique) and `new` (any order, repeats allowed), as a new array."""
    added = np.sort(new)
    out = np.empty(known.size + added.size, known.dtype)
    i = 0
    j = 0
    n = 0
    while i < known.size or j < added.size:
        if j >= added.size or (i < known.size and known[i] <= added[j]):
            v = known[i]
            i += 1
        else:
            v = added[j]
            j += 1
        if n == 0 or out[n - 1] != v:
            out[n] = v
            n += 1
    return out[:n].copy()


@njit(cache=True)
def occupied_below(indices, occupied, values, level):
    """The entries of `indices` (flat indices) where occupied > 0 and values < level, in their order."""
    keep = np.empty(indices.size, np.bool_)
    n = 0
    for k in range(indices.size):
        i = indices[k]
        keep[k] = (occupied[i] > 0) & (values[i] < level)
        n += keep[k]
    out = np.empty(n, indices.dtype)
    n = 0
    for k in range(indices.size):
        if keep[k]:
            out[n] = indices[k]
            n += 1
    return out

"""Projection of the voxel volume for the browser view's 3-D overview (engine.view.frames).

`cabinet_depth` is the painter's algorithm of a cabinet projection: layers of the volume are drawn
from the far one (highest z) to the near one (z = 0), each shifted by its own in-image offset, so the
nearest solid voxel along each line of sight wins. It keeps, per image pixel, that voxel's layer
(the depth buffer, -1 where no bone is seen) and whether it is flagged (an active BMU). One pass over
the voxels in numba; `tests/kernels/test_projection.py` holds the numpy reference.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def cabinet_depth(solid: np.ndarray, flagged: np.ndarray, offsets: np.ndarray, shift: int):
    """Depth buffer and flags of a cabinet projection seen from -z.

    solid, flagged: bool (nz, ny, nx); offsets: int (nz,), the in-image shift of layer k (up and left);
    shift: the largest offset (the image is (ny + shift, nx + shift)). Returns (depth int32, marked bool).
    """
    nz, ny, nx = solid.shape
    depth = np.full((ny + shift, nx + shift), -1, np.int32)
    marked = np.zeros((ny + shift, nx + shift), np.bool_)
    for k in range(nz - 1, -1, -1):
        base = shift - offsets[k]
        for y in range(ny):
            for x in range(nx):
                if solid[k, y, x]:
                    depth[base + y, base + x] = k
                    marked[base + y, base + x] = flagged[k, y, x]
    return depth, marked

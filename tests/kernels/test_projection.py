"""cabinet_depth (numba) against a plain numpy painter's algorithm."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.kernels.projection import cabinet_depth


def cabinet_depth_reference(solid, flagged, offsets, shift):
    nz, ny, nx = solid.shape
    depth = np.full((ny + shift, nx + shift), -1, np.int32)
    marked = np.zeros(depth.shape, bool)
    for k in range(nz - 1, -1, -1):          # far layers first, nearer ones drawn over them
        window = (slice(shift - offsets[k], shift - offsets[k] + ny), slice(shift - offsets[k], shift - offsets[k] + nx))
        depth[window][solid[k]] = k
        marked[window][solid[k]] = flagged[k][solid[k]]
    return depth, marked


@settings(max_examples=40, deadline=None)
@given(solid=arrays(bool, st.tuples(st.integers(1, 6), st.integers(1, 5), st.integers(1, 5))), data=st.data())
def test_matches_the_numpy_painter(solid, data):
    flagged = data.draw(arrays(bool, solid.shape))
    offsets = np.array([int(round(k * 0.5)) for k in range(solid.shape[0])], np.int64)
    shift = int(offsets.max())
    depth, marked = cabinet_depth(solid, flagged, offsets, shift)
    ref_depth, ref_marked = cabinet_depth_reference(solid, flagged, offsets, shift)
    np.testing.assert_array_equal(depth, ref_depth)
    np.testing.assert_array_equal(marked, ref_marked)


def test_the_nearest_layer_wins():
    solid = np.zeros((3, 2, 2), bool)
    solid[0, 0, 0] = solid[2, 0, 0] = True
    flagged = np.zeros_like(solid)
    flagged[2] = True
    depth, marked = cabinet_depth(solid, flagged, np.zeros(3, np.int64), 0)
    assert depth[0, 0] == 0 and not marked[0, 0]
    assert depth[1, 1] == -1

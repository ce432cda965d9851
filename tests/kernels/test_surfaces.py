"""Surface detection against numpy references."""

import numpy as np

from engine.kernels.surfaces import BONE_LEVEL, count_marrow_neighbours


def numpy_marrow_neighbours(b):
    bone = b >= BONE_LEVEL
    marrow = np.pad(~bone, 1, constant_values=False)  # outside the volume is not marrow
    count = np.zeros(b.shape, np.int8)
    core = (slice(1, -1),) * 3
    for axis in range(3):
        for shift in (-1, 1):
            count += np.roll(marrow, shift, axis=axis)[core]
    return np.where(bone, count, 0).astype(np.int8)


def test_counts_match_numpy_on_random_volume():
    b = (np.random.default_rng(0).random((10, 12, 14)) < 0.5).astype(np.float32)
    out = np.empty(b.shape, np.int8)
    count_marrow_neighbours(b, out)
    np.testing.assert_array_equal(out, numpy_marrow_neighbours(b))


def test_slab_surface_counts_its_marrow_faces():
    b = np.zeros((10, 6, 6), np.float32)
    b[3:7] = 1.0
    counts = np.empty(b.shape, np.int8)
    count_marrow_neighbours(b, counts)
    assert set(np.unique(counts[3])) == {1} and set(np.unique(counts[6])) == {1}
    assert np.all(counts[4:6] == 0) and np.all(counts[:3] == 0) and np.all(counts[7:] == 0)


def test_quiescent_surface_voxels_are_the_unlabelled_surface_in_order():
    from engine.kernels.surfaces import quiescent_surface_voxels
    rng = np.random.default_rng(1)
    b = rng.random((9, 11, 13)).astype(np.float32)
    label = np.where(rng.random(b.shape) < 0.3, rng.integers(1, 5, b.shape), 0).astype(np.int32)
    expected = np.flatnonzero((numpy_marrow_neighbours(b) > 0) & (label == 0))
    np.testing.assert_array_equal(quiescent_surface_voxels(b, label), expected)
    assert quiescent_surface_voxels(np.ones((3, 4, 5), np.float32), np.zeros((3, 4, 5), np.int32)).size == 0

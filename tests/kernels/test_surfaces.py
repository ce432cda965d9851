"""Surface detection against numpy references."""

import numpy as np

from engine.kernels.surfaces import BONE_LEVEL, count_marrow_neighbours, surface_normals


def numpy_marrow_neighbours(b):
    bone = b >= BONE_LEVEL
    marrow = np.pad(~bone, 1, constant_values=False)  # outside the volume is not marrow
    count = np.zeros(b.shape, np.int8)
    core = (slice(1, -1),) * 3
    for axis in range(3):
        for shift in (-1, 1):
            count += np.roll(marrow, shift, axis=axis)[core]
    return np.where(bone, count, 0).astype(np.int8)


def numpy_normals(b, counts):
    grads = np.gradient(b.astype(np.float64))  # central inside, one-sided at the edges, as the kernel
    g = -np.stack(grads)
    norm = np.sqrt((g**2).sum(axis=0))
    out = np.where(norm > 0, g / np.where(norm > 0, norm, 1), 0.0)
    return np.where(counts > 0, out, 0.0)


def test_counts_match_numpy_on_random_volume():
    b = (np.random.default_rng(0).random((10, 12, 14)) < 0.5).astype(np.float32)
    out = np.empty(b.shape, np.int8)
    count_marrow_neighbours(b, out)
    np.testing.assert_array_equal(out, numpy_marrow_neighbours(b))


def test_normals_match_numpy_on_smooth_volume():
    z, y, x = np.mgrid[0:16, 0:16, 0:16]
    b = np.clip(1.2 - np.sqrt((z - 7.5) ** 2 + (y - 7.5) ** 2 + (x - 7.5) ** 2) / 5.0, 0, 1).astype(np.float32)
    counts = np.empty(b.shape, np.int8)
    count_marrow_neighbours(b, counts)
    out = np.empty((3, *b.shape), np.float32)
    surface_normals(b, counts, out)
    np.testing.assert_allclose(out, numpy_normals(b, counts), atol=1e-6)


def test_slab_surface_normals_point_into_marrow():
    b = np.zeros((10, 6, 6), np.float32)
    b[3:7] = 1.0
    counts = np.empty(b.shape, np.int8)
    count_marrow_neighbours(b, counts)
    assert set(np.unique(counts[3])) == {1} and np.all(counts[4:6] == 0) and np.all(counts[:3] == 0)
    out = np.empty((3, *b.shape), np.float32)
    surface_normals(b, counts, out)
    np.testing.assert_allclose(out[0, 3], -1.0)  # lower face points down (−z)
    np.testing.assert_allclose(out[0, 6], 1.0)
    np.testing.assert_allclose(out[1:, 3], 0.0)

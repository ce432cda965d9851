"""Sorted index sets against numpy twins."""

import numpy as np
import pytest

from engine.kernels.index_sets import merge_sorted_unique, occupied_below


@pytest.mark.parametrize("n_known, n_new", [(0, 0), (0, 7), (50, 0), (300, 40), (5, 500)])
def test_merge_sorted_unique_is_the_sorted_union(n_known, n_new):
    rng = np.random.default_rng(n_known + n_new)
    known = np.unique(rng.integers(0, 400, n_known)).astype(np.int64)
    new = rng.integers(0, 400, n_new).astype(np.int64)  # repeats, and overlaps with known
    np.testing.assert_array_equal(merge_sorted_unique(known, new), np.union1d(known, new))


def test_occupied_below_is_the_numpy_mask():
    rng = np.random.default_rng(3)
    occupied = rng.integers(0, 3, 1000).astype(np.int16)
    values = rng.random(1000).astype(np.float32)
    indices = np.unique(rng.integers(0, 1000, 300)).astype(np.int64)
    expected = indices[(occupied[indices] > 0) & (values[indices] < 0.5)]
    np.testing.assert_array_equal(occupied_below(indices, occupied, values, 0.5), expected)
    assert occupied_below(indices[:0], occupied, values, 0.5).size == 0

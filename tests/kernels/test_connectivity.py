"""Marrow connectivity kernel against its twin: scipy's voxel labelling."""

import numpy as np
import pytest
from scipy import ndimage

from engine.kernels.connectivity import enclosed_runs


def enclosed_by_labels(bone: np.ndarray) -> np.ndarray:
    """Twin: label every marrow region (6-connected), keep those touching a face open; if none does, the
    largest."""
    labels, n = ndimage.label(bone < 1.0)
    if n == 0:
        return np.zeros(bone.shape, bool)
    faces = np.concatenate([labels[0].ravel(), labels[-1].ravel(), labels[:, 0].ravel(), labels[:, -1].ravel(),
                            labels[:, :, 0].ravel(), labels[:, :, -1].ravel()])
    open_region = np.zeros(n + 1, bool)
    open_region[faces] = True
    if not open_region[1:].any():
        sizes = np.bincount(labels.ravel(), minlength=n + 1)
        open_region[int(np.argmax(sizes[1:])) + 1] = True
    open_region[0] = True
    return ~open_region[labels]


def run(bone):
    out = np.empty(bone.shape, bool)
    reached = enclosed_runs(bone, out)
    return out, reached


@pytest.mark.parametrize("bone_share", [0.3, 0.55, 0.65, 0.75])
@pytest.mark.parametrize("shape", [(30, 25, 20), (7, 9, 31), (1, 6, 5), (12, 1, 9)])
def test_enclosed_runs_equal_the_labelled_regions(shape, bone_share):
    """Random bone (whole voxels and partly resorbed ones, which are marrow) around the percolation threshold,
    where regions are many and tortuous; the marrow that reaches a face is counted exactly."""
    rng = np.random.default_rng(hash((shape, bone_share)) % 2**32)
    bone = np.where(rng.random(shape) < bone_share, 1.0, rng.choice([0.0, 0.4, 0.99], size=shape)).astype(np.float32)
    expected = enclosed_by_labels(bone)
    out, reached = run(bone)
    np.testing.assert_array_equal(out, expected)
    assert reached == int(((bone < 1.0) & ~expected).sum())


def test_a_wrapped_volume_keeps_its_largest_region_and_reports_no_reach():
    bone = np.ones((8, 8, 8), np.float32)
    bone[2:6, 2:6, 2:6] = 0.0
    bone[1, 1, 1] = 0.0
    out, reached = run(bone)
    np.testing.assert_array_equal(out, enclosed_by_labels(bone))
    assert reached == 0 and out[1, 1, 1] and not out[2:6, 2:6, 2:6].any()


def test_all_bone_and_all_marrow():
    out, reached = run(np.ones((4, 5, 6), np.float32))
    assert not out.any() and reached == 0
    out, reached = run(np.zeros((4, 5, 6), np.float32))
    assert not out.any() and reached == 120

"""adsorb_to_surface against a plain numpy twin: weights 1 on quiescent exposed bone, `active_fold` on
exposed bone of a cavity or with osteoid, 0 elsewhere; the amount is shared in proportion."""

import numpy as np
import pytest

from engine.kernels.adsorption import adsorb_to_surface
from tests.kernels.test_remodeling import numpy_exposed, random_bone


def numpy_adsorb(bone, label, osteoid, bound, amount, active_fold):
    exposed = numpy_exposed(bone)
    weight = np.where(exposed, np.where((label != 0) | (osteoid > 0), active_fold, 1.0), 0.0)
    total = weight.sum()
    out = bound.astype(np.float64) + (weight * amount / total if total > 0 and amount > 0 else 0.0)
    return out, total


@pytest.mark.parametrize("amount", [0.0, 1.0, 123.4])
def test_adsorption_matches_numpy_and_conserves(amount):
    bone = random_bone(5)
    rng = np.random.default_rng(6)
    label = np.where(rng.random(bone.shape) < 0.2, 3, 0).astype(np.int32)
    osteoid = np.where(rng.random(bone.shape) < 0.1, 0.3 * bone, 0).astype(np.float32)
    bound = np.zeros(bone.shape, np.float32)
    expected, expected_total = numpy_adsorb(bone, label, osteoid, bound, amount, 5.0)
    total = adsorb_to_surface(bone, label, osteoid, bound, amount, 5.0)
    assert total == pytest.approx(expected_total)
    np.testing.assert_allclose(bound, expected, rtol=1e-5, atol=1e-9)
    assert bound.astype(np.float64).sum() == pytest.approx(amount, rel=1e-5)


def test_active_sites_take_up_more_per_voxel_and_buried_bone_none():
    bone = np.zeros((10, 10, 10), np.float32)
    bone[:5] = 1.0  # slab: the top layer z = 4 is exposed, z < 4 is buried
    label = np.zeros(bone.shape, np.int32)
    label[4, :5] = 7  # half of the surface is in a cavity
    osteoid = np.zeros_like(bone)
    bound = np.zeros_like(bone)
    adsorb_to_surface(bone, label, osteoid, bound, 100.0, 5.0)
    assert np.all(bound[:4] == 0)
    assert bound[4, 0, 0] == pytest.approx(5.0 * bound[4, 9, 9], rel=1e-5)
    assert bound.sum() == pytest.approx(100.0, rel=1e-5)

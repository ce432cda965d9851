"""The source-placement cache gives the answer of a fresh nearest-marrow search, through bone changes."""

import numpy as np
import pytest

from engine.grid.voxel_grid import VoxelGrid
from engine.kernels.source_cache import BLOCK, blocks_shape, update_marrow_mask
from engine.kernels.surfaces import BONE_LEVEL
from engine.scenario.biology import BiologyParameters
from engine.signalling import SignallingFields


def test_update_marrow_mask_flags_the_blocks_that_gained_marrow():
    """Numpy twin: the mask is bone < BONE_LEVEL outside `enclosed` (the kernel returns its count); a block is
    flagged when one of its voxels is marrow now and was not in the previous mask (losses flag nothing)."""
    rng = np.random.default_rng(3)
    shape = (9, 10, 11)  # not multiples of BLOCK: partial blocks at the upper edges
    before = rng.random(shape) < 0.5
    bone = rng.random(shape).astype(np.float32)
    enclosed = rng.random(shape) < 0.2
    mask = before.copy()
    gained = np.full(blocks_shape(shape), 7, np.uint8)
    n_marrow = update_marrow_mask(bone, enclosed, mask, gained)
    now = (bone < BONE_LEVEL) & ~enclosed
    np.testing.assert_array_equal(mask, now)
    assert n_marrow == now.sum()
    expected = np.zeros(blocks_shape(shape), np.uint8)
    for z, y, x in zip(*np.nonzero(now & ~before)):
        expected[z // BLOCK, y // BLOCK, x // BLOCK] = 1
    np.testing.assert_array_equal(gained, expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cached_source_voxels_equal_a_fresh_search_while_bone_changes(seed):
    """Days of random resorption (voxels become marrow) and formation (marrow becomes bone), osteocytes born and
    dying: every day the cached placement equals `nearest_marrow_voxels` of all osteocytes, and the cache
    searches only a part of them. The osteocytes come in creation order (ascending ids), except on some days
    (shuffled), which the cache must survive too."""
    rng = np.random.default_rng(seed)
    shape = (24, 24, 24)
    bone = np.where(rng.random(shape) < 0.7, 1.0, 0.0).astype(np.float32)
    bone[:, :, :4] = 0.0  # a marrow face
    grid = VoxelGrid.from_bone(bone, 10.0)
    sig = SignallingFields(grid, BiologyParameters(), 2, 1e-6, 500)
    positions = np.argwhere(grid.bone_fraction >= 1.0)[rng.choice(int((grid.bone_fraction >= 1.0).sum()), 300,
                                                                   replace=False)]
    ids = np.arange(len(positions))
    next_id = len(positions)
    searched = []
    for day in range(12):
        flat = rng.choice(grid.bone_fraction.size, 40, replace=False)
        grid.bone_fraction.ravel()[flat[:20]] = 0.2  # resorbed
        grid.bone_fraction.ravel()[flat[20:]] = 1.0  # formed
        keep = rng.random(len(positions)) > 0.05
        born = np.argwhere(grid.bone_fraction >= 1.0)[rng.choice(int((grid.bone_fraction >= 1.0).sum()), 10)]
        positions = np.concatenate([positions[keep], born])
        ids = np.concatenate([ids[keep], np.arange(next_id, next_id + len(born))])
        next_id += len(born)
        if day % 4 == 3:
            order = rng.permutation(len(ids))
            positions, ids = positions[order], ids[order]
        sig.refresh_geometry()
        calls = []
        search = sig.nearest_marrow_voxels
        sig.nearest_marrow_voxels = lambda p: (calls.append(len(p)), search(p))[1]
        cached = sig.source_voxels(positions, ids)
        del sig.nearest_marrow_voxels
        np.testing.assert_array_equal(cached, sig.nearest_marrow_voxels(positions))
        searched.append(sum(calls) / len(positions))
    assert searched[0] == 1.0 and np.mean(searched[1:]) < 0.5

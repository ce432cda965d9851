"""Remodeling kernels against plain numpy twins, and the conservation laws they must keep."""

import numpy as np
import pytest

from engine.kernels.remodeling import (deposit, is_exposed, mineralize, nearest_exposed, nearest_marrow, outward_normal,
                                       resorb_and_advance, resorb_ball, surface_phase_counts, volume_totals,
                                       deposit_many)
from engine.kernels.surfaces import BONE_LEVEL


def random_bone(seed=0, shape=(14, 15, 16)):
    rng = np.random.default_rng(seed)
    bone = (rng.random(shape) < 0.6).astype(np.float32)
    partial = rng.random(shape) < 0.15
    bone[partial] = rng.random(partial.sum()).astype(np.float32)
    return bone


def face_neighbour(mask):
    """numpy: is `mask` true at any in-volume face neighbour?"""
    out = np.zeros(mask.shape, bool)
    for axis in range(3):
        for shift in (1, -1):
            rolled = np.roll(mask, shift, axis=axis)
            edge = [slice(None)] * 3
            edge[axis] = 0 if shift == 1 else -1
            rolled[tuple(edge)] = False  # outside the volume is not marrow
            out |= rolled
    return out


def face_neighbour_below(bone):
    return face_neighbour(bone < BONE_LEVEL)


def numpy_exposed(bone):
    return (bone > 0) & ((bone < BONE_LEVEL) | face_neighbour_below(bone))


def numpy_resorb_ball(bone, mineral, centre, radius, volume, max_passes, bound=None):
    """Twin of resorb_ball: each pass shares what is left equally among the exposed voxels in the ball;
    bound drug (k, ...) leaves with the matrix like mineral. Returns bone, mineral, removed, bound, released."""
    bone, mineral = bone.astype(np.float64), mineral.astype(np.float64)
    bound = np.zeros((0, *bone.shape)) if bound is None else bound.astype(np.float64)
    released = np.zeros(bound.shape[0])
    z, y, x = np.indices(bone.shape)
    ball = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2 <= radius**2
    remaining, removed = volume, 0.0
    for _ in range(max_passes):
        cand = ball & numpy_exposed(bone)
        if remaining <= 1e-12 or not cand.any():
            break
        share = remaining / cand.sum()
        take = np.where(cand, np.minimum(bone, share), 0.0)
        take = np.where(cand & (bone - take < 1e-6), bone, take)
        keep = np.where(bone > 0, (bone - take) / np.where(bone > 0, bone, 1), 1.0)
        mineral *= keep
        released += (bound * (1.0 - keep)).reshape(bound.shape[0], -1).sum(axis=1)
        bound *= keep
        bone -= take
        removed += take.sum()
        remaining -= take.sum()
    return bone, mineral, removed, bound, released


def no_drug(shape):
    return np.zeros((0, *shape), np.float32), np.zeros(0)


def test_is_exposed_matches_numpy():
    bone = random_bone()
    got = np.array([[[is_exposed(bone, z, y, x) for x in range(bone.shape[2])] for y in range(bone.shape[1])]
                    for z in range(bone.shape[0])])
    assert np.array_equal(got, numpy_exposed(bone))


def numpy_outward_normal(bone, z, y, x):
    """−∇bone over the 3×3×3 neighbourhood, indices clamped at the volume edge, normalised (0 if flat)."""
    n = np.array(bone.shape)
    g = np.zeros(3)
    for d in np.ndindex(3, 3, 3):
        offset = np.array(d) - 1
        idx = np.clip(np.array([z, y, x]) + offset, 0, n - 1)
        g -= offset * float(bone[tuple(idx)])
    norm = np.linalg.norm(g)
    return tuple(g / norm) if norm > 0 else (0.0, 0.0, 0.0)


def numpy_nearest_exposed(bone, point, search):
    """The exposed voxel nearest to `point` in the box of half-width `search` (first in z, y, x order on ties)."""
    centre = np.round(point).astype(int)
    lo = np.maximum(centre - search, 0)
    hi = np.minimum(centre + search + 1, bone.shape)
    zz, yy, xx = np.meshgrid(*(np.arange(a, b) for a, b in zip(lo, hi)), indexing="ij")
    d = (zz - point[0]) ** 2 + (yy - point[1]) ** 2 + (xx - point[2]) ** 2
    exposed = numpy_exposed(bone)[zz, yy, xx]
    if not exposed.any():
        return (-1, -1, -1)
    k = np.argmin(np.where(exposed, d, np.inf))
    return (int(zz.ravel()[k]), int(yy.ravel()[k]), int(xx.ravel()[k]))


def test_outward_normal_matches_numpy():
    bone = random_bone()
    rng = np.random.default_rng(5)
    for z, y, x in rng.integers(0, bone.shape, size=(60, 3)):
        np.testing.assert_allclose(outward_normal(bone, z, y, x), numpy_outward_normal(bone, z, y, x), atol=1e-12)
    slab = np.zeros((8, 8, 8), np.float32)
    slab[:4] = 1.0
    np.testing.assert_allclose(outward_normal(slab, 3, 4, 4), (1.0, 0.0, 0.0))  # into the marrow above


def test_nearest_exposed_matches_numpy():
    bone = random_bone()
    rng = np.random.default_rng(6)
    for point in rng.uniform(0, min(bone.shape) - 1, size=(60, 3)):
        for search in (1, 3):
            got = nearest_exposed(bone, float(point[0]), float(point[1]), float(point[2]), search)
            assert tuple(int(v) for v in got) == numpy_nearest_exposed(bone, point, search)
    assert tuple(nearest_exposed(np.zeros((5, 5, 5), np.float32), 2.0, 2.0, 2.0, 2)) == (-1, -1, -1)


@pytest.mark.parametrize("volume", [0.5, 7.0, 40.0, 500.0])
def test_resorb_ball_matches_numpy_and_conserves(volume):
    bone = random_bone(1)
    mineral = (bone * 0.8).astype(np.float32)
    osteoid = np.zeros_like(bone)
    label = np.zeros(bone.shape, np.int32)
    touched = np.empty(2000, np.int64)
    rng = np.random.default_rng(4)
    bound = (rng.random((2, *bone.shape)) * (bone > 0)).astype(np.float32)  # two drugs bound to the bone
    ref_bone, ref_mineral, ref_removed, ref_bound, ref_released = numpy_resorb_ball(bone, mineral, (7, 7, 8), 3.0,
                                                                                    volume, 16, bound)
    before = bone.astype(np.float64).sum()
    bound_before = bound.astype(np.float64).sum(axis=(1, 2, 3))
    released = np.zeros(2)
    removed, removed_mineral, n_touched, footprint = resorb_ball(bone, mineral, osteoid, label, 5, 7, 7, 8, 3.0,
                                                                 volume, 16, touched, bound, released)
    np.testing.assert_allclose(bone, ref_bone, atol=1e-6)
    np.testing.assert_allclose(mineral, ref_mineral, atol=1e-6)
    np.testing.assert_allclose(bound, ref_bound, atol=1e-6)
    np.testing.assert_allclose(released, ref_released, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(bound_before - bound.astype(np.float64).sum(axis=(1, 2, 3)), released, rtol=1e-4)
    assert removed == pytest.approx(ref_removed, rel=1e-6)
    assert removed <= volume + 1e-9
    assert before - bone.astype(np.float64).sum() == pytest.approx(removed, rel=1e-5)  # matrix conserved
    assert removed_mineral == pytest.approx(0.8 * removed, rel=1e-5)  # mineral leaves with its matrix
    assert set(touched[:n_touched]) == set(np.flatnonzero(label.ravel() == 5))
    assert 0 <= footprint <= n_touched


def test_resorption_deepens_from_the_surface_only():
    """A flat bone slab: resorption removes the top layer before reaching the next one."""
    bone = np.zeros((12, 12, 12), np.float32)
    bone[:6] = 1.0  # bone below z = 6, marrow above
    mineral, osteoid, label = bone.copy(), np.zeros_like(bone), np.zeros(bone.shape, np.int32)
    touched = np.empty(3000, np.int64)
    removed, _, _, footprint = resorb_ball(bone, mineral, osteoid, label, 1, 5, 6, 6, 3.0, 10.0, 16, touched,
                                           *no_drug(bone.shape))
    assert removed == pytest.approx(10.0)
    assert np.all(bone[:4] == 1.0)  # two layers down nothing is touched yet
    assert footprint > 0


@pytest.mark.parametrize("with_pockets", [False, True], ids=["no-mask", "enclosed-mask"])
def test_nearest_marrow_matches_brute_force(with_pockets):
    """Against a brute-force search; with an `enclosed` mask its voxels are not marrow (pockets counted as
    bone), as the caller's transport bone fraction counts them."""
    bone = random_bone(2)
    rng = np.random.default_rng(3)
    pos = rng.integers(0, bone.shape, size=(200, 3)).astype(np.int64)
    bone[:, :, :9] = np.maximum(bone[:, :, :9], 0.9)  # deep bone: some positions find nothing within 4
    enclosed = rng.random(bone.shape) < 0.3 if with_pockets else np.zeros((0, 0, 0), bool)
    out = np.empty_like(pos)
    nearest_marrow(bone, enclosed, pos, 4, out)
    seen = np.where(enclosed, np.float32(1.0), bone) if with_pockets else bone
    marrow = np.argwhere(seen < BONE_LEVEL)
    for p, o in zip(pos, out):
        d2 = ((marrow - p) ** 2).sum(axis=1)
        inside = np.abs(marrow - p).max(axis=1) <= 4
        if not inside.any():
            assert tuple(o) == (-1, -1, -1)
            continue
        best = d2[inside].min()
        assert ((o - p) ** 2).sum() == best and seen[tuple(o)] < BONE_LEVEL
        # ties: the first in z, y, x order (argwhere lists voxels in that order)
        assert tuple(o) == tuple(marrow[inside & (d2 == best)][0])


def numpy_deposit(bone, cavity, volume, max_passes):
    bone = bone.astype(np.float64)
    in_cav = np.zeros(bone.shape, bool)
    in_cav.ravel()[cavity] = True
    remaining = volume
    for _ in range(max_passes):
        cand = in_cav & (bone < 1.0) & ((bone > 0) | face_neighbour_above(bone))
        if remaining <= 1e-12 or not cand.any():
            break
        share = remaining / cand.sum()
        add = np.where(cand, np.minimum(1.0 - bone, share), 0.0)
        bone += add
        remaining -= add.sum()
    return bone, volume - remaining


def face_neighbour_above(bone):
    return face_neighbour(bone >= BONE_LEVEL)


@pytest.mark.parametrize("volume", [1.0, 25.0, 1000.0])
def test_deposit_matches_numpy_fills_floor_first_and_stops_when_full(volume):
    bone = np.zeros((10, 10, 10), np.float32)
    bone[:5] = 1.0
    bone[3:5, 3:7, 3:7] = 0.0  # a cavity two voxels deep
    cavity = np.flatnonzero((np.indices(bone.shape)[0] >= 3) & (np.indices(bone.shape)[0] < 5)
                            & (bone == 0).astype(bool) & (np.abs(np.indices(bone.shape)[1] - 4.5) < 2)
                            & (np.abs(np.indices(bone.shape)[2] - 4.5) < 2))
    ref_bone, ref_laid = numpy_deposit(bone, cavity, volume, 16)
    osteoid = np.zeros_like(bone)
    formed = np.zeros(bone.shape, np.bool_)
    before = bone.copy()
    laid = deposit(bone, osteoid, formed, cavity, volume, 16)
    assert np.array_equal(formed, bone > before)
    assert laid == pytest.approx(ref_laid, rel=1e-6)
    np.testing.assert_allclose(bone, ref_bone, atol=1e-6)
    np.testing.assert_allclose(osteoid.sum(), laid, rtol=1e-5)
    assert laid <= min(volume, cavity.size) + 1e-6
    if volume == 1.0:
        # matrix goes onto bone (floor and walls), never into the middle of the cavity's upper layer
        assert np.all(bone[4, 4:6, 4:6] == 0) and bone[3, 3:7, 3:7].sum() > bone[4, 3:7, 3:7].sum()


def test_mineralize_matches_closed_form():
    """One voxel of osteoid: lag (exponential, mean L), then primary toward f·M and secondary toward M."""
    L, f, tp, ts = 17.0, 0.6, 5.0, 1095.0
    bone = np.ones((1, 1, 1), np.float32)
    osteoid, mineral = bone.copy(), np.zeros_like(bone)
    m_ref, o_ref = 0.0, 1.0
    for _ in range(120):
        mineralize(bone, osteoid, mineral, 1.0, L, f, tp, ts, 1.0)
        o_ref *= np.exp(-1.0 / L)
        mat = 1.0 - o_ref
        if m_ref < f * mat:
            m_ref += (f * mat - m_ref) * (1 - np.exp(-1.0 / tp))
        m_ref += (mat - m_ref) * (1 - np.exp(-1.0 / ts))
    assert float(mineral[0, 0, 0]) == pytest.approx(m_ref, rel=1e-5)
    assert float(osteoid[0, 0, 0]) == pytest.approx(o_ref, rel=1e-4)


def test_mineralize_leaves_mature_bone_and_marrow_alone():
    bone = np.array([[[0.0, 1.0, 0.5]]], np.float32)
    osteoid = np.zeros_like(bone)
    mineral = bone.copy()
    mineralize(bone, osteoid, mineral, 1.0, 17.0, 0.6, 5.0, 1095.0, 1.0)
    np.testing.assert_array_equal(mineral, bone)


@pytest.mark.parametrize("shape", [(14, 15, 16), (9, 10, 13), (5, 6, 3)])  # rows of whole and partial 8-voxel words
def test_surface_phase_counts_matches_numpy(shape):
    bone = random_bone(4, shape)
    rng = np.random.default_rng(5)
    label = rng.integers(0, 4, bone.shape).astype(np.int32) * (rng.random(bone.shape) < 0.2)
    phase_of_label = np.array([0, 1, 3, 2], np.int8)
    counts = np.zeros(5, np.int64)
    surface_phase_counts(bone, label, phase_of_label, counts)
    surface = (bone >= BONE_LEVEL) & face_neighbour_below(bone)
    phase = phase_of_label[label]
    best = phase.copy()
    for axis in range(3):
        for shift in (1, -1):
            rolled = np.roll(phase, shift, axis=axis)
            edge = [slice(None)] * 3
            edge[axis] = 0 if shift == 1 else -1
            rolled[tuple(edge)] = 0
            best = np.maximum(best, rolled)
    expected = np.bincount(best[surface], minlength=5)
    np.testing.assert_array_equal(counts, expected)


def test_osteoclast_walks_along_a_flat_surface_and_digs_a_trench():
    bone = np.zeros((16, 20, 40), np.float32)
    bone[:8] = 1.0
    mineral, osteoid, label = bone.copy(), np.zeros_like(bone), np.zeros(bone.shape, np.int32)
    pos = np.array([[8.0, 10.0, 5.0]])
    heading = np.array([[0.0, 0.0, 1.0]])
    n = 1
    touched = np.empty((n, 2000), np.int64)
    out = [np.zeros(n, np.int64), np.zeros(n), np.zeros(n), np.zeros(n, np.int64), np.zeros(n, np.bool_)]
    bound = np.zeros((1, *bone.shape), np.float32)
    bound[0, 7] = 1.0  # one drug on the top layer of the slab only
    released = np.zeros((n, 1))
    total = total_released = 0.0
    for _ in range(20):
        resorb_and_advance(bone, mineral, osteoid, label, pos, heading, np.array([1], np.int32), np.array([6.0]),
                           np.zeros((n, 3)), 3.0, 1.0, 6, 16, touched, *out, bound, released)
        total += out[1][0]
        total_released += released[0, 0]
        assert out[4][0]
    assert 20 * 40 - bound.astype(np.float64).sum() == pytest.approx(total_released, rel=1e-4)  # drug conserved
    assert 0 < total_released < total  # only the surface layer carried drug
    assert pos[0, 2] == pytest.approx(25.0, abs=1.5)  # 1 voxel/day along x
    assert heading[0, 2] > 0.9  # keeps its direction along the surface (tilted only by its own trench)
    assert 8 * 20 * 40 - bone.astype(np.float64).sum() == pytest.approx(total, rel=1e-5)
    dug = label == 1
    assert dug[:, :, 5:25].any() and not dug[:, :, 32:].any()


def test_volume_totals_match_numpy_sums():
    bone = random_bone(4)
    mineral = (bone * np.random.default_rng(5).random(bone.shape)).astype(np.float32)
    totals = np.empty(2)
    volume_totals(bone, mineral, totals)
    np.testing.assert_allclose(totals, [bone.sum(dtype=np.float64), mineral.sum(dtype=np.float64)], rtol=1e-12)


def test_deposit_many_equals_one_deposit_per_bmu_in_order():
    """Overlapping cavities: the batched call must see what an earlier BMU laid, as sequential calls do."""
    base = random_bone(6)
    rng = np.random.default_rng(7)
    cavities = [rng.choice(base.size, size=60, replace=False) for _ in range(3)]
    cavities[1][:20] = cavities[0][:20]  # shared voxels
    volumes = np.array([5.0, 9.0, 3.5])
    arrays = [(base.copy(), np.zeros_like(base), np.zeros(base.shape, np.bool_)) for _ in range(2)]
    one_by_one = [deposit(*arrays[0], c.astype(np.int64), v, 8) for c, v in zip(cavities, volumes)]
    offsets = np.concatenate([[0], np.cumsum([c.size for c in cavities])]).astype(np.int64)
    laid = np.zeros(3)
    deposit_many(*arrays[1], np.concatenate(cavities).astype(np.int64), offsets, volumes, 8, laid)
    np.testing.assert_array_equal(laid, one_by_one)
    for a, b in zip(*arrays):
        np.testing.assert_array_equal(a, b)

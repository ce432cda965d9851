"""SignallingFields on a small grid: the steady state keeps the global balance, binding follows the drug."""

import numpy as np

from engine.grid.voxel_grid import VoxelGrid
from engine.scenario.biology import BiologyParameters
from engine.signalling import SignallingFields, enclosed_marrow
from engine.units import AVOGADRO_PER_MOL, UM3_PER_LITRE


def _fields(factor=2, kd=0.003):
    bone = np.zeros((16, 16, 16), np.float32)
    bone[:6] = 1.0
    grid = VoxelGrid.from_bone(bone, 10.0)
    return grid, SignallingFields(grid, BiologyParameters(), factor, 1e-10, 5000, drug_kd_nM=kd)


def test_total_rankl_balances_secretion_and_decay():
    """With no-flux boundaries, k·∫c dV = ∫s dV: the marrow-mean total equals secretion / (k · marrow volume)."""
    grid, sig = _fields()
    b = BiologyParameters()
    positions = np.array([[5, 3, 3], [5, 12, 9], [2, 8, 8]])
    rankl = np.full(3, 1e6)
    sig.update(positions, np.arange(3), rankl, rankl * 0.5)
    marrow_litre = float(grid.marrow_fraction().sum()) * grid.voxel_size_um**3 / UM3_PER_LITRE
    expected_nM = rankl.sum() / AVOGADRO_PER_MOL / b.rankl_decay_per_day / marrow_litre * 1e9
    total = float((sig.rankl_total_nM * sig.marrow).sum() / sig.marrow.sum())
    assert abs(total / expected_nM - 1) < 1e-6
    # sources reach the marrow next to their osteocytes: the field is highest at the surface above them
    assert sig.rankl_total_nM[3, 1, 1] > sig.rankl_total_nM[7, 7, 7]


def test_binding_follows_the_drug_field_and_occupancy_is_read_in_the_marrow_around():
    _, sig = _fields()
    sig.update(np.array([[5, 8, 8]]), np.array([0]), np.array([1e6]), np.array([1e6]))
    free_before = sig.marrow_mean("rankl_nM")
    sig.drug_total_nM.fill(1.0)  # 1 nM of a binder with K_D 3 pM
    sig.rebind()
    assert sig.marrow_mean("rankl_nM") < 0.01 * free_before and sig.marrow_mean("rankl_drug_nM") > 0
    # cells at the bone read the marrow-weighted mean over the 3x3x3 field cells around their own
    occupancy, marrow = sig.coarse["rank_occupancy"], sig.marrow

    def around(cz, cy, cx):
        block = tuple(slice(max(c - 1, 0), c + 2) for c in (cz, cy, cx))
        return (occupancy[block] * marrow[block]).sum() / marrow[block].sum()

    z, y, x = np.array([7, 12]), np.array([3, 9]), np.array([3, 15])
    np.testing.assert_allclose(sig.occupancy_at(z, y, x), [around(3, 1, 1), around(6, 4, 7)], rtol=1e-12)
    assert sig.local_rank_occupancy((7, 3, 3)) == sig.occupancy_at(np.array([7]), np.array([3]), np.array([3]))[0]
    assert sig.local_rank_occupancy((5, 3, 3)) > 0  # a voxel in bone (z < 6) next to marrow reads that marrow


def test_sources_deeper_than_the_local_search_reach_the_nearest_marrow():
    """An osteocyte 20 voxels inside a slab (beyond the 12-voxel local search) still gets the nearest marrow voxel."""
    bone = np.zeros((32, 8, 8), np.float32)
    bone[:24] = 1.0
    grid = VoxelGrid.from_bone(bone, 10.0)
    sig = SignallingFields(grid, BiologyParameters(), 2, 1e-6, 500)
    out = sig.nearest_marrow_voxels(np.array([[3, 5, 6], [23, 2, 2]]))
    np.testing.assert_array_equal(out, [[24, 5, 6], [24, 2, 2]])


def test_enclosed_pockets_count_as_bone_for_sources_and_transport():
    """A marrow pocket closed off inside bone exchanges with nothing: a source beside it must reach the open
    marrow, and the pocket holds no field; marrow touching a face of the volume stays open."""
    bone = np.zeros((16, 16, 16), np.float32)
    bone[:10] = 1.0
    bone[4:6, 6:8, 6:8] = 0.3  # a pocket enclosed by bone (2x2x2 voxels, mostly marrow)
    bone[4:6, 0:2, 6:8] = 0.0  # a pocket cut by the volume's y = 0 face: open (it continues outside)
    expected = np.zeros(bone.shape, bool)
    expected[4:6, 6:8, 6:8] = True
    np.testing.assert_array_equal(enclosed_marrow(bone), expected)
    grid = VoxelGrid.from_bone(bone, 10.0)
    sig = SignallingFields(grid, BiologyParameters(), 2, 1e-10, 5000)
    # an osteocyte next to the pocket: its nearest marrow is the open surface above (z = 10), not the pocket
    assert tuple(sig.nearest_marrow_voxels(np.array([[4, 8, 6]]))[0]) == (10, 8, 6)
    sig.update(np.array([[4, 8, 6]]), np.array([0]), np.array([1e6]), np.array([1e6]))
    assert sig.marrow[2, 3, 3] == 0.0 and sig.rankl_total_nM[2, 3, 3] == 0.0  # the pocket's field cell
    assert sig.marrow[2, 0, 3] > 0.0  # the face pocket's cell is marrow


def test_a_volume_wrapped_in_bone_keeps_its_largest_marrow_region_open():
    bone = np.ones((8, 8, 8), np.float32)
    bone[2:6, 2:6, 2:6] = 0.0
    bone[1, 1, 1] = 0.0
    enclosed = enclosed_marrow(bone)
    assert not enclosed[2:6, 2:6, 2:6].any() and enclosed[1, 1, 1]

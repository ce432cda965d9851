"""Synthetic trabecular bone meets the requested BV/TV and Tb.Th (±10 %, the promise to users)."""

import numpy as np
import pytest

from engine.grid.measure import bone_volume_fraction, trabecular_thickness_um
from engine.grid.synthetic import GeometryError, synthetic_trabecular
from engine.grid.voxel_grid import VoxelGrid, build_grid, load_micro_ct
from engine.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("shape, voxel_um, bv_tv, tb_th_um, seed", [
    ((100, 100, 100), 10.0, 0.20, 130.0, 7),   # the default scenario's bone
    ((80, 80, 80), 10.0, 0.25, 150.0, 3),      # premenopausal scenario
    ((60, 60, 60), 10.0, 0.15, 70.0, 1),
    ((50, 50, 50), 20.0, 0.14, 120.0, 5),      # coarse voxels
])
def test_requested_bv_tv_and_thickness(shape, voxel_um, bv_tv, tb_th_um, seed):
    bone = synthetic_trabecular(shape, voxel_um, bv_tv, tb_th_um, seed)
    assert bone.dtype == np.float32 and bone.shape == shape
    # BV/TV is set by a quantile: exact up to ties, 1 %
    assert bone_volume_fraction(bone) == pytest.approx(bv_tv, rel=0.01)
    assert trabecular_thickness_um(bone, voxel_um) == pytest.approx(tb_th_um, rel=0.10)


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = synthetic_trabecular((40, 40, 40), 10.0, 0.2, 60.0, 1)
    b = synthetic_trabecular((40, 40, 40), 10.0, 0.2, 60.0, 1)
    c = synthetic_trabecular((40, 40, 40), 10.0, 0.2, 60.0, 2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_unreachable_thickness_gives_clear_error():
    with pytest.raises(GeometryError, match="trabecular_thickness_um = 300.*enlarge geometry.volume_size_um"):
        synthetic_trabecular((20, 20, 20), 10.0, 0.2, 300.0, 1, max_evaluations=5)


def test_micro_ct_scenario_loads_the_array():
    loaded = load_scenario(SCENARIOS / "microct_example.yaml")
    grid = build_grid(loaded.scenario, loaded.base_dir)
    raw = np.load(SCENARIOS / "data" / "example_trabecular_40.npy")
    assert grid.shape == raw.shape
    assert np.array_equal(grid.bone_fraction > 0.5, raw)
    assert np.array_equal(grid.mineral_fraction, grid.bone_fraction)  # by tissue age later, in BoneModel


def test_micro_ct_threshold_on_grey_values(tmp_path):
    grey = np.linspace(0, 1000, 4 * 4 * 4).reshape(4, 4, 4)
    path = tmp_path / "grey.npy"
    np.save(path, grey)
    assert load_micro_ct(path, 500.0).sum() == (grey >= 500).sum()


def test_grid_arrays_are_float32_and_named():
    grid = VoxelGrid.from_bone(np.ones((4, 4, 4)), 10.0, 0.85)
    for name in ("bone_fraction", "mineral_fraction", "osteoid_fraction", "rankl_nM", "opg_nM", "rankl_opg_nM",
                 "rank_occupancy"):
        assert grid.array(name).dtype == np.float32 and grid.array(name).shape == (4, 4, 4)
    assert grid.array("bmu_label").dtype == np.int32
    assert grid.total_volume_mm3 == pytest.approx(64 * 1e-6)

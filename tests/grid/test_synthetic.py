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


def _example_volume():
    return np.load(SCENARIOS / "data" / "example_trabecular_40.npy")


def _micro_ct_scenario(tmp_path, path: str, voxel_um: float = 10):
    from engine.scenario.loader import scenario_from_dict
    data = {"duration_days": 5, "patient": {"sex": "female", "age_years": 60, "years_since_menopause": 5},
            "geometry": {"voxel_size_um": voxel_um, "structure": {"type": "micro_ct", "path": path}}}
    return scenario_from_dict(data, base_dir=tmp_path)


def test_a_tiff_stack_with_imagej_calibration_builds_the_same_grid_as_the_npy(tmp_path):
    import tifffile
    raw = _example_volume().astype(np.uint8) * 255
    tifffile.imwrite(tmp_path / "stack.tif", raw, imagej=True, resolution=(1 / 10.0, 1 / 10.0),
                     metadata={"spacing": 10.0, "unit": "micron"})
    (tmp_path / "slices").mkdir()
    for z, plane in enumerate(raw):
        tifffile.imwrite(tmp_path / "slices" / f"slice_{z:03d}.tif", plane)
    expected = build_grid(load_scenario(SCENARIOS / "microct_example.yaml").scenario, SCENARIOS).bone_fraction
    for path in ("stack.tif", "slices"):
        loaded = _micro_ct_scenario(tmp_path, path)
        assert loaded.scenario.geometry.volume_size_um is None
        grid = build_grid(loaded.scenario, tmp_path)
        np.testing.assert_array_equal(grid.bone_fraction, expected)


def test_a_tiff_calibration_that_disagrees_with_voxel_size_is_refused(tmp_path):
    import tifffile
    from engine.scenario.loader import ScenarioError
    tifffile.imwrite(tmp_path / "stack.tif", _example_volume().astype(np.uint8), imagej=True,
                     resolution=(1 / 12.5, 1 / 12.5), metadata={"spacing": 12.5, "unit": "um"})
    with pytest.raises(ScenarioError, match="voxel_size_um = 10.0: does not match the µCT file's calibration "
                                            r"\(12.5 µm per voxel in stack.tif\); set voxel_size_um: 12.5"):
        _micro_ct_scenario(tmp_path, "stack.tif")

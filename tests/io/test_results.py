"""End to end: a short run writes results.h5 that plain h5py can read, and `inspect` summarises it."""

import h5py
import numpy as np
import pytest

from engine.io.inspect import InspectError, summarize
from engine.readouts import READOUTS
from engine.runner import run
from engine.scenario import load_scenario
from engine.skeleton.patient import SKELETON_READOUTS, SkeletonModel


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from tests.conftest import SMALL_SCENARIO
    folder = tmp_path_factory.mktemp("run")
    path = folder / "small.yaml"
    path.write_text(SMALL_SCENARIO)
    loaded = load_scenario(path)
    summary = run(loaded, out_dir=folder / "out", progress=False, log=lambda m: None)
    return loaded, summary


def test_timeseries_rows_units_and_values(results):
    loaded, summary = results
    with h5py.File(summary.results_path, "r") as f:
        ts = f["timeseries"]
        assert list(ts["day"][...]) == [0, 1, 2, 3, 4, 5]
        for name in READOUTS:
            assert name in ts, name
            assert ts[name].shape == (6,)
            assert ts[name].attrs["units"] == READOUTS[name][0]
        assert np.all(ts["bv_tv"][...] == pytest.approx(0.25, rel=0.01))
        assert np.all(ts["free_rankl_nM"][...] > 0)
        assert ts["biopsy_bmd_change_pct"][0] == 0.0
        # the patient-level readouts are the whole-skeleton layer's: a run without agents gives the same curves
        alone = SkeletonModel(loaded.scenario)
        alone.spin_up()
        rows = [alone.skeleton.readouts()]
        for _ in range(5):
            alone.step()
            rows.append(alone.skeleton.readouts())
        for name in SKELETON_READOUTS:
            np.testing.assert_array_equal(ts[name][...], [r[name] for r in rows], err_msg=name)
        assert ts["n_osteocytes"].dtype.kind == "i"


def test_snapshots_scenario_and_provenance(results):
    loaded, summary = results
    with h5py.File(summary.results_path, "r") as f:
        assert list(f["snapshots/day"][...]) == [0, 2, 4, 5]  # cadence 2 plus the last day
        bone = f["snapshots/bone_fraction"]
        assert bone.shape == (4, 24, 24, 24) and bone.attrs["units"] == "1" and bone.compression == "gzip"
        assert f["snapshots/rankl_nM"].attrs["units"] == "nmol/L"
        assert bone.dims[0][0].name == "/snapshots/day"
        assert f["scenario"].attrs["yaml"] == loaded.text
        assert f.attrs["seed"] == 3 and f.attrs["engine_version"]
        table = f["scenario/biology_parameters"][...]
        names = [n.decode() for n in table["name"]]
        assert "rankl_decay_per_day" in names and all(s for s in table["source"])
        ocy = f["agents/osteocytes"][...]
        assert set(ocy["day"]) == {0, 2, 4, 5}
        # osteocytes do not move: positions at day 0 equal positions at day 5
        d0, d5 = ocy[ocy["day"] == 0], ocy[ocy["day"] == 5]
        assert np.array_equal(d0[["unique_id", "z", "y", "x"]], d5[["unique_id", "z", "y", "x"]])
        # the snapshot field is the voxel view of the solved field: zero in bone, positive in marrow
        rankl = f["snapshots/rankl_nM"][-1]
        b = f["snapshots/bone_fraction"][-1]
        assert np.all(rankl[b >= 1] == 0) and np.all(rankl[b == 0] > 0)


def test_inspect_lists_datasets_with_units(results):
    _, summary = results
    text = summarize(summary.results_path)
    assert "day 0 .. 5  (6 rows)" in text
    assert "free_rankl_nM" in text and "nmol/L" in text
    assert "female, 62.0 y, 10.0 y since menopause" in text
    assert "bone_fraction" in text and "(time, z, y, x)" in text


@pytest.mark.parametrize("content, message", [(None, "file not found"), (b"hello", "not an HDF5 file")])
def test_inspect_errors(tmp_path, content, message):
    path = tmp_path / "x.h5"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InspectError, match=message):
        summarize(path)


def test_inspect_foreign_hdf5(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["a"] = 1
    with pytest.raises(InspectError, match="not a bmu results file"):
        summarize(path)

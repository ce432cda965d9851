"""A run with BMUs: /bmus table in results.h5, timeseries.png next to it, and `bmu plot` as a user runs it."""

import h5py
import numpy as np
import pytest

from engine.runner import run
from tests.test_cli import bmu
from tests.validation.ensemble import POSTMENOPAUSAL, TEMPLATE


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bmus")
    path = folder / "biopsy.yaml"
    path.write_text(TEMPLATE.format(seed=4, days=20, size_um=600, patient=POSTMENOPAUSAL))
    from engine.scenario import load_scenario
    loaded = load_scenario(path)
    return run(loaded, out_dir=folder / "out", progress=False, log=lambda m: None)


def test_bmus_table_records_whole_cycles(finished_run):
    with h5py.File(finished_run.results_path, "r") as f:
        table = f["bmus"][...]
        ts = f["timeseries"]
        assert len(table) > 0  # BMUs that finished during the 400-day spin-up and after
        assert np.all(table["ended_day"] > table["started_day"])
        assert np.all(table["started_day"] < 0)  # began in the spin-up (before day 0)
        assert np.all(table["erosion_depth_um"] > 0) and np.all(table["wall_thickness_um"] > 0)
        for name in ("biopsy_ctx_change_pct", "biopsy_p1np_change_pct", "eroded_surface_pct", "n_osteoclast_nuclei"):
            assert name in ts and ts[name].attrs["units"]
        assert ts["biopsy_bmd_change_pct"][0] == 0.0


def test_run_writes_the_plot_and_bmu_plot_redraws_it(finished_run, tmp_path):
    assert finished_run.plot_path.exists() and finished_run.plot_path.stat().st_size > 10_000
    out = tmp_path / "again.png"
    done = bmu("plot", finished_run.results_path, "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_of_a_missing_or_foreign_file_is_a_clear_error(tmp_path):
    done = bmu("plot", tmp_path / "nope.h5")
    assert done.returncode == 2 and "no such file" in done.stderr and "Traceback" not in done.stderr
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    done = bmu("plot", other)
    assert done.returncode == 2 and "/timeseries/day" in done.stderr

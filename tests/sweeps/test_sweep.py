"""bmu sweep: the file's problems in one line each, the designs' sizes, the analysis on a known function, and a
small grid sweep end to end on an in-process Dask worker."""

import numpy as np
import pandas as pd
import pytest

from engine.sweeps.design import analyze, design, runs_needed
from engine.sweeps.run import SweepError, load_sweep, run_sweep
from engine.sweeps.schema import Sweep
from tests.conftest import REPO

BASE = """\
name: s
base_scenario: {base}
solver: skeleton
duration_days: 30
method: grid
parameters:
  - {{key: biology.activation_per_mm2_per_year, values: [5.0, 10.0]}}
  - {{key: patient.age_years, values: [60, 80]}}
outputs: [serum_ctx_change_pct, lumbar_spine_bmd_change_pct]
"""


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text.format(base=REPO / "scenarios" / "default.yaml"))
    return path


@pytest.mark.parametrize("change, says", [
    (("biology.activation_per_mm2_per_year", "biology.activation_per_mm2"), "did you mean 'biology.activation_per_mm2_per_year'"),
    (("outputs: [serum_ctx_change_pct", "outputs: [bv_tv"), "outputs[0] = 'bv_tv': not a readout of solver skeleton"),
    (("values: [60, 80]", "values: [60, 130]"), "parameters[1] (patient.age_years) = 130"),
    (("method: grid", "method: sobol"), "method sobol needs low and high"),
])
def test_problems_are_one_line_each_naming_the_key(tmp_path, change, says):
    with pytest.raises(SweepError) as err:
        load_sweep(write(tmp_path, BASE.replace(*change)))
    assert says in str(err.value) and "Traceback" not in str(err.value)


def _sweep(method, samples=8):
    return Sweep.model_validate({"name": "x", "base_scenario": "b.yaml", "method": method, "samples": samples,
                                 "parameters": [{"key": "biology.activation_per_mm2_per_year", "low": 0.0, "high": 1.0},
                                                {"key": "patient.age_years", "low": 0.0, "high": 1.0},
                                                {"key": "biology.osteoblast_working_lifespan_days", "low": 0.0,
                                                 "high": 1.0}],
                                 "outputs": ["serum_ctx_change_pct"]})


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_analysis_ranks_a_known_function(method):
    """y = 4 x0 + x1 (x2 inert): x0 first, x1 second, x2 last with importance ~ 0."""
    sweep = _sweep(method, 16 if method == "morris" else 256)
    X = design(sweep)
    assert len(X) == runs_needed(sweep)
    ranked = analyze(sweep, X, {"y": 4 * X[:, 0] + X[:, 1]})
    order = list(ranked["parameter"])
    assert order == ["biology.activation_per_mm2_per_year", "patient.age_years",
                     "biology.osteoblast_working_lifespan_days"]
    assert ranked["importance"].iloc[2] < 0.02 * ranked["importance"].iloc[0]
    if method == "morris":   # a linear function: mu* is the coefficient times the range, sigma 0
        np.testing.assert_allclose(ranked["mu_star"].iloc[:2], [4.0, 1.0], rtol=1e-9)
    else:                    # variance shares of 16:1
        assert ranked["ST"].iloc[0] == pytest.approx(16 / 17, abs=0.05)


def test_a_grid_sweep_runs_end_to_end(tmp_path):
    loaded = load_sweep(write(tmp_path, BASE))
    summary = run_sweep(loaded, tmp_path / "out", workers=1, processes=False, progress=False, log=lambda *a: None)
    assert summary.runs == 4 and summary.failed == 0
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert len(table) == 4 and table["serum_ctx_change_pct"].notna().all()
    # more activation, more turnover: the grid's activation effect on CTX at 30 days is not nil
    ranked = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert set(ranked["output"]) == {"serum_ctx_change_pct", "lumbar_spine_bmd_change_pct"}
    assert (tmp_path / "out" / "sensitivity.png").stat().st_size > 5000
    assert "| output | parameter |" in (tmp_path / "out" / "report.md").read_text()

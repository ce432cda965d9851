"""Running trials on Dask: end to end on a 2-worker LocalCluster, determinism across worker counts,
a failing patient, --resume."""

import h5py
import numpy as np
import pytest

from engine.trials.report import PLOTTED
from engine.trials.loader import load_trial
from engine.trials.patient import FAIL_ENV
from engine.trials.runner import run_trial
from engine.trials.schema import TRIAL_READOUTS


def _series(path):
    with h5py.File(path) as f:
        return {(arm, pid): {name: f[f"arms/{arm}/patients/{pid}/{name}"][:] for name in ("day", *TRIAL_READOUTS)}
                for arm in f["arms"] for pid in f[f"arms/{arm}/patients"]}


def test_two_worker_local_cluster_end_to_end_and_same_results_with_one_worker(tiny_trial_file, tmp_path):
    """Spawned worker processes (Mesa forces the spawn start method) run the cohort; a one-worker
    in-process run gives bit-identical patients (one numba thread per patient either way)."""
    loaded = load_trial(tiny_trial_file)
    two = run_trial(loaded, tmp_path / "two", workers=2, processes=True, progress=False, log=lambda *a: None)
    assert two.n_done == 4 and not two.failures
    one = run_trial(loaded, tmp_path / "one", workers=1, processes=False, progress=False, log=lambda *a: None)
    a, b = _series(two.trial_path), _series(one.trial_path)
    assert a.keys() == b.keys() and len(a) == 4
    for key in a:
        for name in a[key]:
            np.testing.assert_array_equal(a[key][name], b[key][name], err_msg=f"{key} {name}")
    with h5py.File(two.trial_path) as f:
        summary = f["arms/dmab/summary"]
        assert list(summary["day"][:]) == [0, 5, 10, 15, 20] and list(summary["n"][:]) == [2] * 5
        values = np.stack([f[f"arms/dmab/patients/{p}/biopsy_ctx_change_pct"][:] for p in f["arms/dmab/patients"]])
        np.testing.assert_allclose(summary["biopsy_ctx_change_pct_mean"][:], values.mean(axis=0))
        assert f.attrs["resolution"] == "voxel 10 µm, volume 240x240x240 µm"
        assert summary["serum_ctx_change_pct_p95"].attrs["units"] == "percent"
        assert summary["day"].attrs["units"] == "day" and summary["n"].attrs["units"] == "1"
    from engine.io.inspect import summarize
    shown = summarize(two.trial_path)   # `bmu inspect trial.h5`
    assert "arm            dmab: 2 patients" in shown and "lumbar_spine_bmd_change_pct" in shown and "(percent)" in shown
    report = (tmp_path / "two" / "report.md").read_text()
    assert "| dmab | biopsy_ctx_change_pct | 0.5 | mean | -85.0" in report and ("| pass |" in report or "| miss |" in report)
    assert (tmp_path / "two" / "lumbar_spine_bmd_change_pct.png").stat().st_size > 5000
    assert (tmp_path / "two" / "report.html").read_text().count("<img") == len(PLOTTED)


def test_a_failing_patient_is_reported_and_the_trial_goes_on(tiny_trial_file, tmp_path, monkeypatch):
    monkeypatch.setenv(FAIL_ENV, "dmab-0001")
    loaded = load_trial(tiny_trial_file)
    logs = []
    summary = run_trial(loaded, tmp_path / "t", workers=2, processes=False, progress=False, log=logs.append)
    assert summary.n_done == 3
    assert list(summary.failures) == ["dmab-0001"]
    failure = summary.failures["dmab-0001"]
    assert failure["arm"] == "dmab" and "PatientFailed" in failure["error"] and failure["seed"] > 0
    assert any("dmab-0001" in line and "failed twice" in line for line in logs)
    assert "dmab-0001 (arm dmab, seed" in (tmp_path / "t" / "report.md").read_text()

    # --resume runs only the missing patient, which now succeeds
    monkeypatch.delenv(FAIL_ENV)
    resumed = run_trial(loaded, tmp_path / "t", workers=1, processes=False, resume=True, progress=False,
                        log=lambda *a: None)
    assert resumed.n_skipped == 3 and resumed.n_done == 1 and not resumed.failures


def test_resume_skips_finished_patients_and_refuses_another_trial_file(tiny_trial_file, tmp_path):
    loaded = load_trial(tiny_trial_file)
    first = run_trial(loaded, tmp_path / "t", workers=1, processes=False, patients_per_arm=1, progress=False,
                      log=lambda *a: None)
    assert first.n_done == 2
    more = run_trial(loaded, tmp_path / "t", workers=1, processes=False, resume=True, progress=False,
                     log=lambda *a: None)
    assert more.n_skipped == 2 and more.n_done == 2
    tiny_trial_file.write_text(tiny_trial_file.read_text().replace("seed: 11", "seed: 12"))
    with pytest.raises(ValueError, match="another version of the trial file"):
        run_trial(load_trial(tiny_trial_file), tmp_path / "t", workers=1, processes=False, resume=True,
                  progress=False, log=lambda *a: None)

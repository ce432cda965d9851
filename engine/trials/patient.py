"""One virtual patient, run on a worker: validate its scenario, simulate it with the ordinary runner
into its own folder (its own results.h5 and checkpoint; h5py must not share a file between writers),
and return a small summary for trial.h5. Importable by spawned Dask workers (no state at import)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import h5py
import numpy as np

from engine.trials.schema import TRIAL_READOUTS

#: test hook: a patient whose id is listed here (comma-separated) raises, to test failure reporting
FAIL_ENV = "BMU_TRIAL_FAIL_PATIENTS"


class PatientFailed(RuntimeError):
    pass


def run_patient(spec, out_root: str, report_every_days: int, numba_threads: int = 1) -> dict:
    """Simulate `spec` (a PatientSpec) into OUT_ROOT/<patient_id>/ and return its summary:
    patient_id, arm, index, seed, characteristics, day (every `report_every_days`, the published rows' days
    `spec.also_days` and the last day),
    one array per TRIAL_READOUTS, wall_s and the results file."""
    import numba

    from engine.runner import run
    from engine.scenario.loader import scenario_from_dict

    if spec.patient_id in os.environ.get(FAIL_ENV, "").split(","):
        raise PatientFailed(f"{spec.patient_id}: failure requested by {FAIL_ENV} (test hook)")
    numba.set_num_threads(min(numba_threads, numba.config.NUMBA_NUM_THREADS))
    t0 = time.perf_counter()
    loaded = scenario_from_dict(spec.scenario, source=f"patient {spec.patient_id}")
    if not getattr(spec, "volume", True):
        return _skeleton_only(spec, loaded, report_every_days, t0)
    also = np.asarray(getattr(spec, "also_days", ()), np.int64)
    out_dir = Path(out_root) / spec.patient_id
    summary = run(loaded, out_dir, progress=False, log=lambda *a: None, overwrite=True, plot=False)
    with h5py.File(summary.results_path, "r") as f:
        days = f["timeseries/day"][:]
        keep = (days % report_every_days == 0) | (days == days[-1]) | np.isin(days, also)
        series = {name: f["timeseries"][name][:][keep].astype(np.float64) for name in TRIAL_READOUTS}
    return {"patient_id": spec.patient_id, "arm": spec.arm, "index": spec.index, "seed": spec.seed,
            "characteristics": spec.characteristics, "day": days[keep].astype(np.int64), **series,
            "wall_s": time.perf_counter() - t0, "results_file": str(summary.results_path)}


def _skeleton_only(spec, loaded, report_every_days: int, t0: float) -> dict:
    """The patient's whole-skeleton layer alone: every patient-level readout; the biopsy's are NaN."""
    from engine.skeleton.patient import layer_curves

    days, rows = layer_curves(loaded.scenario, loaded.base_dir, every_days=report_every_days,
                              also_days=getattr(spec, "also_days", ()))
    series = {name: np.array([r.get(name, np.nan) for r in rows], np.float64) for name in TRIAL_READOUTS}
    return {"patient_id": spec.patient_id, "arm": spec.arm, "index": spec.index, "seed": spec.seed,
            "characteristics": spec.characteristics, "day": np.array(days, np.int64), **series,
            "wall_s": time.perf_counter() - t0, "results_file": ""}

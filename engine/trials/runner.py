"""Run a trial on Dask: one task per patient, a bounded number in flight, each retried once, results
streamed into trial.h5 as they finish; then arm summaries and the report.

Workers run one numba thread each (NUMBA_NUM_THREADS=1 in the environment of the LocalCluster's
spawned workers, and numba.set_num_threads(1) inside each task for workers of an existing cluster), so
patients do not fight over cores and a patient's result does not depend on the machine's core count.
Tasks are submitted with pure=False (identical arguments must not be merged).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from engine.trials.cohort import build_cohort
from engine.trials.loader import LoadedTrial
from engine.trials.patient import run_patient
from engine.trials.store import TrialStore


@dataclass
class TrialSummary:
    out_dir: Path
    trial_path: Path
    report_path: Path | None
    n_patients: int
    n_done: int
    n_skipped: int
    failures: dict[str, dict]
    wall_s: float
    resolution: str
    summaries: dict  # arm -> the arm's summary series (as written to trial.h5 /arms/<arm>/summary)


def resolution_text(loaded: LoadedTrial, volumes_per_arm: int | None = None) -> str:
    """Which patients have an agent volume, and at what resolution (every patient has the whole-skeleton layer)."""
    geometry = loaded.base.scenario.geometry
    voxel = loaded.trial.resolution.voxel_size_um or geometry.voxel_size_um
    volume = loaded.trial.resolution.volume_size_um or geometry.volume_size_um
    size = "x".join(f"{v:g}" for v in volume) if volume else "from the µCT file"
    volumes = loaded.trial.volumes_per_arm if volumes_per_arm is None else volumes_per_arm
    if volumes == 0:
        return "whole-skeleton layer only (no agent volumes)"
    who = "" if volumes is None else f"agent volumes for the first {volumes} per arm: "
    return f"{who}voxel {voxel:g} µm, volume {size} µm"


def _client(workers: int, scheduler: str | None, processes: bool):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    previous = {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")}
    os.environ.update(NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")   # inherited by the spawned workers
    try:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                               dashboard_address="127.0.0.1:0", silence_logs=40)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Client(cluster), cluster


def run_trial(loaded: LoadedTrial, out_dir: Path, workers: int = 2, scheduler: str | None = None,
              resume: bool = False, patients_per_arm: int | None = None, progress: bool = True, log=print,
              processes: bool = True, max_in_flight: int | None = None,
              volumes_per_arm: int | None = None) -> TrialSummary:
    """Run every patient of `loaded` not yet in OUT/trial.h5 (`resume`) and write the summaries and report.
    `patients_per_arm` and `volumes_per_arm` override the trial file's values."""
    from dask.distributed import as_completed

    from engine.trials.report import write_report

    t0 = time.perf_counter()
    trial = loaded.trial
    out_dir = Path(out_dir)
    cohort = build_cohort(trial, loaded.base, patients_per_arm, volumes_per_arm)
    resolution = resolution_text(loaded, volumes_per_arm)
    with TrialStore(out_dir / "trial.h5", trial.name, loaded.text, trial.seed, resolution, resume) as store:
        done = store.done()
        todo = [spec for spec in cohort if spec.patient_id not in done]
        skipped = len(cohort) - len(todo)
        log(f"trial {trial.name}: {len(trial.arms)} arms x {len(cohort) // len(trial.arms)} patients, {resolution}"
            + (f"; {skipped} already done (--resume)" if skipped else ""))
        finished = 0
        if todo:
            client, cluster = _client(workers, scheduler, processes)
            try:
                n_workers = len(client.scheduler_info()["workers"]) or workers
                log(f"dask: {n_workers} workers, dashboard {client.dashboard_link}")
                limit = max_in_flight or 2 * n_workers
                queue = iter(todo)
                specs = {}

                def submit(spec):
                    future = client.submit(run_patient, spec, str(out_dir / "patients"), trial.report_every_days,
                                           pure=False, retries=1, key=f"patient-{spec.patient_id}-{time.time_ns()}")
                    specs[future.key] = spec
                    return future

                pending = as_completed([submit(s) for _, s in zip(range(limit), queue)])
                with tqdm(total=len(cohort), initial=skipped, unit="patient", desc=trial.name, file=sys.stderr,
                          disable=not progress, dynamic_ncols=True) as bar:
                    for future in pending:
                        spec = specs.pop(future.key)
                        if future.status == "finished":
                            store.add_patient(future.result())
                            finished += 1
                        else:
                            error = future.exception()
                            store.add_failure(spec.patient_id, spec.arm, spec.seed, f"{type(error).__name__}: {error}")
                            log(f"patient {spec.patient_id} (seed {spec.seed}) failed twice: "
                                f"{type(error).__name__}: {error}")
                        future.release()
                        bar.update(1)
                        nxt = next(queue, None)
                        if nxt is not None:
                            pending.add(submit(nxt))
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
        summaries = store.write_summaries(list(trial.arms))
        failures = store.failures()
        report = write_report(loaded, summaries, failures, out_dir, resolution) if summaries else None
    return TrialSummary(out_dir=out_dir, trial_path=out_dir / "trial.h5", report_path=report,
                        n_patients=len(cohort), n_done=finished, n_skipped=skipped, failures=failures,
                        wall_s=time.perf_counter() - t0, resolution=resolution, summaries=summaries)

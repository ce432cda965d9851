"""Virtual-trial throughput and the cost of resolution.

    .venv/bin/python benchmarks/bench_trial.py [--trial scenarios/trials/freedom_3y.yaml] [--patients 4]
                                                [--skip-fidelity]

1. Throughput: the same trial cohort with 1 and with 2 local Dask workers (one numba thread each);
   patients per hour, the speed-up (target >= 1.8x), and a projection for a FREEDOM-sized cohort
   (7,868 patients x 3 years, targets.md §3 'Trial size') on a 64-core cluster, assuming the 2-worker
   efficiency per core holds.
2. The whole-skeleton layer alone (`--volumes-per-arm 0`): patients per second on 2 workers and the
   FREEDOM-size projection on these 2 cores (`--layer-patients`, default 500 per arm, ~1.5 min).
3. Fidelity vs cost: a few patients per arm at a coarse voxel size (--coarse-um, default 20 µm) and at
   the trial's own (10 µm for the bundled trials); arm means of BMD and CTX at 12/24/36 months side by
   side, and the cost ratio.

Writes outputs/benchmarks/bench_trial.md. Takes ~15 minutes on 2 cores with the defaults.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from engine.io.published import MONTH_DAYS
from engine.trials.loader import load_trial
from engine.trials.runner import run_trial

FREEDOM_PATIENTS = 7868
CLUSTER_CORES = 64


def _timed(loaded, out, workers, patients, volumes_per_arm=None):
    t0 = time.perf_counter()
    summary = run_trial(loaded, out, workers=workers, patients_per_arm=patients, progress=False, log=lambda *a: None,
                        volumes_per_arm=volumes_per_arm)
    wall = time.perf_counter() - t0
    return summary, wall


def _arm_means(summary_path, arms):
    import h5py
    out = {}
    with h5py.File(summary_path) as f:
        for arm in arms:
            s = f[f"arms/{arm}/summary"]
            days = s["day"][:]
            for month in (12, 24, 36):
                i = int(np.argmin(np.abs(days - month * MONTH_DAYS)))
                out[(arm, month)] = (float(s["biopsy_bmd_change_pct_mean"][i]), float(s["biopsy_ctx_change_pct_mean"][i]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trial", default="scenarios/trials/freedom_3y.yaml")
    parser.add_argument("--patients", type=int, default=3, help="patients per arm for the throughput runs")
    parser.add_argument("--skip-fidelity", action="store_true")
    parser.add_argument("--layer-patients", type=int, default=500,
                        help="patients per arm for the whole-skeleton-layer-only throughput (0: skip)")
    parser.add_argument("--coarse-um", type=float, default=20.0, help="coarse voxel size for the fidelity comparison")
    args = parser.parse_args()
    loaded = load_trial(args.trial)
    arms = list(loaded.trial.arms)
    lines = [f"# bench_trial: {args.trial}", ""]
    with tempfile.TemporaryDirectory() as tmp:
        n = args.patients * len(arms)
        one, wall1 = _timed(loaded, Path(tmp) / "w1", 1, args.patients)
        two, wall2 = _timed(loaded, Path(tmp) / "w2", 2, args.patients)
        rate1, rate2 = n / wall1 * 3600, n / wall2 * 3600
        speedup = rate2 / rate1
        per_core = rate2 / 2
        days = loaded.trial.duration_days or loaded.base.scenario.duration_days
        hours = FREEDOM_PATIENTS * (3 * 365.25 / days) / (per_core * CLUSTER_CORES)
        lines += ["## Throughput", "", f"{n} patients ({args.patients} per arm), {days} days each, {two.resolution}", "",
                  "| workers | wall (s) | patients/hour |", "|---|---|---|",
                  f"| 1 | {wall1:.0f} | {rate1:.0f} |", f"| 2 | {wall2:.0f} | {rate2:.0f} |", "",
                  f"speed-up 1 -> 2 workers: **{speedup:.2f}x** (target >= 1.8x)", "",
                  f"Projection: FREEDOM-sized cohort ({FREEDOM_PATIENTS} patients x 3 years) on {CLUSTER_CORES} cores at "
                  f"{per_core:.0f} patients/hour/core: **{hours:.1f} hours** (cluster efficiency as measured here for 2 "
                  "workers; scheduler overhead per task is milliseconds against minutes per patient).", ""]
        print("\n".join(lines))
        if args.layer_patients:
            m = args.layer_patients * len(arms)
            layer, wall_layer = _timed(loaded, Path(tmp) / "layer", 2, args.layer_patients, volumes_per_arm=0)
            per_patient = wall_layer / m
            freedom_min = FREEDOM_PATIENTS * (3 * 365.25 / days) * per_patient / 60
            lines += ["## Whole-skeleton layer alone (--volumes-per-arm 0)", "",
                      f"{m} patients ({args.layer_patients} per arm), {days} days each, 2 workers: {wall_layer:.0f} s, "
                      f"{m / wall_layer:.1f} patients/s", "",
                      f"Projection: FREEDOM-sized cohort ({FREEDOM_PATIENTS} patients x 3 years) on these 2 cores: "
                      f"**{freedom_min:.0f} minutes**, an upper bound (it includes the cluster's start and each worker's first "
                      "compile; measured in full at the end of the layer's speed work: "
                      "12.2 min, `bmu trial scenarios/trials/freedom_3y.yaml --patients-per-arm 3934 "
                      "--volumes-per-arm 0`).", ""]
            print("\n".join(lines[-5:]))
        if not args.skip_fidelity:
            fine, wall_fine = two, wall2
            coarse_trial = loaded.trial.model_copy(update={"resolution": loaded.trial.resolution.model_copy(
                update={"voxel_size_um": args.coarse_um})})
            coarse_loaded = type(loaded)(trial=coarse_trial, text=loaded.text, source=loaded.source,
                                         base_dir=loaded.base_dir, base=loaded.base)
            coarse, wall_coarse = _timed(coarse_loaded, Path(tmp) / "coarse", 2, args.patients)
            a, b = _arm_means(coarse.trial_path, arms), _arm_means(fine.trial_path, arms)
            lines += ["## Fidelity vs cost", "", f"same {n} patients at {coarse.resolution} (coarse) and "
                      f"{fine.resolution} (default); cost ratio {wall_fine / wall_coarse:.1f}x", "",
                      "| arm | month | BMD % coarse | BMD % default | CTX % coarse | CTX % default |", "|---|---|---|---|---|---|"]
            for (arm, month), (bmd_c, ctx_c) in a.items():
                bmd_f, ctx_f = b[(arm, month)]
                lines.append(f"| {arm} | {month} | {bmd_c:+.1f} | {bmd_f:+.1f} | {ctx_c:+.0f} | {ctx_f:+.0f} |")
    text = "\n".join(lines)
    print(text)
    out = Path("outputs/benchmarks/bench_trial.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()

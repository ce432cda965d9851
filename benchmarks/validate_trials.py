"""Every published row of the bundled virtual trials in one table: the issue-18 validation table.

    .venv/bin/python benchmarks/validate_trials.py [--patients-per-arm 200] [--workers 2] [--trials freedom_3y ...]

Runs each trial of `scenarios/trials/` that has published rows (targets.md §2-§7) on the whole-skeleton layer
alone (`--volumes-per-arm 0`: patient-level readouts, deterministic per patient) with the trial's own cohort
and variability, and writes to outputs/benchmarks/validate_trials.md the pass count per trial and, per trial,
the trial report's table: published vs simulated mean [95 % CI], tolerance and why, pass/miss, source row.
The pass rule is the trial report's (`engine.trials.report.PASS_RULE`). Nothing here is fitted: it reads
the model as it is. About 1 minute per trial with 200 patients per arm on 2 cores (dose ranging: 3).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.trials.loader import load_trial  # noqa: E402
from engine.trials.report import PASS_RULE, compare, comparison_table  # noqa: E402
from engine.trials.runner import run_trial  # noqa: E402

TRIALS = ("freedom_3y", "denosumab_discontinuation", "teriparatide_neer", "decide_dmab_vs_aln", "bisphosphonates_3y",
          "dose_ranging_phase2")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients-per-arm", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", nargs="+", default=list(TRIALS), choices=TRIALS)
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "benchmarks" / "validate_trials.md")
    args = parser.parse_args(argv)
    sections, counts = [], []
    for name in args.trials:
        loaded = load_trial(REPO / "scenarios" / "trials" / f"{name}.yaml")
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            summary = run_trial(loaded, Path(tmp), workers=args.workers, patients_per_arm=args.patients_per_arm,
                                volumes_per_arm=0, progress=False, log=lambda *_: None)
        rows = compare(loaded, summary.summaries)
        passed = sum(bool(r["pass"]) for r in rows if np.isfinite(r["simulated"]))
        counts.append((name, passed, len(rows), time.perf_counter() - t0))
        print(f"{name}: {passed}/{len(rows)} rows pass ({counts[-1][3]:.0f} s)", flush=True)
        sections += ["", f"## {name}", "", *comparison_table(rows)]
    total_pass, total = sum(c[1] for c in counts), sum(c[2] for c in counts)
    lines = ["# Published rows of the bundled trials vs the model", "",
             f"`benchmarks/validate_trials.py`: whole-skeleton layer, {args.patients_per_arm} patients per arm, each "
             f"trial's own cohort and variability. Pass rule: {PASS_RULE}.", "",
             "| trial | rows passing | wall s |", "|---|---|---|",
             *(f"| {name} | {p} / {n} | {s:.0f} |" for name, p, n, s in counts),
             f"| all | {total_pass} / {total} | |", *sections]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"{total_pass}/{total} published rows pass; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

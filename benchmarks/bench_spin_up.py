"""Does the spin-up reach the remodeling steady state before day 0, and when does each statistic get there?

    .venv/bin/python benchmarks/bench_spin_up.py [--seeds 24] [--days 900]
    .venv/bin/python benchmarks/bench_spin_up.py --runs outputs/benchmarks/bench_spin_up_runs.npz   # re-analyse

A run starts in its patient's remodeling steady state by simulating `numerics.spin_up_days` (400) before day 0
on bone without BMUs, the patient held at day 0 (`BoneModel.spin_up`); the CTX/P1NP baselines are the mean
fluxes over its last `MARKER_BASELINE_DAYS` (182). Issue 19 asked for an initializer placing BMUs in every phase
from the steady-state age distribution instead (or a much shorter spin-up from such a state). This benchmark
measures what such an initializer would have to reproduce, and how long the simulated spin-up takes to get there.

For each seed (the default woman's 1 mm³ volume, its own microstructure and model seed, fields at the spin-up's
14-day cadence) it spins up for `--days` (default 900) and records every day: active BMUs, ES/BS, OS/BS,
osteoclasts, matrix-making osteoblasts, matrix resorbed and formed per day, BV/TV. The reference steady state is
each volume's mean over the last 400 days (from 100 days after the default day 0; long, because a 1 mm³
volume's fluxes swing by tens of % over months), except for BV/TV, which falls with the held patient's bone
loss: its reference is the straight line fitted over those days, extended back.
Per statistic it reports, as differences paired by volume (its realization cancels) in % of the reference and in
standard errors over volumes:
- the 30-day window ending at the default day 0 (day 400) against the reference;
- the first day whose 30-day window comes within 2 standard errors of the reference ("reached": the end of the
  ramp from bone without BMUs; active BMUs then overshoot for a while, as the first cohort of BMUs met only
  quiescent surface, and the later windows swing about the reference with the biopsy's noise);
and for the marker baselines, the fluxes over the default baseline window (days 219-400) against the reference.
It also times the default 400-day spin-up. Writes outputs/benchmarks/bench_spin_up.md, bench_spin_up.png
(ensemble means of 30-day windows against the spin-up day, ± 1 SE, with the reference and the baseline window)
and the daily series, bench_spin_up_runs.npz (`--runs` re-analyses them). About 2 minutes on 2 cores with the
defaults. Why 24 volumes: a 1 mm³ volume's 6-month mean flux is ~37 % (SD) off its own 400-day mean, so 12 volumes
gave the formation baseline +21 ± 10 % (seeds 1-12) and 24 gave +3 ± 8 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_field_cadence import scenario  # noqa: E402
from engine.model import MARKER_BASELINE_DAYS, BoneModel  # noqa: E402
from engine.readouts import record  # noqa: E402
from engine.units import DAYS_PER_YEAR  # noqa: E402

OUT = REPO / "outputs" / "benchmarks"
#: (readout, label, unit): what an initializer would have to reproduce
STATISTICS = (("n_active_bmus", "active BMUs", ""), ("eroded_surface_pct", "ES/BS", "%"),
              ("osteoid_surface_pct", "OS/BS", "%"), ("n_osteoclasts", "osteoclasts", ""),
              ("n_osteoblasts", "osteoblasts (matrix-making)", ""),
              ("resorbed_um3_per_day", "matrix resorbed (CTX proxy)", "µm³/day"),
              ("formed_um3_per_day", "matrix formed (P1NP proxy)", "µm³/day"), ("bv_tv", "BV/TV", ""))
FLUXES = ("resorbed_um3_per_day", "formed_um3_per_day")
#: statistics that drift with the held patient's bone loss: compared with their trend, not their mean
DRIFTING = ("bv_tv",)
WINDOW_DAYS = 30
REFERENCE_DAYS = 400
MARGIN_DAYS = 100  # between the default day 0 and the reference
REACHED_SE = 2.0


def one_seed(seed: int, days: int, default_days: int) -> tuple[np.ndarray, float]:
    """(days, statistics) array of the daily readouts over a `days`-day spin-up, and the wall time of its first
    `default_days` days."""
    model = BoneModel(scenario(seed), whole_skeleton=False)
    rows: list[list[float]] = []
    stamps: list[float] = []

    def after_day(_n: int) -> None:
        row = record(model)
        rows.append([float(row[name]) for name, _, _ in STATISTICS])
        stamps.append(time.perf_counter())

    t0 = time.perf_counter()
    model.spin_up(days, progress=after_day)
    return np.array(rows), stamps[default_days - 1] - t0 if len(stamps) >= default_days else float("nan")


def window_means(series: np.ndarray) -> np.ndarray:
    """Means of the 30-day windows ending on each day (axis 0; the first 29 days are NaN)."""
    out = np.full(series.shape, np.nan)
    c = np.cumsum(np.vstack([np.zeros((1,) + series.shape[1:]), series]), axis=0)
    out[WINDOW_DAYS - 1:] = (c[WINDOW_DAYS:] - c[:-WINDOW_DAYS]) / WINDOW_DAYS
    return out


def paired(diff: np.ndarray) -> tuple[float, float]:
    """Mean and standard error over seeds (axis 0) of per-seed differences."""
    return float(diff.mean(axis=0)), float(diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0]))


def reference_lines(runs: np.ndarray) -> np.ndarray:
    """(seeds, days, statistics): each volume's reference at every spin-up day: its mean over the reference window
    (the last REFERENCE_DAYS days), or for a statistic in DRIFTING the straight line fitted over that window,
    extended back (BV/TV falls with the held patient's bone loss, so a flat reference would confuse drift with an
    unsettled spin-up)."""
    n_seeds, days, n_stats = runs.shape
    t = np.arange(1, days + 1, dtype=np.float64)
    tail = slice(days - REFERENCE_DAYS, days)
    out = np.repeat(runs[:, tail].mean(axis=1)[:, None, :], days, axis=1)
    for k, (name, _, _) in enumerate(STATISTICS):
        if name in DRIFTING:
            for s in range(n_seeds):
                slope, intercept = np.polyfit(t[tail], runs[s, tail, k], 1)
                out[s, :, k] = intercept + slope * t
    return out


def analyse(runs: np.ndarray, default_days: int) -> dict:
    """runs: (seeds, days, statistics). Per statistic: the reference, the day-0 window's and the baseline window's
    paired differences from it, the day it is reached, and for a drifting statistic its trend."""
    n_seeds, days, _ = runs.shape
    lines = reference_lines(runs)
    # what each window and the baseline window are compared with: the reference line averaged over the same days
    ref_windows = np.stack([window_means(r) for r in lines])
    windows = np.stack([window_means(r) for r in runs])       # (seeds, days, statistics)
    base = slice(default_days - MARKER_BASELINE_DAYS, default_days)
    out = {}
    for k, (name, label, unit) in enumerate(STATISTICS):
        reference = lines[:, days - REFERENCE_DAYS:, k].mean(axis=1)
        ref_mean = float(reference.mean())
        rel = 100.0 / ref_mean if ref_mean else np.nan
        at_day0 = paired(windows[:, default_days - 1, k] - ref_windows[:, default_days - 1, k])
        baseline = paired(runs[:, base, k].mean(axis=1) - lines[:, base, k].mean(axis=1))
        reached = None
        for d in range(WINDOW_DAYS - 1, days - REFERENCE_DAYS):
            m, se = paired(windows[:, d, k] - ref_windows[:, d, k])
            if abs(m) <= REACHED_SE * se:
                reached = d + 1
                break
        trend = None
        if name in DRIFTING:
            per_year = (lines[:, -1, k] - lines[:, -2, k]) * DAYS_PER_YEAR / reference * 100.0
            trend = paired(per_year)
        out[name] = dict(label=label, unit=unit, reference=ref_mean,
                         reference_se=float(reference.std(ddof=1) / np.sqrt(n_seeds)),
                         day0_pct=at_day0[0] * rel, day0_se_pct=at_day0[1] * rel,
                         day0_z=at_day0[0] / at_day0[1] if at_day0[1] else 0.0,
                         baseline_pct=baseline[0] * rel, baseline_se_pct=baseline[1] * rel,
                         baseline_z=baseline[0] / baseline[1] if baseline[1] else 0.0, reached_day=reached,
                         trend_pct_per_year=trend)
    return out


def plot(runs: np.ndarray, default_days: int, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_seeds, days, n_stats = runs.shape
    windows = np.stack([window_means(r) for r in runs])
    lines = reference_lines(runs)
    day = np.arange(1, days + 1)
    fig, axes = plt.subplots(2, (n_stats + 1) // 2, figsize=(15, 6.5), sharex=True, constrained_layout=True)
    for k, ax in enumerate(axes.flat[:n_stats]):
        name, label, unit = STATISTICS[k]
        m = windows[:, :, k].mean(axis=0)
        se = windows[:, :, k].std(axis=0, ddof=1) / np.sqrt(n_seeds)
        ax.fill_between(day, m - se, m + se, color="tab:blue", alpha=0.25, lw=0)
        ax.plot(day, m, color="tab:blue", lw=1.2, label=f"{WINDOW_DAYS}-day mean ± SE ({n_seeds} volumes)")
        r, rse = lines[:, :, k].mean(axis=0), lines[:, :, k].std(axis=0, ddof=1) / np.sqrt(n_seeds)
        ax.fill_between(day, r - rse, r + rse, color="0.6", alpha=0.35, lw=0,
                        label=f"steady state (last {REFERENCE_DAYS} d; BV/TV: its trend)")
        ax.axvspan(default_days - MARKER_BASELINE_DAYS, default_days, color="tab:orange", alpha=0.12, lw=0,
                   label="marker baseline window")
        ax.axvline(default_days, color="k", lw=0.8, ls="--", label="day 0 of a default run")
        ax.set_title(label + (f" ({unit})" if unit else ""), fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes.flat[n_stats:]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("spin-up day")
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("The spin-up from bone without BMUs: when does each statistic reach its steady state? "
                 "(default woman, 1 mm³, patient held at day 0)", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(stats: dict, n_seeds: int, days: int, default_days: int, spin_s: list[float]) -> str:
    lines = [f"# bench_spin_up: {n_seeds} volumes (seeds 1-{n_seeds}, own microstructures), {days}-day spin-ups", "",
             f"Reference: each volume's mean over spin-up days {days - REFERENCE_DAYS + 1}-{days}. Differences are "
             f"paired by volume, in % of the reference ± 1 SE over volumes (and in SE). 'Reached': the first "
             f"day whose {WINDOW_DAYS}-day window is within {REACHED_SE:g} SE of the reference.", "",
             f"| statistic | steady state (mean ± SE) | {WINDOW_DAYS} days before day 0 (day {default_days}) "
             f"vs steady | reached by spin-up day | baseline window (days {default_days - MARKER_BASELINE_DAYS + 1}"
             f"-{default_days}) vs steady |", "|---|---|---|---|---|"]
    for name, s in stats.items():
        unit = f" {s['unit']}" if s["unit"] and s["unit"] != "%" else ("" if not s["unit"] else " %")
        base = (f"{s['baseline_pct']:+.1f} ± {s['baseline_se_pct']:.1f} % ({s['baseline_z']:+.1f} SE)"
                if name in FLUXES else "")
        reached = s["reached_day"] if s["reached_day"] is not None else f"not by {days - REFERENCE_DAYS}"
        steady = f"{s['reference']:.4g} ± {s['reference_se']:.2g}{unit}"
        if s["trend_pct_per_year"] is not None:
            trend, trend_se = s["trend_pct_per_year"]
            steady += f" (trend {trend:+.1f} ± {trend_se:.1f} % a year: compared with it)"
        lines.append(f"| {s['label']} | {steady} | "
                     f"{s['day0_pct']:+.1f} ± {s['day0_se_pct']:.1f} % ({s['day0_z']:+.1f} SE) | {reached} | {base} |")
    reached_days = [s["reached_day"] for s in stats.values() if s["reached_day"] is not None]
    last = max(reached_days) if reached_days else "n/a"
    lines += ["", f"Last statistic to reach its steady state: day {last}; the default spin-up is"
              f" {default_days} days, its baseline window the last {MARKER_BASELINE_DAYS}.",
              (f"Wall time of the default {default_days}-day spin-up (with a readout every day): "
               f"{np.mean(spin_s):.2f} s mean over volumes (min {np.min(spin_s):.2f})."
               if np.all(np.isfinite(spin_s)) else "Wall time: not measured (series from --runs).")]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=24, help="volumes (seeds 1..N; default 24)")
    parser.add_argument("--days", type=int, default=900, help="length of each spin-up (default 900)")
    parser.add_argument("--runs", type=Path, default=None, metavar="NPZ",
                        help="analyse the daily series an earlier run saved (bench_spin_up_runs.npz), not simulate")
    args = parser.parse_args()
    default_days = int(scenario(1).numerics.spin_up_days)
    if args.days < default_days + MARGIN_DAYS + REFERENCE_DAYS or args.seeds < 3:
        parser.error(f"--days must be at least {default_days + MARGIN_DAYS + REFERENCE_DAYS} and --seeds at least 3")
    if args.runs is not None:
        if not args.runs.is_file():
            parser.error(f"--runs {args.runs}: no such file (bench_spin_up.py writes "
                         f"outputs/benchmarks/bench_spin_up_runs.npz)")
        saved = np.load(args.runs)
        runs, spin_s = saved["runs"], saved["spin_up_s"]
        args.seeds, args.days = runs.shape[:2]
    else:
        runs, spin_s = [], []
        for seed in range(1, args.seeds + 1):
            series, seconds = one_seed(seed, args.days, default_days)
            runs.append(series)
            spin_s.append(seconds)
            print(f"seed {seed}: {args.days}-day spin-up done ({default_days} days in {seconds:.2f} s)", flush=True)
        runs = np.stack(runs)
    stats = analyse(runs, default_days)
    text = report(stats, args.seeds, args.days, default_days, spin_s)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_spin_up.md").write_text(text)
    if args.runs is None:
        np.savez_compressed(OUT / "bench_spin_up_runs.npz", runs=runs, statistics=[name for name, _, _ in STATISTICS],
                            seeds=np.arange(1, args.seeds + 1), spin_up_s=np.array(spin_s))
    plot(runs, default_days, OUT / "bench_spin_up.png")
    print(text)
    print(f"wrote {OUT / 'bench_spin_up.md'}, {OUT / 'bench_spin_up.png'} and the daily series "
          f"{OUT / 'bench_spin_up_runs.npz'} (runs: seeds x days x statistics)")


if __name__ == "__main__":
    main()

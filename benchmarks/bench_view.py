"""Frame time of the browser view against the time of a simulated day, on the same model, same run.

    .venv/bin/python benchmarks/bench_view.py [SCENARIO] [--days 60] [--spin-up-days 400]

Issue target: drawing a frame of the default scenario must not take longer than a simulated day.
A "frame" is what the server does for one redraw of every panel (engine.view.components' image
functions: tissue slice with cells, field slice with its kept colour range, 3-D overview, time series),
timed after each simulated day; the browser's own decoding of the PNGs is not included. Reports medians
and the ratio frame / day. Writes outputs/benchmarks/bench_view.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from engine.view import components
from engine.view.models import LiveBoneModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="scenarios/default.yaml")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--spin-up-days", type=int, default=None)
    args = parser.parse_args()

    model = LiveBoneModel(scenario_path=args.scenario, spin_up_days=args.spin_up_days)
    figure = components.TimeSeriesFigure(model.last_day, model.view_state().dose_days)
    ranges: dict = {}
    days_ms, frames_ms, parts = [], [], {"tissue": [], "field": [], "overview": [], "series": []}
    for day in range(args.days):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        state = model.view_state()
        index = state.bone.shape[0] // 2
        ta = time.perf_counter()
        components.tissue_image(state, "z", index, True)
        tb = time.perf_counter()
        _, low, high = components.field_image(state, "rankl_nM", "z", index, ranges.get("rankl_nM"))
        ranges["rankl_nM"] = (low, high)
        tc = time.perf_counter()
        components.overview_image(state)
        td = time.perf_counter()
        figure.update(state.history)
        te = time.perf_counter()
        if day >= 3:  # first frames compile numba and draw the figure's background
            days_ms.append((t1 - t0) * 1e3)
            frames_ms.append((te - t1) * 1e3)
            for key, dt in zip(parts, (tb - ta, tc - tb, td - tc, te - td)):
                parts[key].append(dt * 1e3)
    day_ms, frame_ms = statistics.median(days_ms), statistics.median(frames_ms)
    lines = [f"# bench_view: {args.scenario}, grid {model.grid.shape}, {len(days_ms)} days timed", "",
             "| quantity | median (ms) |", "|---|---|",
             f"| simulated day | {day_ms:.1f} |", f"| frame (all panels) | {frame_ms:.1f} |",
             *[f"| - {k} | {statistics.median(v):.1f} |" for k, v in parts.items()], "",
             f"frame / day = {frame_ms / day_ms:.2f} (target <= 1)"]
    text = "\n".join(lines)
    print(text)
    out = Path("outputs/benchmarks/bench_view.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()

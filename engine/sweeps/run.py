"""Load a sweep file, run its design on Dask (the trial runner's cluster: one numba thread per worker),
and write the table, the ranked sensitivities, a figure and a report.

Every run is the base scenario with the design's values set (same seed: common random numbers, so a volume
sweep's differences are the parameters', not the seeds'). `solver: skeleton` runs the whole-skeleton layer
alone (deterministic; patient-level readouts), `solver: volume` runs `bmu run`'s model.
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from engine.scenario.loader import (LoadedScenario, ScenarioError, _line_prefix, load_with_base, scenario_from_dict,
                                    set_dotted)
from engine.sweeps.design import analyze, design, runs_needed
from engine.sweeps.schema import MAX_RUNS, Sweep


class SweepError(ScenarioError):
    """A sweep file cannot be used; one line per problem."""


@dataclass(frozen=True)
class LoadedSweep:
    sweep: Sweep
    text: str
    source: str
    base: LoadedScenario


def outputs_for(solver: str) -> list[str]:
    from engine.skeleton.patient import LAYER_ALONE_READOUTS
    if solver == "skeleton":
        return list(LAYER_ALONE_READOUTS)
    from engine.readouts import readout_table
    return list(readout_table())


def load_sweep(path: str | Path) -> LoadedSweep:
    source = str(path)
    sweep, text, lines, base = load_with_base(path, Sweep, SweepError, "a sweep",
                                              "name, base_scenario, parameters, outputs, ...")
    problems = []
    allowed = outputs_for(sweep.solver)
    for i, name in enumerate(sweep.outputs):
        if name not in allowed:
            problems.append(f"{_line_prefix(('outputs', i), lines)}: outputs[{i}] = {name!r}: not a readout of solver "
                            f"{sweep.solver}; allowed: {', '.join(allowed)}")
    runs = runs_needed(sweep)
    if runs > MAX_RUNS:
        problems.append(f"{_line_prefix(('samples',), lines)}: samples = {sweep.samples}: the design needs {runs} runs "
                        f"(at most {MAX_RUNS})")
    # every end of every range must make a valid scenario
    for i, p in enumerate(sweep.parameters):
        for value in (p.values or (p.low, p.high)):
            try:
                _scenario_data(sweep, base, {p.key: value})
            except ScenarioError as exc:
                problems.append(f"{_line_prefix(('parameters', i), lines)}: parameters[{i}] ({p.key}) = {value:g}: "
                                + "; ".join(q.split(": ", 2)[-1] for q in exc.problems))
                break
    if problems:
        raise SweepError(source, problems)
    return LoadedSweep(sweep=sweep, text=text, source=source, base=base)


def _scenario_data(sweep: Sweep, base: LoadedScenario, values: dict[str, float]) -> dict:
    data = base.scenario.model_dump(mode="json")
    data["arms"] = {}
    if sweep.duration_days is not None:
        data["duration_days"] = sweep.duration_days
    data["seed"] = sweep.seed
    for key, value in values.items():
        if key.startswith("pharmacokinetics."):
            _, drug, name = key.split(".")
            data.setdefault("pharmacokinetics", {}).setdefault(drug, {})[name] = float(value)
        else:
            set_dotted(data, key, float(value))
    scenario_from_dict(copy.deepcopy(data), source=f"sweep {sweep.name}", base_dir=base.base_dir)
    return data


def evaluate(data: dict, base_dir: str, solver: str, outputs: tuple[str, ...]) -> dict[str, float]:
    """One run's last-day outputs (runs on a Dask worker)."""
    import numba

    numba.set_num_threads(1)
    loaded = scenario_from_dict(data, source="sweep run", base_dir=base_dir)
    if solver == "skeleton":
        from engine.skeleton.patient import layer_curves
        _, rows = layer_curves(loaded.scenario, loaded.base_dir, every_days=loaded.scenario.duration_days)
        return {name: float(rows[-1][name]) for name in outputs}
    from engine.runner import run
    with tempfile.TemporaryDirectory(prefix="bmu-sweep-") as tmp:
        summary = run(loaded, Path(tmp), progress=False, log=lambda *a: None, plot=False)
        return {name: float(summary.last[name]) for name in outputs}


@dataclass
class SweepSummary:
    out_dir: Path
    runs: int
    failed: int
    wall_s: float
    ranked: pd.DataFrame


def run_sweep(loaded: LoadedSweep, out_dir: Path, workers: int = 2, scheduler: str | None = None,
              progress: bool = True, log=print, processes: bool = True) -> SweepSummary:
    from dask.distributed import as_completed

    from engine.trials.runner import _client

    t0 = time.perf_counter()
    sweep = loaded.sweep
    X = design(sweep)
    keys = [p.key for p in sweep.parameters]
    log(f"sweep {sweep.name}: {sweep.method}, {len(keys)} parameters, {len(X)} runs of solver {sweep.solver}")
    results = np.full((len(X), len(sweep.outputs)), np.nan)
    failures: dict[int, str] = {}
    client, cluster = _client(workers, scheduler, processes)
    try:
        index, submitted = {}, []
        for i, row in enumerate(X):
            data = _scenario_data(sweep, loaded.base, dict(zip(keys, row)))
            future = client.submit(evaluate, data, str(loaded.base.base_dir), sweep.solver, sweep.outputs,
                                   pure=False, retries=1, key=f"sweep-{i}-{time.time_ns()}")
            index[future.key] = i
            submitted.append(future)
        with tqdm(total=len(X), unit="run", desc=sweep.name, file=sys.stderr, disable=not progress,
                  dynamic_ncols=True) as bar:
            for future in as_completed(submitted):
                i = index[future.key]
                if future.status == "finished":
                    results[i] = [future.result()[name] for name in sweep.outputs]
                else:
                    failures[i] = f"{type(future.exception()).__name__}: {future.exception()}"
                future.release()
                bar.update(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    ranked = write_outputs(loaded, out_dir, X, results, failures)
    return SweepSummary(out_dir=out_dir, runs=len(X), failed=len(failures), wall_s=time.perf_counter() - t0,
                        ranked=ranked)


def write_outputs(loaded: LoadedSweep, out_dir: Path, X: np.ndarray, results: np.ndarray,
                  failures: dict[int, str]) -> pd.DataFrame:
    """sweep.csv (every run), sensitivity.csv (ranked), sensitivity.png and report.md."""
    sweep = loaded.sweep
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = [p.key for p in sweep.parameters]
    table = pd.DataFrame(X, columns=keys)
    for j, name in enumerate(sweep.outputs):
        table[name] = results[:, j]
    table.insert(0, "run", np.arange(len(X)))
    table.to_csv(out_dir / "sweep.csv", index=False)
    if failures or not np.isfinite(results).all():
        ranked = pd.DataFrame()
    else:
        ranked = analyze(sweep, X, {name: results[:, j] for j, name in enumerate(sweep.outputs)})
        ranked.to_csv(out_dir / "sensitivity.csv", index=False)
        _figure(sweep, ranked, out_dir / "sensitivity.png")
    _report(loaded, table, ranked, failures, out_dir / "report.md")
    return ranked


def _figure(sweep: Sweep, ranked: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(ranked["output"]))
    k = len(sweep.parameters)
    fig, axes = plt.subplots(len(outputs), 1, figsize=(9.0, (0.42 * k + 1.3) * len(outputs) + 0.8), squeeze=False,
                             constrained_layout=True)
    for ax, output in zip(axes[:, 0], outputs):
        rows = ranked[ranked["output"] == output].sort_values("importance")
        labels = [name.split(".")[-1] for name in rows["parameter"]]
        if sweep.method == "morris":
            ax.barh(labels, rows["mu_star"], xerr=rows["mu_star_ci95"], color="#4c72b0", label="μ* (mean |effect|)")
            ax.plot(rows["sigma"], labels, "o", color="#dd8452", label="σ (interaction / non-linearity)")
            ax.set_xlabel(f"effect on {output} over each range")
        elif sweep.method == "sobol":
            ax.barh(labels, rows["ST"], xerr=rows["ST_ci95"], color="#4c72b0", label="total index ST")
            ax.plot(rows["S1"], labels, "o", color="#dd8452", label="first-order S1")
            ax.set_xlabel("share of the output's variance")
        else:
            ax.barh(labels, rows["main_effect_range"], color="#4c72b0", label="range of the mean over the grid values")
            ax.set_xlabel(f"{output}")
        ax.set_title(output, fontsize=11, loc="left")
        ax.legend(fontsize=9, loc="lower left", bbox_to_anchor=(0.0, 1.08), ncols=2, frameon=False)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{sweep.name}: {sweep.method} sensitivity, solver {sweep.solver}", fontsize=12)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _report(loaded: LoadedSweep, table: pd.DataFrame, ranked: pd.DataFrame, failures: dict[int, str],
            path: Path) -> None:
    sweep = loaded.sweep
    lines = [f"# Sweep {sweep.name}", "", sweep.description or "", "",
             f"- base scenario: `{sweep.base_scenario}`; solver `{sweep.solver}`; method `{sweep.method}`; "
             f"{len(table)} runs; seed {sweep.seed}",
             "- outputs: each run's value on its last day", ""]
    if failures:
        lines += [f"{len(failures)} runs failed (no sensitivities computed):", ""]
        lines += [f"- run {i}: {error}" for i, error in sorted(failures.items())[:20]]
    if not ranked.empty:
        columns = [c for c in ranked.columns if c not in ("importance",)]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for _, row in ranked.iterrows():
            lines.append("| " + " | ".join(f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c])
                                           for c in columns) + " |")
        lines += ["", "![sensitivity](sensitivity.png)"]
    path.write_text("\n".join(lines) + "\n")
    from engine.trials.report import markdown_to_html
    path.with_suffix(".html").write_text(markdown_to_html(path.read_text()), encoding="utf-8")

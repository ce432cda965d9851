"""Run a scenario day by day: model + readouts + HDF5 writer + checkpoints + progress. No biology, no
argument parsing.

`run` builds and spins up a model, then `_simulate` steps it to the end day, writing results.h5 and a
checkpoint (`engine.io.checkpoint`) every `outputs.checkpoint_every_days`, at the last day, and when
the process is asked to stop (Ctrl-C or SIGTERM: the day in progress is finished first, then the
checkpoint is written and `RunInterrupted` raised). `resume` loads a checkpoint and continues the same
results.h5, so an interrupted and resumed run writes exactly what an uninterrupted one does.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine.kernels import COLD_CACHE_HINT, compiled_cache_is_warm
from engine.grid.voxel_grid import FIELD_LONG_NAMES, FIELD_UNITS
from engine.io.checkpoint import CHECKPOINT_NAME, load_model, read_info, write_checkpoint
from engine.io.plots import plot_results
from engine.io.results import ResultsWriter
from engine.model import BoneModel
from engine.readouts import readout_table, record
from engine.scenario.loader import LoadedScenario


@dataclass
class RunSummary:
    results_path: Path
    plot_path: Path | None
    days: int
    wall_s: float
    build_s: float
    last: dict
    checkpoint_path: Path | None = None


@dataclass
class RunSettings:
    """What one stretch of simulation needs besides the model and its writer."""

    loaded: LoadedScenario
    seed: int
    until_day: int
    out_dir: Path
    progress: bool = True
    plot: bool = True
    fresh: bool = True  # a new run (writes the day-0 row), not a resumed one
    build_s: float = 0.0


class RunInterrupted(Exception):
    """The run stopped on request (Ctrl-C / SIGTERM) after writing a checkpoint."""

    def __init__(self, day: int, checkpoint_path: Path):
        self.day = day
        self.checkpoint_path = checkpoint_path
        super().__init__(f"interrupted at day {day}; checkpoint {checkpoint_path}")


class OutputExistsError(Exception):
    """The output folder already holds a run (refused unless overwrite is asked for)."""


class ResumeError(Exception):
    """A checkpoint cannot be resumed (incompatible, other scenario, nothing left to do)."""


def default_output_dir(loaded: LoadedScenario) -> Path:
    folder = loaded.scenario.outputs.folder
    return Path(folder) if folder else Path("outputs") / loaded.name


def check_output_dir(out_dir: Path, overwrite: bool) -> None:
    """Refuse to write over an earlier run unless asked to; with overwrite, its checkpoint goes too."""
    existing = [p for p in (out_dir / "results.h5", out_dir / CHECKPOINT_NAME) if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{out_dir} already holds a run ({', '.join(p.name for p in existing)}); "
                                "use --overwrite to replace it, --out DIR to write elsewhere, or "
                                f"`bmu resume {out_dir / CHECKPOINT_NAME}` to continue it")
    if overwrite:
        (out_dir / CHECKPOINT_NAME).unlink(missing_ok=True)


def run(loaded: LoadedScenario, out_dir: Path | None = None, days: int | None = None, seed: int | None = None,
        progress: bool = True, log=print, overwrite: bool = True, plot: bool = True) -> RunSummary:
    """Build the model, step it `days` days (default: the scenario's duration) and write results.h5 and
    checkpoint.h5 (and timeseries.png unless plot=False, as virtual-trial patients do). With
    overwrite=False an output folder that already holds a run is refused."""
    scenario = loaded.scenario
    days = scenario.duration_days if days is None else days
    seed = scenario.seed if seed is None else seed
    out_dir = default_output_dir(loaded) if out_dir is None else Path(out_dir)
    check_output_dir(out_dir, overwrite)
    settings = RunSettings(loaded, seed, days, out_dir, progress, plot)
    with _StopRequest(log) as stop:
        return _build_and_simulate(settings, log, stop)


def _build_and_simulate(settings: RunSettings, log, stop) -> RunSummary:
    loaded, scenario = settings.loaded, settings.loaded.scenario
    t0 = time.perf_counter()
    if not compiled_cache_is_warm():
        log(COLD_CACHE_HINT)
    model = BoneModel(scenario, base_dir=loaded.base_dir, rng=settings.seed)
    grid = model.grid
    log(f"built {grid.shape[0]}x{grid.shape[1]}x{grid.shape[2]} voxels of {grid.voxel_size_um:g} µm, "
        f"BV/TV {float(np.mean(grid.bone_fraction)):.3f}, {len(model.osteocytes)} osteocytes, "
        f"field grid {model.signalling.cell_size_um:g} µm ({time.perf_counter() - t0:.1f} s)")
    spin = scenario.numerics.spin_up_days
    with tqdm(total=spin, unit="day", desc="spin-up", disable=not settings.progress or spin == 0, file=sys.stderr,
              mininterval=0.5, dynamic_ncols=True) as bar:
        model.spin_up(spin, progress=bar.update)
    settings.build_s = time.perf_counter() - t0
    log(f"spin-up: {spin} days before day 0 (patient held at day 0): {len(model.bmus.bmus)} BMUs active, "
        f"BV/TV {float(np.mean(grid.bone_fraction)):.3f}")
    writer = ResultsWriter(settings.out_dir / "results.h5", loaded, settings.seed, grid.shape, grid.voxel_size_um,
                           readout_table(), FIELD_UNITS, FIELD_LONG_NAMES, scenario.outputs.snapshot_fields)
    return _simulate(model, writer, settings, stop)


def resume(checkpoint_path: Path | str, until_day: int | None = None, progress: bool = True, log=print,
           expected: LoadedScenario | None = None) -> RunSummary:
    """Continue the run of a checkpoint to `until_day` (default: the day that run was asked to reach).

    `expected`: a scenario the user says this is; refused, with the differing keys, if it is another."""
    checkpoint_path = Path(checkpoint_path)
    info = read_info(checkpoint_path)
    a = info.attrs
    t0 = time.perf_counter()
    model = load_model(info)  # refuses an incompatible checkpoint, saying what differs
    # the run's own scenario (for an arm: with that arm's regimen) is the one in the model
    loaded = LoadedScenario(model.scenario, str(a["scenario_yaml"]), str(a["scenario_source"]), checkpoint_path.parent)
    if expected is not None and expected.resolved_hash() != a["scenario_sha256"]:
        raise ResumeError(f"{checkpoint_path}: was written for scenario '{a['scenario_name']}', which differs from "
                          f"{expected.source}: {_differences(loaded, expected)}")
    until = int(a["until_day"]) if until_day is None else int(until_day)
    if until <= info.day:
        raise ResumeError(f"{checkpoint_path}: is already at day {info.day}; nothing to do before day {until} "
                          "(give --until-day beyond it)")
    log(f"resuming '{a['scenario_name']}' at day {info.day} from {checkpoint_path} (until day {until})")
    out_dir = checkpoint_path.parent
    outputs = model.scenario.outputs
    writer = ResultsWriter.reopen(out_dir / str(a["results_file"]), str(a["run_id"]), info.day, readout_table(),
                                  outputs.snapshot_fields, outputs.timeseries_every_days, outputs.snapshot_every_days)
    with _StopRequest(log) as stop:
        settings = RunSettings(loaded, int(a["seed"]), until, out_dir, progress, fresh=False,
                               build_s=time.perf_counter() - t0)
        return _simulate(model, writer, settings, stop)


def _differences(a: LoadedScenario, b: LoadedScenario) -> str:
    da, db = a.scenario.model_dump(mode="json"), b.scenario.model_dump(mode="json")
    diffs = []

    def walk(x, y, path):
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                walk(x.get(k), y.get(k), f"{path}.{k}" if path else k)
        elif x != y:
            diffs.append(f"{path} = {y!r} (checkpoint: {x!r})")
    walk(da, db, "")
    return "; ".join(diffs[:8]) + (f"; and {len(diffs) - 8} more" if len(diffs) > 8 else "")


class _StopRequest:
    """Ctrl-C / SIGTERM ask the run to stop after the current day, with a checkpoint (a second Ctrl-C
    stops at once, without one). A request during the build or spin-up is honoured after day 1."""

    def __init__(self, log=print):
        self.log = log
        self.signal_name = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.signal_name is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name
        self.log(f"\n{self.signal_name}: stopping after the current day and writing a checkpoint "
                 "(Ctrl-C again to abort without one)")

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _simulate(model: BoneModel, writer: ResultsWriter, settings: RunSettings, stop: _StopRequest) -> RunSummary:
    outputs = model.scenario.outputs
    loaded, seed, until, out_dir = settings.loaded, settings.seed, settings.until_day, settings.out_dir
    grid = model.grid
    checkpoint_path = out_dir / CHECKPOINT_NAME

    def write(day: int) -> dict:
        row = {}
        if day % outputs.timeseries_every_days == 0 or day == until:
            row = record(model)
            writer.append_timeseries(row)
        if day % outputs.snapshot_every_days == 0 or day == until:
            model.sync_grid_fields()
            writer.append_snapshot(day, {n: grid.array(n) for n in outputs.snapshot_fields},
                                   model.osteocyte_ids(), model.osteocyte_positions())
        return row

    def checkpoint() -> None:
        writer.flush()
        write_checkpoint(checkpoint_path, model, loaded=loaded, seed=seed, until_day=until, run_id=writer.run_id,
                         results_file=writer.path.name)

    with writer:
        last = write(model.day) if settings.fresh else {}
        t1 = time.perf_counter()
        start_day = model.day
        bar = tqdm(total=until - start_day, unit="day", desc=loaded.name, disable=not settings.progress, file=sys.stderr,
                   mininterval=0.5, dynamic_ncols=True)
        with bar:
            while model.day < until:
                model.step()
                last = write(model.day) or last
                bar.update(1)
                if last:
                    bar.set_postfix(bv_tv=f"{last['bv_tv']:.4f}", bmd_spine=f"{last['lumbar_spine_bmd_change_pct']:+.2f}%",
                                    bmd_trab=f"{last['biopsy_bmd_change_pct']:+.2f}%",
                                    bmus=last["n_active_bmus"], refresh=False)
                if stop.signal_name is not None:
                    checkpoint()
                    raise RunInterrupted(model.day, checkpoint_path)
                if model.day % outputs.checkpoint_every_days == 0 and model.day < until:
                    checkpoint()
        writer.write_bmus(model.bmus.completed, model.clock - model.day)
        checkpoint()
    wall = time.perf_counter() - t1
    plot_path = plot_results(writer.path, out_dir / "timeseries.png") if settings.plot else None
    return RunSummary(results_path=writer.path, plot_path=plot_path, days=until - start_day, wall_s=wall,
                      build_s=settings.build_s, last=last, checkpoint_path=checkpoint_path)

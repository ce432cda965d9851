"""Run a scenario day by day: model + readouts + HDF5 writer + progress. No biology, no argument parsing."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from engine.grid.voxel_grid import FIELD_LONG_NAMES, FIELD_UNITS
from engine.io.plots import plot_results
from engine.io.results import ResultsWriter
from engine.model import BoneModel
from engine.pharmacology import MODELLED_DRUGS
from engine.readouts import READOUTS, record
from engine.scenario.loader import LoadedScenario


@dataclass
class RunSummary:
    results_path: Path
    plot_path: Path | None
    days: int
    wall_s: float
    build_s: float
    last: dict


def not_yet_modelled(loaded: LoadedScenario) -> list[str]:
    """Scenario content this engine version validates but does not yet simulate (said, never silent)."""
    s = loaded.scenario
    notes = []
    missing = sorted({d.drug for d in s.regimen} - set(MODELLED_DRUGS))
    if missing:
        notes.append(f"regimen drugs {', '.join(missing)} are validated but not modelled yet: bone responds as if "
                     "they were not given")
    if s.patient.conditions:
        notes.append(f"patient conditions ({', '.join(s.patient.conditions)}) are validated but not modelled yet")
    notes.append(f"checkpoints (outputs.checkpoint_every_days = {s.outputs.checkpoint_every_days}) are not written yet")
    return notes


def default_output_dir(loaded: LoadedScenario) -> Path:
    folder = loaded.scenario.outputs.folder
    return Path(folder) if folder else Path("outputs") / loaded.name


def run(loaded: LoadedScenario, out_dir: Path | None = None, days: int | None = None, seed: int | None = None,
        progress: bool = True, log=print) -> RunSummary:
    """Build the model, step it `days` days (default: the scenario's duration) and write results.h5."""
    scenario = loaded.scenario
    days = scenario.duration_days if days is None else days
    seed = scenario.seed if seed is None else seed
    out_dir = default_output_dir(loaded) if out_dir is None else Path(out_dir)
    for note in not_yet_modelled(loaded):
        log(f"note: {note}")
    t0 = time.perf_counter()
    model = BoneModel(scenario, base_dir=loaded.base_dir, rng=seed)
    grid = model.grid
    log(f"built {grid.shape[0]}x{grid.shape[1]}x{grid.shape[2]} voxels of {grid.voxel_size_um:g} µm, "
        f"BV/TV {float(np.mean(grid.bone_fraction)):.3f}, {len(model.osteocytes)} osteocytes, "
        f"field grid {model.signalling.cell_size_um:g} µm ({time.perf_counter() - t0:.1f} s)")
    spin = scenario.numerics.spin_up_days
    with tqdm(total=spin, unit="day", desc="spin-up", disable=not progress or spin == 0, file=sys.stderr,
              mininterval=0.5, dynamic_ncols=True) as bar:
        model.spin_up(spin, progress=bar.update)
    build_s = time.perf_counter() - t0
    log(f"spin-up: {spin} days before day 0 (patient held at day 0): {len(model.remodeling.bmus)} BMUs active, "
        f"BV/TV {float(np.mean(grid.bone_fraction)):.3f}")
    outputs = scenario.outputs
    results_path = out_dir / "results.h5"
    with ResultsWriter(results_path, loaded, seed, grid.shape, grid.voxel_size_um, READOUTS, FIELD_UNITS,
                       FIELD_LONG_NAMES, outputs.snapshot_fields) as writer:
        def write(day: int) -> dict:
            row = {}
            if day % outputs.timeseries_every_days == 0 or day == days:
                row = record(model)
                writer.append_timeseries(row)
            if day % outputs.snapshot_every_days == 0 or day == days:
                model.sync_grid_fields()
                writer.append_snapshot(day, {n: grid.array(n) for n in outputs.snapshot_fields},
                                       model.osteocyte_ids(), model.osteocyte_positions())
            return row

        last = write(0)
        t1 = time.perf_counter()
        bar = tqdm(total=days, unit="day", desc=loaded.name, disable=not progress, file=sys.stderr,
                   mininterval=0.5, dynamic_ncols=True)
        with bar:
            for _ in range(days):
                model.step()
                last = write(model.day) or last
                bar.update(1)
                if last:
                    bar.set_postfix(bv_tv=f"{last['bv_tv']:.4f}", bmd=f"{last['bmd_change_pct']:+.2f}%",
                                    bmus=last["n_active_bmus"], refresh=False)
        writer.write_bmus(model.remodeling.completed, model.clock - model.day)
        writer.flush()
    wall = time.perf_counter() - t1
    plot_path = plot_results(results_path, out_dir / "timeseries.png")
    return RunSummary(results_path=results_path, plot_path=plot_path, days=days, wall_s=wall, build_s=build_s,
                      last=last)

"""The Python API for notebooks and scripts: build a scenario from a file or a dict, run it, get xarray.

    from engine import api
    scenario = api.scenario("scenarios/denosumab_60mg_q6m_3y.yaml", duration_days=365)
    patient = api.patient_curves(scenario)          # whole-skeleton layer alone: serum CTX/P1NP, spine/hip DXA
    run = api.run(scenario, days=30)                # agent volume + layer, as `bmu run`; an xarray.Dataset
    run["serum_ctx_change_pct"].plot()

Each function does what the matching `bmu` command does, through the same code (`engine.runner`,
`engine.io.export`), and raises `engine.scenario.ScenarioError` with the same one-line messages on bad input.
Datasets have the recorded day as their dimension (`day`), every readout as a variable with `units` and
`long_name` attributes, and the run's attributes (seed, engine version, results file).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np

from engine.scenario.loader import LoadedScenario, load_scenario, scenario_from_dict


def scenario(source: str | Path | dict | LoadedScenario, **overrides) -> LoadedScenario:
    """A validated scenario from a YAML file, a dict (the YAML's structure) or another scenario, with top-level
    `overrides` (e.g. duration_days=365, seed=4; nested sections replace the section's given keys:
    patient={"age_years": 70})."""
    if isinstance(source, LoadedScenario):
        data, name, base_dir = source.scenario.model_dump(mode="json"), source.name, source.base_dir
    elif isinstance(source, dict):
        data, name, base_dir = copy.deepcopy(source), "<dict>", Path(".")
    else:
        loaded = load_scenario(source)
        data, name, base_dir = loaded.scenario.model_dump(mode="json"), loaded.name, loaded.base_dir
    if not overrides and isinstance(source, (LoadedScenario, str, Path)):
        return source if isinstance(source, LoadedScenario) else loaded
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    data.setdefault("name", name if name != "<dict>" else "notebook")
    return scenario_from_dict(data, source=str(name), base_dir=base_dir)


def run(source, *, days: int | None = None, seed: int | None = None, out_dir: str | Path | None = None,
        progress: bool = False):
    """Run the scenario as `bmu run` does (spin-up, agent volume, whole-skeleton layer) and return its time
    series as an xarray.Dataset. Results go to `out_dir` (default: a new temporary folder, kept; its path is
    `ds.attrs['results_file']`)."""
    from engine.runner import run as run_scenario

    loaded = scenario(source)
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix=f"bmu-{loaded.name}-"))
    summary = run_scenario(loaded, out, days=days, seed=seed, progress=progress, log=lambda *a: None,
                           overwrite=True, plot=False)
    return open_results(summary.results_path)


def open_results(path: str | Path):
    """A results.h5's time series as an xarray.Dataset (read into memory; the file is closed)."""
    import h5py
    import xarray as xr

    path = Path(path)
    with xr.open_dataset(path, group="timeseries", engine="h5netcdf", phony_dims="sort") as ds:
        data = ds.load()
    with h5py.File(path, "r") as f:
        data.attrs.update({k: (v.item() if isinstance(v, np.generic) else v) for k, v in f.attrs.items()
                           if np.ndim(v) == 0})
    data.attrs["results_file"] = str(path)
    return data


def open_trial(path: str | Path):
    """A trial.h5 as the NONMEM-style long table (pandas DataFrame; see `bmu export --help`)."""
    from engine.io.export import long_table

    return long_table(Path(path))


def patient_curves(source, *, days: int | None = None):
    """The patient's whole-skeleton layer alone (no agent volume; under a second for years): serum CTX and
    P1NP, spine and hip DXA, trabecular ES/OS, serum denosumab, one row per day, as an xarray.Dataset."""
    import xarray as xr

    from engine.readouts import readout_table
    from engine.skeleton.patient import LAYER_ALONE_READOUTS, layer_curves

    loaded = scenario(source)
    recorded, rows = layer_curves(loaded.scenario, loaded.base_dir, days)
    units = readout_table()
    return xr.Dataset(
        {name: ("day", np.array([r[name] for r in rows], np.float64),
                {"units": units[name][0], "long_name": units[name][1]}) for name in LAYER_ALONE_READOUTS},
        coords={"day": ("day", np.array(recorded), {"units": "day", "long_name": "simulated day (0 = start)"})},
        attrs={"run_name": loaded.name, "solver": "whole-skeleton layer (engine.skeleton), deterministic"})

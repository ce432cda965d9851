"""The two Mesa models the browser view drives: a live simulation, and a replay of a finished run.

SolaraViz re-creates the model from keyword arguments on Reset, so both take only keyword arguments
with defaults. Both answer `view_state()` with the same `ViewState`, which is all the components
read: the view does not care whether a frame comes from the model or from results.h5.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import mesa
import numpy as np

from engine.agents.osteoblast import ACTIVE, Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.grid.voxel_grid import FIELD_UNITS
from engine.model import BoneModel
from engine.pharmacology import registry
from engine.pharmacology.regimen import expand_regimen
from engine.readouts import record
from engine.scenario.loader import LoadedScenario, load_scenario, scenario_from_dict
from engine.scenario.schema import DoseEntry
from engine.view.frames import AXES, take_slice

#: readouts the view keeps per day (plots), a subset of engine.readouts.READOUTS
HISTORY_READOUTS = ("day", "lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct", "serum_ctx_change_pct",
                    "serum_p1np_change_pct", "biopsy_bmd_change_pct", "biopsy_ctx_change_pct", "biopsy_p1np_change_pct",
                    "serum_denosumab_ng_per_ml",
                    "free_rankl_nM", "n_osteoclasts", "n_osteoblasts", "n_lining_cells", "n_active_bmus",
                    "n_precursors", "bv_tv")

#: signalling fields the live view can show (voxel-resolution names of engine.grid.voxel_grid)
LIVE_FIELDS = ("rankl_nM", "opg_nM", "drug_nM", "rank_occupancy")

SCENARIO_REGIMEN = "as in the scenario"
#: regimen choices offered in the browser besides the scenario's own regimen and arms
def preset_regimens() -> dict[str, list[dict]]:
    """Untreated and every registered drug's view presets (engine.pharmacology.registry)."""
    presets: dict[str, list[dict]] = {"untreated": []}
    presets.update({label: [dict(line) for line in lines] for module in registry.drugs().values()
                    for label, lines in module.view_presets.items()})
    return presets


PRESET_REGIMENS = preset_regimens()  # the built-in drugs' presets


@dataclass
class ViewState:
    """One frame's worth of data, arrays (z, y, x)."""

    day: int
    voxel_size_um: float
    bone: np.ndarray
    mineral: np.ndarray
    osteoid: np.ndarray | None
    field_plane: Callable[[str, str, int], np.ndarray]   # (field, axis 'z'|'y'|'x', index) -> 2-D plane
    field_units: dict[str, str]                          # the fields that can be shown, with units
    cells: dict[str, np.ndarray]                 # kind -> (n, 3) voxel positions
    active: np.ndarray | None                    # bool volume: voxels of active BMUs
    history: dict[str, np.ndarray]               # readout -> values up to today (HISTORY_READOUTS)
    dose_days: list[tuple[float, str, float]]    # (day, drug, dose_mg)
    notes: list[str] = field(default_factory=list)


def regimen_choices(loaded: LoadedScenario) -> list[str]:
    """What the regimen selector offers for this scenario: its own regimen, its arms, the presets."""
    arms = [f"arm: {name}" for name in loaded.scenario.arms]
    return [SCENARIO_REGIMEN, *arms, *preset_regimens()]


def scenario_for_view(path: str | Path, regimen: str = SCENARIO_REGIMEN, years_since_menopause: float | None = None,
                      seed: int | None = None) -> LoadedScenario:
    """The scenario at `path` with the view's choices applied (validated again, so errors stay clear)."""
    loaded = load_scenario(path)
    data = loaded.scenario.model_dump(mode="json")
    if regimen.startswith("arm: "):
        data["regimen"] = data["arms"][regimen[len("arm: "):]]
    elif regimen in preset_regimens():
        data["regimen"] = preset_regimens()[regimen]
    elif regimen != SCENARIO_REGIMEN:
        raise ValueError(f"unknown regimen choice {regimen!r}; choose one of {regimen_choices(loaded)}")
    data["arms"] = {}
    if years_since_menopause is not None and data["patient"]["sex"] == "female":
        data["patient"]["years_since_menopause"] = None if years_since_menopause < 0 else float(years_since_menopause)
    if seed is not None:
        data["seed"] = int(seed)
    return scenario_from_dict(data, source=loaded.source, base_dir=loaded.base_dir, text=loaded.text)


def _dose_days(regimen) -> list[tuple[float, str, float]]:
    lines = [line if isinstance(line, DoseEntry) else DoseEntry(**line) for line in regimen]
    return [(e.day, e.drug, e.dose_mg) for e in expand_regimen(lines)]


class LiveBoneModel(BoneModel):
    """BoneModel for the browser: built from a scenario file plus the view's inputs, spun up, and
    keeping the readouts of every day since day 0 in memory for the plots.

    Args (all keyword, as SolaraViz needs):
        scenario_path: scenario YAML.
        regimen: SCENARIO_REGIMEN, "arm: <name>" or a `preset_regimens()` key.
        years_since_menopause: overrides the scenario's patient (women only; < 0 = premenopausal).
        seed: overrides the scenario's seed.
        spin_up_days: overrides numerics.spin_up_days (None = the scenario's).
    """

    def __init__(self, scenario_path: str = "scenarios/default.yaml", regimen: str = SCENARIO_REGIMEN,
                 years_since_menopause: float | None = None, seed: int | None = None,
                 spin_up_days: int | None = None):
        import sys

        from tqdm import tqdm

        from engine.kernels import COLD_CACHE_HINT, compiled_cache_is_warm

        loaded = scenario_for_view(scenario_path, regimen, years_since_menopause, seed)
        # the server's terminal says what the first page load waits for (the page appears after the spin-up)
        if not compiled_cache_is_warm():
            print(f"bmu view: {COLD_CACHE_HINT}", file=sys.stderr, flush=True)
        print(f"bmu view: building '{loaded.name}' ...", file=sys.stderr, flush=True)
        super().__init__(loaded.scenario, loaded.base_dir)
        self.loaded = loaded
        days = self.scenario.numerics.spin_up_days if spin_up_days is None else spin_up_days
        with tqdm(total=days, unit="day", desc="bmu view: spin-up before day 0", file=sys.stderr,
                  disable=days == 0, dynamic_ncols=True) as bar:
            self.spin_up(spin_up_days, progress=bar.update)
        # preallocated per readout (grown if the model is stepped past the scenario's duration), so a frame
        # takes views instead of converting ever longer lists
        self._history = np.full((len(HISTORY_READOUTS), self.scenario.duration_days + 1), np.nan)
        self._history_days = 0
        self.step_ms: list[float] = []     # wall time of each simulated day since day 0
        self._view_cache = None
        self._remember()

    def _remember(self) -> None:
        row = record(self)
        if self._history_days == self._history.shape[1]:
            self._history = np.concatenate([self._history, np.full_like(self._history, np.nan)], axis=1)
        self._history[:, self._history_days] = [row[name] for name in HISTORY_READOUTS]
        self._history_days += 1

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Readouts (HISTORY_READOUTS) of every day since day 0, as read-only views."""
        view = self._history[:, :self._history_days]
        view.flags.writeable = False
        return dict(zip(HISTORY_READOUTS, view))

    def step(self) -> None:
        t0 = time.perf_counter()
        super().step()
        if self.day > 0:  # during spin_up the history does not exist yet
            self._remember()
            self.step_ms.append((time.perf_counter() - t0) * 1e3)

    @property
    def median_step_ms(self) -> float:
        """Median wall time of the last 30 simulated days (ms); NaN before the first step."""
        return float(np.median(self.step_ms[-30:])) if self.step_ms else float("nan")

    @property
    def last_day(self) -> int:
        return self.scenario.duration_days

    def view_state(self) -> ViewState:
        """Today's frame data (computed once per day: every panel asks for it)."""
        if self._view_cache is not None and self._view_cache[0] == self.clock:
            return self._view_cache[1]
        state = self._view_state()
        self._view_cache = (self.clock, state)
        return state

    def _view_state(self) -> ViewState:
        grid = self.grid
        clasts = self.agents_by_type.get(Osteoclast) or []
        blasts = self.agents_by_type.get(Osteoblast) or []
        working, lining = [], []
        for b in blasts:   # one pass: iterating a Mesa AgentSet is the costly part of a frame's data
            (working if b.state == ACTIVE else lining).append(b.voxel)
        cells = {
            "osteoclast": np.array([c.voxel for c in clasts], dtype=np.int64).reshape(-1, 3),
            "osteoblast": np.array(working, dtype=np.int64).reshape(-1, 3),
            "lining": np.array(lining, dtype=np.int64).reshape(-1, 3),
            "osteocyte": self.cells.osteocyte_voxels.positions(),
        }
        signalling = self.signalling

        def field_plane(name: str, axis: str, index: int) -> np.ndarray:
            return signalling.field_plane(name, AXES[axis], index)

        return ViewState(
            day=self.day, voxel_size_um=grid.voxel_size_um, bone=grid.bone_fraction, mineral=grid.mineral_fraction,
            osteoid=grid.osteoid_fraction, field_plane=field_plane, field_units={n: FIELD_UNITS[n] for n in LIVE_FIELDS},
            cells=cells, active=grid.bmu_label > 0,
            history=self.history,
            dose_days=_dose_days(self.scenario.regimen))


class ReplayModel(mesa.Model):
    """Steps through the snapshots of a finished run's results.h5 (no simulation).

    One step = the next snapshot. The time series are the file's, up to the snapshot's day. Only what
    the run stored can be shown: the snapshot fields it chose and the osteocytes (osteoclasts and
    osteoblasts are not stored), which the view says on screen.
    """

    def __init__(self, results_path: str = "outputs/default/results.h5", rng=None):
        super().__init__(rng=rng)
        self.results_path = str(results_path)
        with h5py.File(self.results_path, "r") as f:
            if "snapshots" not in f or "timeseries" not in f:
                raise ValueError(f"{self.results_path}: not a bmu results file (no /snapshots or /timeseries)")
            self.snapshot_days = f["snapshots/day"][:].astype(int)
            self.snapshot_fields = [n for n in f["snapshots"] if n not in ("day", "z_um", "y_um", "x_um")]
            self.field_units = {n: str(f["snapshots"][n].attrs.get("units", "")) for n in self.snapshot_fields}
            self.timeseries = {n: f["timeseries"][n][:] for n in HISTORY_READOUTS if n in f["timeseries"]}
            self.voxel_size_um = float(f.attrs.get("voxel_size_um", 1.0))
            resolved = json.loads(f["scenario"].attrs["resolved_json"])
            self.run_name = str(f.attrs.get("run_name", Path(self.results_path).parent.name))
        if len(self.snapshot_days) == 0:
            raise ValueError(f"{self.results_path}: the run stored no snapshots")
        self.regimen = resolved.get("regimen", [])
        self.index = 0
        self._view_cache = None
        self.running = len(self.snapshot_days) > 1
        self.median_step_ms = float("nan")   # nothing is simulated

    @property
    def day(self) -> int:
        return int(self.snapshot_days[self.index])

    def step(self) -> None:
        if self.index < len(self.snapshot_days) - 1:
            self.index += 1
        self.running = self.index < len(self.snapshot_days) - 1

    @property
    def last_day(self) -> int:
        days = self.timeseries.get("day")
        return int(days[-1]) if days is not None and len(days) else int(self.snapshot_days[-1])

    def view_state(self) -> ViewState:
        """The frame of the current snapshot (read once per snapshot)."""
        if self._view_cache is not None and self._view_cache[0] == self.index:
            return self._view_cache[1]
        state = self._view_state()
        self._view_cache = (self.index, state)
        return state

    def _view_state(self) -> ViewState:
        with h5py.File(self.results_path, "r") as f:
            snap = f["snapshots"]
            arrays = {n: snap[n][self.index] for n in self.snapshot_fields}
            cells = {}
            if "agents/osteocytes" in f:
                table = f["agents/osteocytes"][:]
                rows = table[table["day"] == self.day]
                cells["osteocyte"] = np.stack([rows["z"], rows["y"], rows["x"]], axis=1).astype(np.int64)
        bone = arrays.get("bone_fraction")
        if bone is None:
            raise ValueError(f"{self.results_path}: snapshots lack bone_fraction, nothing to draw")
        mineral = arrays.get("mineral_fraction", bone)
        fields = {n: a for n, a in arrays.items() if n not in ("bone_fraction", "mineral_fraction", "osteoid_fraction")}

        def field_plane(name: str, axis: str, index: int) -> np.ndarray:
            return take_slice(fields[name], axis, index)

        days = self.timeseries.get("day", np.zeros(0))
        upto = days <= self.day
        notes = [f"replay of {self.results_path}: snapshot {self.index + 1} of {len(self.snapshot_days)}",
                 "osteoclasts, osteoblasts and lining cells are not stored in results.h5; only osteocytes are shown"]
        if "mineral_fraction" not in arrays:
            notes.append("mineral_fraction was not a snapshot field: bone drawn as fully mineralized")
        return ViewState(
            day=self.day, voxel_size_um=self.voxel_size_um, bone=bone, mineral=mineral,
            osteoid=arrays.get("osteoid_fraction"), field_plane=field_plane,
            field_units={n: self.field_units[n] for n in fields}, cells=cells, active=None,
            history={k: v[upto].astype(np.float64) for k, v in self.timeseries.items()},
            dose_days=_dose_days(self.regimen), notes=notes)


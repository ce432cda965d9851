"""HDF5 results writer (h5py). Knows file layout, nothing of biology.

Layout of `results.h5` (readable with plain h5py, HDFView or xarray; no engine code needed):

    /                      attrs: engine_version, schema_version, seed, run_name, created_utc,
                                  voxel_size_um, grid_shape_zyx, units_convention
    /provenance            attrs: git_commit, package_versions (JSON), numba_threads, command_line,
                                  pk_parameters (JSON: each drug's values in force)
    /scenario              attrs: yaml (the input text), resolved_json (all defaults filled in),
                                  resolved_sha256, source
    /scenario/biology_parameters   table: name, value, unit, source (numeric parameters; mechanism choices
                                   such as rebound_mechanism are attributes of the table)
    /timeseries/day        1-D int, one row per recorded day (dimension scale of all series)
    /timeseries/<name>     1-D, resizable, attrs units, long_name
    /snapshots/day         1-D int (dimension scale)
    /snapshots/z_um, y_um, x_um    voxel-centre coordinates (dimension scales)
    /snapshots/<field>     (time, z, y, x) float32, chunked, gzip; attrs units, long_name
    /agents/osteocytes     table at snapshot days: day, unique_id, z, y, x

Every write goes through `append_*`, which extends resizable datasets, so a run that stops early
leaves a valid file with the rows written so far. `ResultsWriter.reopen` continues a file after a
checkpoint: it checks that the file belongs to the checkpoint's run (`run_id`) and truncates every
table to the checkpoint's day, so a crash between checkpoints leaves neither duplicated nor missing rows.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from pathlib import Path

import h5py
import numpy as np

from engine import __version__
from engine.io.provenance import write_provenance
from engine.scenario.biology import numeric_parameters, parameter_table
from engine.scenario.loader import LoadedScenario
from engine.scenario.schema import SCHEMA_VERSION

UNITS_CONVENTION = "concentrations nM (nmol/L), time day, length µm; dataset attrs 'units' are UDUNITS strings"
_STR = h5py.string_dtype()
AGENT_DTYPE = np.dtype([("day", np.int32), ("unique_id", np.int64), ("z", np.int32), ("y", np.int32), ("x", np.int32)])


#: Timeseries rows are written in blocks of this many (an interrupted run loses at most this many rows).
TIMESERIES_BLOCK_ROWS = 64


class ResultsError(Exception):
    """results.h5 cannot be continued (wrong run, unreadable); the message says which and why."""


class ResultsWriter:
    """Creates results.h5 and appends rows and snapshots to it."""

    def __init__(self, path: Path | str, loaded: LoadedScenario, seed: int, grid_shape: tuple[int, int, int],
                 voxel_size_um: float, readout_units: dict[str, tuple[str, str]],
                 field_units: dict[str, str], field_long_names: dict[str, str], snapshot_fields: tuple[str, ...],
                 _reopen: h5py.File | None = None):
        self.path = Path(path)
        self.readout_units = readout_units
        self._pending: list[dict] = []
        self.snapshot_fields = snapshot_fields
        self.grid_shape = grid_shape
        if _reopen is not None:
            self.file = _reopen
            self.run_id = str(self.file.attrs["run_id"])
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = h5py.File(self.path, "w")
        self.run_id = uuid.uuid4().hex
        f = self.file
        f.attrs.update({
            "run_id": self.run_id,
            "engine_version": __version__, "schema_version": SCHEMA_VERSION, "seed": seed,
            "run_name": loaded.name, "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "voxel_size_um": voxel_size_um, "grid_shape_zyx": np.array(grid_shape, np.int64),
            "units_convention": UNITS_CONVENTION,
        })
        write_provenance(f, loaded.scenario)
        sc = f.create_group("scenario")
        sc.attrs.update({"yaml": loaded.text, "resolved_json": loaded.resolved_json(),
                         "resolved_sha256": loaded.resolved_hash(), "source": loaded.source})
        self._write_parameters(sc, loaded)
        ts = f.create_group("timeseries")
        day = ts.create_dataset("day", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1024,))
        day.attrs.update({"units": "day", "long_name": "simulated day (0 = start)"})
        day.make_scale("day")
        snap = f.create_group("snapshots")
        sday = snap.create_dataset("day", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(64,))
        sday.attrs.update({"units": "day", "long_name": "snapshot day"})
        sday.make_scale("day")
        for axis, n in zip(("z_um", "y_um", "x_um"), grid_shape):
            coord = snap.create_dataset(axis, data=(np.arange(n) + 0.5) * voxel_size_um)
            coord.attrs.update({"units": "um", "long_name": f"voxel centre {axis[0]} coordinate"})
            coord.make_scale(axis)
        nz, ny, nx = grid_shape
        chunk_z = max(1, min(nz, (1 << 18) // max(1, ny * nx)))  # ~1 MB float32 chunks
        for name in snapshot_fields:
            ds = snap.create_dataset(name, shape=(0, nz, ny, nx), maxshape=(None, nz, ny, nx), dtype=np.float32,
                                     chunks=(1, chunk_z, ny, nx), compression="gzip", compression_opts=4, shuffle=True)
            ds.attrs.update({"units": field_units[name], "long_name": field_long_names[name]})
            ds.dims[0].attach_scale(sday)
            for i, axis in enumerate(("z_um", "y_um", "x_um"), start=1):
                ds.dims[i].attach_scale(snap[axis])
        agents = f.create_group("agents")
        agents.create_dataset("osteocytes", shape=(0,), maxshape=(None,), dtype=AGENT_DTYPE, chunks=(4096,))
        agents["osteocytes"].attrs["long_name"] = "osteocyte positions (voxel indices z, y, x) at snapshot days"

    @classmethod
    def reopen(cls, path: Path | str, run_id: str, day: int, readout_units: dict[str, tuple[str, str]],
               snapshot_fields: tuple[str, ...], timeseries_every_days: int = 1,
               snapshot_every_days: int = 1) -> "ResultsWriter":
        """Continue results.h5 of run `run_id` after its checkpoint at `day`: rows after that day are dropped,
        and so is a row *at* that day that only the earlier run's last day put there (off the cadence), so
        the file ends up as an uninterrupted run would have written it."""
        path = Path(path)
        if not path.exists():
            raise ResultsError(f"{path}: not found (the checkpoint's run wrote its results there)")
        try:
            f = h5py.File(path, "r+")
        except OSError as exc:
            raise ResultsError(f"{path}: cannot be opened for writing ({exc})") from None
        found = f.attrs.get("run_id")
        if found is None or str(found) != run_id:
            f.close()
            raise ResultsError(f"{path}: belongs to another run (run_id {found!s:.12} ≠ checkpoint's {run_id:.12}); "
                               "resume writes only into the results of the run that wrote the checkpoint")
        ts = f["timeseries"]
        keep = int(np.searchsorted(ts["day"][()], day, side="right" if day % timeseries_every_days == 0 else "left"))
        for name in list(ts):
            if ts[name].shape[0] > keep:
                ts[name].resize(keep, axis=0)
        snap = f["snapshots"]
        on_cadence = day % snapshot_every_days == 0
        keep_snap = int(np.searchsorted(snap["day"][()], day, side="right" if on_cadence else "left"))
        for name in ["day", *snapshot_fields]:
            if name in snap and snap[name].shape[0] > keep_snap:
                snap[name].resize(keep_snap, axis=0)
        agents = f["agents/osteocytes"]
        keep_agents = int(np.searchsorted(agents["day"][()], day, side="right" if on_cadence else "left"))
        agents.resize(keep_agents, axis=0)
        if "bmus" in f:  # written when a run ends; rewritten when the continued run ends
            del f["bmus"]
        shape = tuple(int(n) for n in f.attrs["grid_shape_zyx"])
        return cls(path, None, 0, shape, 0.0, readout_units, {}, {}, snapshot_fields, _reopen=f)

    @staticmethod
    def _write_parameters(group: h5py.Group, loaded: LoadedScenario) -> None:
        numeric = set(numeric_parameters())
        rows = parameter_table()
        values = loaded.scenario.biology.model_dump()
        dtype = np.dtype([("name", _STR), ("value", np.float64), ("unit", _STR), ("source", _STR)])
        table = np.array([(r["name"], values[r["name"]], r["unit"], r["source"]) for r in rows
                          if r["name"] in numeric], dtype=dtype)
        ds = group.create_dataset("biology_parameters", data=table)
        for r in rows:  # choices between mechanisms: attributes of the table (name = chosen value)
            if r["name"] not in numeric:
                ds.attrs[r["name"]] = str(values[r["name"]])

    @staticmethod
    def _append(ds: h5py.Dataset, values: np.ndarray) -> None:
        n = ds.shape[0]
        ds.resize(n + len(values), axis=0)
        ds[n:] = values

    def append_timeseries(self, row: dict[str, float]) -> None:
        """Queue one row; rows reach the file in blocks (one resize per dataset per block, not per day)."""
        self._pending.append(row)
        if len(self._pending) >= TIMESERIES_BLOCK_ROWS:
            self._write_pending()

    def _write_pending(self) -> None:
        if not self._pending:
            return
        ts = self.file["timeseries"]
        rows, self._pending = self._pending, []
        first = rows[0]
        for name, value in first.items():
            if name == "day" or name in ts:
                continue
            dtype = np.int64 if isinstance(value, (int, np.integer)) else np.float64
            ds = ts.create_dataset(name, shape=(ts["day"].shape[0],), maxshape=(None,), dtype=dtype,
                                   chunks=(1024,), fillvalue=np.nan if dtype == np.float64 else 0)
            units, long_name = self.readout_units.get(name, ("1", name))
            ds.attrs.update({"units": units, "long_name": long_name})
            ds.dims[0].attach_scale(ts["day"])
        for name in first:
            if name != "day":
                self._append(ts[name], np.array([r[name] for r in rows]))
        self._append(ts["day"], np.array([r["day"] for r in rows], np.int32))

    def append_snapshot(self, day: int, arrays: dict[str, np.ndarray], osteocyte_ids: np.ndarray,
                        osteocyte_voxels: np.ndarray) -> None:
        snap = self.file["snapshots"]
        self._append(snap["day"], np.array([day], np.int32))
        for name in self.snapshot_fields:
            self._append(snap[name], arrays[name][None].astype(np.float32))
        table = np.empty(len(osteocyte_ids), AGENT_DTYPE)
        table["day"] = day
        table["unique_id"] = osteocyte_ids
        if len(osteocyte_ids):
            table["z"], table["y"], table["x"] = osteocyte_voxels[:, 0], osteocyte_voxels[:, 1], osteocyte_voxels[:, 2]
        self._append(self.file["agents/osteocytes"], table)

    def write_bmus(self, records: list[dict], clock_at_day0: int) -> None:
        """/bmus: one row per finished BMU (histomorphometry of its cycle); clock days become scenario days."""
        if not records:
            return
        names = list(records[0])
        dtype = np.dtype([(n, np.int64 if isinstance(records[0][n], (int, np.integer)) else np.float64) for n in names])
        table = np.array([tuple(r[n] for n in names) for r in records], dtype=dtype)
        for n in ("started_clock_day", "ended_clock_day"):
            table[n] -= clock_at_day0
        table = table.astype(np.dtype([(n.replace("_clock_day", "_day"), dtype[n]) for n in names]))
        ds = self.file.create_dataset("bmus", data=table)
        ds.attrs["long_name"] = ("finished BMUs: phase durations (days), resorbed/formed volume (um^3), footprint "
                                 "(um^2), erosion depth and wall thickness (um); days relative to day 0 "
                                 "(negative = began in the spin-up)")

    def flush(self) -> None:
        self._write_pending()
        self.file.flush()

    def close(self) -> None:
        if self.file.id.valid:
            self._write_pending()
            self.file.close()

    def __enter__(self) -> "ResultsWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

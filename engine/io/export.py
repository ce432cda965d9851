"""Exports for the tools people analyse results with: tables (CSV, Parquet) and a NONMEM-style long table.

- A run (`results.h5`): its time series as one row per recorded day, one column per readout (the column
  names carry their units, e.g. `serum_ctx_ng_per_ml`; units also in the Parquet schema metadata).
- A trial (`trial.h5`) or a run, as a pharmacometric long table, the layout NONMEM, nlmixr2, mrgsolve,
  Monolix and tidyvpc read: one row per observation (EVID 0: ID, TIME in days, DV, DVID and READOUT naming
  the readout, UNITS) and per dose (EVID 1, MDV 1: AMT in mg, DRUG, ROUTE), with the patient's
  covariates on every row (AGE, YSM, TSCORE, BVTV, WT, GCYRS and each sampled parameter). Observations at a
  dose time come before the dose (the day-0 record is the pre-dose baseline). `--format nonmem` writes it
  as CSV with `.` for missing values, as NONMEM's $DATA expects.
- A run's snapshots as VTK ImageData files and a ParaView collection (`--format vtk`).

Everything is read with h5py; the writers are pandas' (Parquet through pyarrow).
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import yaml

from engine.pharmacology.regimen import expand_regimen

FORMATS = ("csv", "parquet", "nonmem", "vtk")
#: characteristics of a trial patient -> covariate column
COVARIATES = {"age_years": "AGE", "years_since_menopause": "YSM", "baseline_t_score": "TSCORE", "bv_tv": "BVTV",
              "body_weight_kg": "WT", "glucocorticoid_years_of_use": "GCYRS"}


class ExportError(Exception):
    """The file cannot be exported; the message says why in one line."""


def kind_of(path: Path) -> str:
    """'results' or 'trial' (raises ExportError for anything else)."""
    if not path.is_file():
        raise ExportError(f"{path}: file not found")
    if not h5py.is_hdf5(path):
        raise ExportError(f"{path}: not an HDF5 file (export takes a results.h5 or trial.h5 written by bmu)")
    with h5py.File(path, "r") as f:
        if "trial_name" in f.attrs and "arms" in f:
            return "trial"
        if "timeseries" in f and "day" in f["timeseries"]:
            return "results"
    raise ExportError(f"{path}: an HDF5 file, but neither a results.h5 nor a trial.h5 written by bmu")


def timeseries_table(results_path: Path) -> pd.DataFrame:
    """One row per recorded day of a run; `attrs['units']` maps each column to its units."""
    with h5py.File(results_path, "r") as f:
        ts = f["timeseries"]
        columns = {"day": ts["day"][()]}
        units = {"day": "day"}
        for name in sorted(ts):
            if name != "day" and ts[name].ndim == 1:
                columns[name] = ts[name][()]
                units[name] = str(ts[name].attrs.get("units", ""))
    table = pd.DataFrame(columns)
    table.attrs["units"] = units
    return table


class _Columns:
    """The long table's columns, gathered patient by patient as numpy arrays and joined once (a FREEDOM-sized
    trial has millions of rows: row dicts or a DataFrame per patient would take minutes)."""

    def __init__(self):
        self.parts: dict[str, list[np.ndarray]] = {}
        self.rows = 0

    def add(self, n: int, values: dict) -> None:
        for key, value in values.items():
            if key not in self.parts:   # a column first seen now: missing in the rows before
                self.parts[key] = [np.full(self.rows, np.nan if not isinstance(value, str) else "", dtype=object)]
            self.parts[key].append(np.asarray(value) if np.ndim(value) else np.full(n, value, dtype=object))
        for key in self.parts.keys() - values.keys():
            self.parts[key].append(np.full(n, np.nan, dtype=object))
        self.rows += n

    def frame(self) -> pd.DataFrame:
        table = pd.DataFrame({key: np.concatenate(parts) for key, parts in self.parts.items()})
        return table.infer_objects()


def _doses(regimen: list[dict], last_day: float) -> dict[str, np.ndarray]:
    from engine.scenario.schema import DoseEntry

    events = [e for e in expand_regimen([DoseEntry.model_validate(line) for line in regimen]) if e.day <= last_day]
    n = len(events)
    return {"TIME": np.array([e.day for e in events], float), "EVID": np.ones(n, int), "MDV": np.ones(n, int),
            "AMT": np.array([e.dose_mg for e in events], float), "DRUG": np.array([e.drug for e in events], object),
            "ROUTE": np.array([e.route for e in events], object), "DV": np.full(n, np.nan), "DVID": np.zeros(n, int),
            "READOUT": np.full(n, "", object), "UNITS": np.full(n, "", object)}


def _add_patient(columns: _Columns, common: dict, series: dict, units: dict, names: list[str], doses: dict) -> None:
    days = np.asarray(series["day"], dtype=np.float64)
    for dvid, name in enumerate(names, start=1):
        values = np.asarray(series[name], dtype=np.float64)
        keep = np.isfinite(values)
        n = int(keep.sum())
        columns.add(n, {**common, "TIME": days[keep], "EVID": np.zeros(n, int), "MDV": np.zeros(n, int),
                        "AMT": np.zeros(n), "DRUG": np.full(n, "", object), "ROUTE": np.full(n, "", object),
                        "DV": values[keep], "DVID": np.full(n, dvid), "READOUT": np.full(n, name, object),
                        "UNITS": np.full(n, units.get(name, ""), object)})
    last = days[-1] if days.size else 0.0
    keep = doses["TIME"] <= last
    n = int(keep.sum())
    if n:
        columns.add(n, {**common, **{k: v[keep] for k, v in doses.items()}})


#: patients per piece of a trial's long table: the export streams pieces, so memory stays small for a
#: FREEDOM-sized trial (7,868 patients, 6 million rows)
PATIENTS_PER_CHUNK = 250


def long_table_chunks(path: Path, patients_per_chunk: int | None = None):
    """The NONMEM-style long table of a trial.h5, a few hundred patients at a time (each piece ordered, with
    the same columns; pieces in ID order)."""
    patients_per_chunk = patients_per_chunk or PATIENTS_PER_CHUNK
    with h5py.File(path, "r") as f:
        trial = yaml.safe_load(f.attrs["trial_yaml"])
        duration = float(trial.get("duration_days") or 1e9)
        groups = [(arm_number, arm, pid, f[f"arms/{arm}/patients/{pid}"])
                  for arm_number, arm in enumerate(f["arms"], start=1)
                  for pid in sorted(f[f"arms/{arm}"].get("patients", {}))]
        covariates = list(dict.fromkeys(COVARIATES.get(k, k.split(".")[-1].upper())
                                        for *_, group in groups
                                        for k in json.loads(group.attrs.get("characteristics", "{}"))))
        doses = {arm: _doses(trial.get("arms", {}).get(arm, {}).get("regimen", []) or [], duration)
                 for arm in f["arms"]}
        for first in range(0, len(groups), patients_per_chunk):
            columns = _Columns()
            for offset, (arm_number, arm, pid, group) in enumerate(groups[first:first + patients_per_chunk]):
                series = {name: group[name][()] for name in group}
                units = {name: str(group[name].attrs.get("units", "")) for name in group}
                chars = json.loads(group.attrs.get("characteristics", "{}"))
                common = {"ID": first + offset + 1, "PATIENT": pid, "ARM": arm, "ARMN": arm_number}
                named = {COVARIATES.get(k, k.split(".")[-1].upper()): v for k, v in chars.items()}
                common.update({name: named.get(name, np.nan) for name in covariates})
                _add_patient(columns, common, series, units, [n for n in series if n != "day"], doses[arm])
            if columns.rows:
                yield _ordered(columns.frame())


def long_table(path: Path) -> pd.DataFrame:
    """The NONMEM-style long table of a trial.h5 (every patient) or a results.h5 (ID 1), in memory."""
    if kind_of(path) == "results":
        return _run_long_table(path)
    chunks = list(long_table_chunks(path))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def _run_long_table(path: Path) -> pd.DataFrame:
    table = timeseries_table(path)
    with h5py.File(path, "r") as f:
        resolved = json.loads(f["scenario"].attrs["resolved_json"])
        run_name = str(f.attrs.get("run_name", path.parent.name))
    patient = resolved.get("patient", {})
    common = {"ID": 1, "PATIENT": run_name, "ARM": run_name, "ARMN": 1, "AGE": patient.get("age_years"),
              "YSM": patient.get("years_since_menopause"), "WT": patient.get("body_weight_kg")}
    series = {name: table[name].to_numpy(dtype=np.float64) for name in table.columns}
    columns = _Columns()
    _add_patient(columns, {k: (np.nan if v is None else v) for k, v in common.items()}, series, table.attrs["units"],
                 [n for n in table.columns if n != "day"], _doses(resolved.get("regimen", []), float(series["day"][-1])))
    return _ordered(columns.frame())


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """NONMEM's order: by ID and TIME, observations before a dose at the same time; fixed leading columns."""
    if table.empty:
        return table
    table = table.sort_values(["ID", "TIME", "EVID", "DVID"], kind="stable").reset_index(drop=True)
    lead = ["ID", "PATIENT", "ARM", "ARMN", "TIME", "EVID", "MDV", "AMT", "DRUG", "ROUTE", "DV", "DVID", "READOUT",
            "UNITS"]
    return table[lead + [c for c in table.columns if c not in lead]]


def export(path: Path, fmt: str = "csv", out: Path | None = None) -> Path:
    """Write `path` (results.h5 or trial.h5) as `fmt` and return the file written.

    csv/parquet: a run's time series (wide) or a trial's long table; nonmem: the long table as NONMEM CSV."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
    kind = kind_of(path)
    if fmt == "vtk":
        if kind != "results":
            raise ExportError(f"{path}: --format vtk takes a results.h5 (its snapshots); a trial has none")
        return export_vtk(path, out)
    wide = kind == "results" and fmt != "nonmem"
    suffix = {"csv": ".csv", "parquet": ".parquet", "nonmem": ".csv"}[fmt]
    default = path.with_name(path.stem + ("" if wide else "_nonmem" if fmt == "nonmem" else "_long") + suffix)
    out = Path(out) if out else default
    out.parent.mkdir(parents=True, exist_ok=True)
    if wide:
        pieces = iter([timeseries_table(path)])
    elif kind == "results":
        pieces = iter([_run_long_table(path)])
    else:
        pieces = long_table_chunks(path)
    writer = None
    try:
        for i, table in enumerate(pieces):
            if fmt == "parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                arrow = pa.Table.from_pandas(table, preserve_index=False)
                units = table.attrs.get("units")
                if units:
                    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                                           b"units": json.dumps(units).encode()})
                if writer is None:
                    writer = pq.ParquetWriter(out, arrow.schema)
                writer.write_table(arrow.cast(writer.schema))
            else:
                table.to_csv(out, index=False, header=i == 0, mode="w" if i == 0 else "a",
                             na_rep="." if fmt == "nonmem" else "")
    finally:
        if writer is not None:
            writer.close()
    return out


def export_vtk(results_path: Path, out_dir: Path | None = None) -> Path:
    """Every snapshot of a results.h5 as VTK ImageData (`.vti`, one per snapshot day, every snapshot field as
    cell data, spacing in µm; VTK has no units attribute, the units stay in results.h5) and a ParaView collection (`.pvd`) with the days as timesteps:
    open the .pvd in ParaView and play. Returns the .pvd."""
    results_path = Path(results_path)
    out_dir = Path(out_dir) if out_dir else results_path.with_name(results_path.stem + "_vtk")
    out_dir.mkdir(parents=True, exist_ok=True)
    with h5py.File(results_path, "r") as f:
        if "snapshots" not in f or "day" not in f["snapshots"] or not len(f["snapshots/day"]):
            raise ExportError(f"{results_path}: no snapshots to export (outputs.snapshot_every_days)")
        snap = f["snapshots"]
        voxel = float(f.attrs["voxel_size_um"])
        fields = [name for name in snap if snap[name].ndim == 4]
        entries = []
        for t, day in enumerate(snap["day"][()]):
            name = f"day_{int(day):05d}.vti"
            _write_vti(out_dir / name, {field: snap[field][t] for field in fields}, voxel)
            entries.append(f'    <DataSet timestep="{int(day)}" part="0" file="{name}"/>')
    pvd = out_dir / (results_path.stem + ".pvd")
    pvd.write_text('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">\n'
                   "  <Collection>\n" + "\n".join(entries) + "\n  </Collection>\n</VTKFile>\n")
    return pvd


def _write_vti(path: Path, arrays: dict[str, np.ndarray], voxel_um: float) -> None:
    """VTK XML ImageData with raw appended float32 cell data (x varies fastest: the (z, y, x) C order)."""
    nz, ny, nx = next(iter(arrays.values())).shape
    header, blobs, offset = [], [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header.append(f'        <DataArray type="Float32" Name="{name}" format="appended" offset="{offset}">'
                      "</DataArray>")
        blob = np.uint64(len(data)).tobytes() + data
        blobs.append(blob)
        offset += len(blob)
    extent = f"0 {nx} 0 {ny} 0 {nz}"
    xml = ('<?xml version="1.0"?>\n<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" '
           'header_type="UInt64">\n'
           f'  <ImageData WholeExtent="{extent}" Origin="0 0 0" Spacing="{voxel_um:g} {voxel_um:g} {voxel_um:g}">\n'
           f'    <Piece Extent="{extent}">\n      <CellData Scalars="{next(iter(arrays))}">\n'
           + "\n".join(header) + "\n      </CellData>\n    </Piece>\n  </ImageData>\n"
           '  <AppendedData encoding="raw">\n   _')
    with open(path, "wb") as out:
        out.write(xml.encode())
        for blob in blobs:
            out.write(blob)
        out.write(b"\n  </AppendedData>\n</VTKFile>\n")

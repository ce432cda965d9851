"""`bmu inspect`: a plain-text summary of a results.h5 file, readable without knowing the layout."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from engine.skeleton.patient import SKELETON_READOUTS


class InspectError(Exception):
    """The file cannot be summarised; the message says why in one line."""


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


def summarize(path: Path | str) -> str:
    """Summary of a results file (run, scenario, time range, datasets with units and last values) or of a
    trial.h5 (arms, patients, last values per arm)."""
    path = Path(path)
    if not path.exists():
        raise InspectError(f"{path}: file not found")
    if path.is_dir():
        hint = " (did you mean its results.h5?)" if (path / "results.h5").exists() else ""
        raise InspectError(f"{path}: is a folder, expected an HDF5 file{hint}")
    if not h5py.is_hdf5(path):
        raise InspectError(f"{path}: not an HDF5 file")
    try:
        with h5py.File(path, "r") as f:
            return _summarize_open(path, f)
    except OSError as exc:
        raise InspectError(f"{path}: cannot be read as HDF5 ({exc})") from None


def _summarize_trial(path: Path, f: h5py.File) -> str:
    """A trial.h5: arms, patients, failures, and each patient-level readout's last reported value per arm
    (median and 5-95 % of the individuals, as the report's visual predictive check)."""
    a = f.attrs
    lines = [f"{path}", f"  trial          {a['trial_name']}  (engine {a.get('engine_version', '?')}, trial seed "
                        f"{a.get('trial_seed', '?')}; {a.get('resolution', '')})"]
    arms = f["arms"]
    for arm in arms:
        n = len(arms[arm].get("patients", {}))
        lines.append(f"  arm            {arm}: {n} patients" + ("" if "summary" in arms[arm] else " (no summary yet)"))
    failures = f["failures"].attrs if "failures" in f else {}
    if len(failures):
        lines.append(f"  failed         {len(failures)} patients: {', '.join(list(failures)[:5])}"
                     + (" ..." if len(failures) > 5 else ""))
    lines.append("")
    lines.append("/arms/<arm>/summary, last reported day: median [5 %, 95 %] of the individuals (units)")
    for arm in arms:
        if "summary" not in arms[arm]:
            continue
        s = arms[arm]["summary"]
        day = int(s["day"][-1])
        lines.append(f"  {arm} (day {day})")
        for name in [k[:-len("_median")] for k in s if k.endswith("_median")]:
            median = s[f"{name}_median"][-1]
            units = s[f"{name}_median"].attrs.get("units", "?")
            if not np.isfinite(median):
                lines.append(f"    {name:<34} {'no data':>10}  (no patient has a value: a biopsy readout without "
                             "agent volumes, or no baseline)")
                continue
            lines.append(f"    {name:<34} {median:10.4g}  [{s[f'{name}_p05'][-1]:.4g}, {s[f'{name}_p95'][-1]:.4g}]  "
                         f"({units})")
    lines.append("")
    lines.append("read with h5py or xarray (see README 'Reading results'); the report is report.html beside it")
    return "\n".join(lines)


def _summarize_open(path: Path, f: h5py.File) -> str:
    if "trial_name" in f.attrs and "arms" in f:
        return _summarize_trial(path, f)
    if "engine_version" not in f.attrs or "timeseries" not in f:
        raise InspectError(f"{path}: an HDF5 file, but not a bmu results file (no engine_version / timeseries)")
    a = f.attrs
    lines = [f"{path}", f"  run            {a.get('run_name', '?')}  (engine {a['engine_version']}, schema "
                        f"{a.get('schema_version', '?')}, seed {a.get('seed', '?')}, created {a.get('created_utc', '?')})"]
    if "provenance" in f:
        pv = f["provenance"].attrs
        versions = json.loads(pv.get("package_versions", "{}"))
        lines.append(f"  provenance     commit {pv.get('git_commit') or '(not a git checkout)'}; numba threads "
                     f"{pv.get('numba_threads', '?')}; python {versions.get('python', '?')}, numpy "
                     f"{versions.get('numpy', '?')}, numba {versions.get('numba', '?')}")
        lines.append(f"  command        {pv.get('command_line', '?')}")
    shape = tuple(int(n) for n in a.get("grid_shape_zyx", ()))
    vox = float(a.get("voxel_size_um", 0))
    if shape:
        size = " x ".join(f"{n * vox:g}" for n in shape)
        lines.append(f"  grid           {shape[0]} x {shape[1]} x {shape[2]} voxels of {vox:g} µm ({size} µm)")
    if "scenario" in f:
        sc = f["scenario"].attrs
        resolved = json.loads(sc["resolved_json"]) if "resolved_json" in sc else {}
        lines.append(f"  scenario       {sc.get('source', '?')}")
        if resolved:
            p = resolved.get("patient", {})
            ysm = p.get("years_since_menopause")
            who = f"{p.get('sex')}, {p.get('age_years')} y" + (f", {ysm} y since menopause" if ysm is not None else "")
            lines.append(f"  patient        {who}; conditions: {', '.join(p.get('conditions') or []) or 'none'}")
            regimen = resolved.get("regimen") or []
            doses = "; ".join(f"{d['drug']} {d['dose_mg']:g} mg {d['route']} x{d['number_of_doses']}"
                              + (f" every {d['interval_days']:g} d" if d.get("interval_days") else "")
                              + f" from day {d['start_day']:g}" for d in regimen)
            lines.append(f"  regimen        {doses or 'untreated'}")
            if resolved.get("description"):
                lines.append(f"  description    {resolved['description']}")
    ts = f["timeseries"]
    days = ts["day"][...]
    if len(days):
        lines.append(f"  time           day {days[0]} .. {days[-1]}  ({len(days)} rows)")
    else:
        lines.append("  time           no rows written")
    patient = [n for n in SKELETON_READOUTS if n in ts]
    tissue = [n for n in sorted(ts) if n != "day" and n not in patient]
    for heading, names in (("/timeseries, patient level (whole skeleton; units; last value)", patient),
                           ("/timeseries, tissue level and exposure (the agent volume; units; last value)", tissue)):
        if not names:
            continue
        lines.append(f"  {heading}")
        for name in names:
            ds = ts[name]
            last = _fmt(ds[-1]) if ds.shape[0] else "-"
            lines.append(f"    {name:<34} {ds.attrs.get('units', '?'):<10} {last}")
    if "snapshots" in f:
        snap = f["snapshots"]
        sdays = snap["day"][...] if "day" in snap else np.array([])
        lines.append(f"  /snapshots at days {', '.join(str(d) for d in sdays) or '(none)'}")
        for name in sorted(snap):
            ds = snap[name]
            if ds.ndim == 4:
                lines.append(f"    {name:<34} {ds.attrs.get('units', '?'):<10} shape {ds.shape} (time, z, y, x)")
    if "agents" in f:
        for name in sorted(f["agents"]):
            lines.append(f"  /agents/{name}: {f['agents'][name].shape[0]} rows")
    if "bmus" in f:
        b = f["bmus"][...]
        lines.append(f"  /bmus: {len(b)} finished BMUs; means: resorption {b['resorption_period_days'].mean():.0f} d, "
                     f"reversal {b['reversal_period_days'].mean():.0f} d, formation {b['formation_period_days'].mean():.0f} d, "
                     f"erosion depth {np.nanmean(b['erosion_depth_um']):.1f} µm, "
                     f"wall thickness {np.nanmean(b['wall_thickness_um']):.1f} µm")
    return "\n".join(lines)

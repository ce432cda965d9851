"""Plots of a run's /timeseries (matplotlib, headless): what people would rather look at than read.

`plot_results(results.h5, out.png)` draws panels over time (days, months or years by the run's length): first the patient (whole-skeleton
layer: lumbar-spine and total-hip DXA, serum CTX and P1NP, % change), then the tissue (the agent volume, a
biopsy: volumetric BMD and its fluxes, histomorphometry, BV/TV, cells); and, for a run with denosumab,
serum denosumab with the doses marked and RANKL free / bound to OPG / bound to the drug.
Published points that apply to the run's regimen (`engine.io.published`) are drawn over the curves as
black markers with their ranges. `plot_arms` compares the arms of one scenario. Both read only HDF5
files, so they work on any run, finished or not.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from engine.io.published import MONTH_DAYS, points_for_regimen  # noqa: E402
from engine.pharmacology.regimen import expand_regimen  # noqa: E402
from engine.scenario.schema import DoseEntry  # noqa: E402
from engine.units import DAYS_PER_YEAR  # noqa: E402



MARKER_PLOT_CAP_PCT = 250.0


def time_axis(last_day: float) -> tuple[float, str]:
    """(units per day, axis label) for a run of this length: days up to 4 months, months up to 3 years,
    then years (a 30-day run is not drawn in thousandths of a year)."""
    if last_day <= 122:
        return 1.0, "day"
    if last_day <= 3 * DAYS_PER_YEAR + 1:
        return 1.0 / MONTH_DAYS, "month"
    return 1.0 / DAYS_PER_YEAR, "year"


def subtitle(f: h5py.File) -> str:
    """Patient, regimen, seed and engine version of a results file, for a figure's title."""
    try:
        resolved = json.loads(f["scenario"].attrs["resolved_json"])
    except (KeyError, TypeError, ValueError):
        return f"engine {f.attrs.get('engine_version', '?')}"
    p = resolved.get("patient", {})
    who = f"{p.get('sex', '?')}, {p.get('age_years', '?'):g} y" if isinstance(p.get("age_years"), (int, float)) \
        else str(p.get("sex", "?"))
    if p.get("years_since_menopause") is not None:
        who += f", {p['years_since_menopause']:g} y after menopause"
    if p.get("conditions"):
        who += ", " + ", ".join(p["conditions"])
    lines = resolved.get("regimen") or []
    regimen = "; ".join(f"{line['drug']} {line['dose_mg']:g} mg {line['route']}"
                        + (f" every {line['interval_days']:g} d x {line['number_of_doses']}"
                           if line.get("number_of_doses", 1) > 1 else "")
                        + (f" from day {line['start_day']:g}" if line.get("start_day") else "")
                        for line in lines) or "untreated"
    return f"{who} | {regimen} | seed {f.attrs.get('seed', '?')} | engine {f.attrs.get('engine_version', '?')}"


class PlotError(Exception):
    pass


def _series(ts: h5py.Group, name: str) -> np.ndarray | None:
    return ts[name][()] if name in ts else None


def _open(results_path: Path) -> h5py.File:
    try:
        f = h5py.File(results_path, "r")
    except (OSError, FileNotFoundError) as exc:
        raise PlotError(f"{results_path}: cannot open as HDF5 ({exc})") from None
    if "timeseries" not in f or "day" not in f["timeseries"]:
        f.close()
        raise PlotError(f"{results_path}: no /timeseries/day (not a results.h5 written by bmu run)")
    return f


def _regimen(f: h5py.File) -> list[dict]:
    """The run's dosing lines, from the resolved scenario stored in results.h5 ([] if absent)."""
    try:
        return json.loads(f["scenario"].attrs["resolved_json"]).get("regimen") or []
    except (KeyError, TypeError, ValueError):
        return []


def _overlay(ax, points, readout: str, labelled: set, per_day: float = 1.0 / DAYS_PER_YEAR) -> None:
    """Published points for one readout: black markers, range as an error bar, one legend entry per label."""
    for p in points:
        if p.readout != readout:
            continue
        low = p.value if p.low is None else p.low
        high = p.value if p.high is None else p.high
        yerr = [[max(p.value - low, 0.0)], [max(high - p.value, 0.0)]]
        label = None if p.label in labelled else p.label
        labelled.add(p.label)
        ax.errorbar([p.day * per_day], [p.value], yerr=yerr, fmt="D", ms=4, color="k", mfc="w", capsize=3,
                    lw=0.8, label=label, zorder=5)


def _dose_days(regimen: list[dict]) -> list[float]:
    return [e.day for e in expand_regimen(DoseEntry(**line) for line in regimen)]


def _patient_panel(ax, ts, t, published, labelled: set, lines, title: str, per_day: float) -> None:
    """One patient-level panel (% change, published points over the curves)."""
    for name, label, color in lines:
        values = _series(ts, name)
        if values is not None:
            ax.plot(t, values, label=label, color=color, lw=2.0)
            _overlay(ax, published, name, labelled, per_day)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_ylabel("% change from baseline")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)


def plot_results(results_path: Path | str, out_path: Path | str | None = None) -> Path:
    """Write the time-series figure for results.h5; returns the PNG path."""
    results_path = Path(results_path)
    out_path = Path(out_path) if out_path else results_path.with_name("timeseries.png")
    with _open(results_path) as f:
        ts = f["timeseries"]
        days = ts["day"][()]
        per_day, t_label = time_axis(float(days[-1]) if len(days) else 0.0)
        t = days * per_day
        title = f"{f.attrs.get('run_name', results_path.parent.name)}\n{subtitle(f)}"
        serum = _series(ts, "serum_denosumab_ng_per_ml")
        drug = serum is not None and bool(np.any(serum > 0))
        regimen = _regimen(f)
        published = points_for_regimen(regimen, float(days[-1]) if len(days) else 0.0)
        labelled: set = set()
        rows = 4 if drug else 3
        fig, axes = plt.subplots(rows, 2, figsize=(13.5, 3.6 * rows), sharex=True, constrained_layout=True)
        # patient level: the whole-skeleton layer (smooth; what trials measure)
        _patient_panel(axes[0, 0], ts, t, published, labelled,
                       (("lumbar_spine_bmd_change_pct", "lumbar spine (L1-L4)", "tab:blue"),
                        ("total_hip_bmd_change_pct", "total hip", "tab:purple")),
                       "Patient: DXA BMD (whole skeleton)" + (" - black: published" if published else ""), per_day)
        _patient_panel(axes[0, 1], ts, t, published, labelled,
                       (("serum_ctx_change_pct", "serum CTX (resorption)", "tab:red"),
                        ("serum_p1np_change_pct", "serum P1NP (formation)", "tab:green")),
                       "Patient: serum markers (assay floor at the LLOQ)", per_day)
        # tissue level: the agent volume, a biopsy (its fluxes are samples of a few BMUs)
        ax = axes[1, 0]
        for name, label, color, width in (("biopsy_bmd_change_pct", "volumetric BMD (mineral mass)", "steelblue", 1.6),
                                          ("biopsy_ctx_change_pct", "matrix resorbed (7-day mean)", "tab:red", 1.0),
                                          ("biopsy_p1np_change_pct", "matrix formed (7-day mean)", "tab:green", 1.0)):
            values = _series(ts, name)
            if values is not None:
                ax.plot(t, values, label=label, color=color, lw=width)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_ylabel("% change from baseline")
        top = max((float(np.nanmax(v)) for v in (_series(ts, n) for n in ("biopsy_bmd_change_pct", "biopsy_ctx_change_pct",
                   "biopsy_p1np_change_pct")) if v is not None and np.isfinite(v).any()), default=10.0)
        if top > MARKER_PLOT_CAP_PCT:  # one small volume's fluxes spike when a few BMUs start together
            ax.set_ylim(top=MARKER_PLOT_CAP_PCT)
            ax.text(0.01, 0.98, f"clipped at +{MARKER_PLOT_CAP_PCT:g} % (max {top:+.0f} %)", transform=ax.transAxes,
                    va="top", fontsize=9, color="0.4")
        ax.set_title("Tissue (the agent volume, a biopsy)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
        ax = axes[1, 1]
        for name, label in (("eroded_surface_pct", "ES/BS (%)"), ("osteoid_surface_pct", "OS/BS (%)")):
            values = _series(ts, name)
            if values is not None:
                ax.plot(t, values, label=label)
        acf = _series(ts, "activation_frequency_per_year")
        if acf is not None:
            twin = ax.twinx()
            twin.plot(t, acf, color="tab:purple", ls="--", label="Ac.f (/y)")
            twin.set_ylabel("activation frequency (/year)", color="tab:purple")
        ax.set_ylabel("% of bone surface")
        ax.set_title("Tissue: histomorphometry of the volume")
        ax.legend(loc="upper left", fontsize=9)
        ax = axes[2, 0]
        ax.plot(t, _series(ts, "bv_tv"), color="0.2")
        ax.set_ylabel("BV/TV")
        ax.set_title("Tissue: bone volume fraction of the volume")
        ax.set_xlabel(t_label + "s since the start")
        ax = axes[2, 1]
        for name, label in (("n_osteoclasts", "osteoclasts"), ("n_osteoclast_nuclei", "osteoclast nuclei"),
                            ("n_osteoblasts", "osteoblasts"), ("n_lining_cells", "lining cells"),
                            ("n_osteocytes", "osteocytes"), ("n_precursors", "precursors")):
            values = _series(ts, name)
            if values is not None:
                ax.plot(t, np.where(values > 0, values, np.nan), label=label)  # none: a gap, not a fake 1
        ax.set_yscale("log")
        ax.set_ylabel("cells in the volume")
        ax.set_title("Tissue: cells")
        ax.legend(loc="best", fontsize=9)
        ax.set_xlabel(t_label + "s since the start")
        if drug:
            axes[2, 0].set_xlabel("")
            axes[2, 1].set_xlabel("")
            ax = axes[3, 0]
            ax.plot(t, np.maximum(serum, 1e-3), color="tab:orange", label="serum denosumab")
            marrow = _series(ts, "marrow_denosumab_nM")
            for i, day in enumerate(_dose_days(regimen)):
                ax.axvline(day * per_day, color="tab:orange", lw=0.6, ls=":", label="dose" if i == 0 else None)
            _overlay(ax, published, "serum_denosumab_ng_per_ml", labelled, per_day)
            ax.set_yscale("log")
            ax.set_ylim(0.1, max(float(serum.max()) * 3, 10.0))
            ax.set_ylabel("ng/mL")
            ax.set_title("Serum denosumab" + (" (marrow: same free concentration)" if marrow is not None else ""))
            ax.legend(loc="best", fontsize=9)
            ax.set_xlabel(t_label + "s since the start")
            ax = axes[3, 1]
            for name, label in (("free_rankl_nM", "free RANKL"), ("rankl_opg_nM", "RANKL:OPG"),
                                ("rankl_denosumab_nM", "RANKL:denosumab")):
                values = _series(ts, name)
                if values is not None:
                    ax.plot(t, np.maximum(values * 1e3, 1e-4), label=label)
            ax.set_yscale("log")
            ax.set_ylabel("pM (marrow-volume mean)")
            ax.set_title("RANKL partition")
            ax.legend(loc="best", fontsize=9)
            ax.set_xlabel(t_label + "s since the start")
        fig.suptitle(title, fontsize=11)
        fig.savefig(out_path, dpi=110)
        plt.close(fig)
    return out_path


def plot_arms(results_paths: list[Path | str], out_path: Path | str) -> Path:
    """Compare arms (one results.h5 each): BMD, CTX, P1NP (% change) and serum denosumab over time."""
    out_path = Path(out_path)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True, constrained_layout=True)
    panels = (("lumbar_spine_bmd_change_pct", "lumbar-spine DXA BMD (% change)"),
              ("total_hip_bmd_change_pct", "total-hip DXA BMD (% change)"),
              ("serum_ctx_change_pct", "serum CTX (% change)"), ("serum_p1np_change_pct", "serum P1NP (% change)"))
    for path in results_paths:
        path = Path(path)
        with _open(path) as f:
            ts = f["timeseries"]
            days = ts["day"][()]
            per_day, t_label = time_axis(float(days[-1]) if len(days) else 0.0)
            t = days * per_day
            name = str(f.attrs.get("run_name", path.parent.name))
            for ax, (series, _) in zip(axes.flat, panels):
                values = _series(ts, series)
                if values is not None:
                    if series == "serum_denosumab_ng_per_ml":
                        values = np.maximum(values, 1e-3)
                    ax.plot(t, values, label=name, lw=1.2)
    for ax, (series, title) in zip(axes.flat, panels):
        ax.set_title(title)
        if series == "serum_denosumab_ng_per_ml":
            ax.set_yscale("log")
            ax.set_ylim(0.1, None)
        else:
            ax.axhline(0, color="0.6", lw=0.8)
    axes[0, 0].legend(loc="best", fontsize=9)
    for ax in axes[1]:
        ax.set_xlabel(t_label + "s since the start")
    fig.savefig(out_path, dpi=110)
    plt.close(fig)
    return out_path

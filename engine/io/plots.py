"""Plots of a run's /timeseries (matplotlib, headless): what people would rather look at than read.

`plot_results(results.h5, out.png)` draws four panels over time in years: BV/TV; BMD, CTX and P1NP
proxies in % change from baseline; histomorphometry (ES/BS, OS/BS, Ac.f); cell counts (log scale).
It reads only the HDF5 file, so it works on any run, finished or not.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from engine.physiology.patient_state import DAYS_PER_YEAR  # noqa: E402



class PlotError(Exception):
    pass


def _series(ts: h5py.Group, name: str) -> np.ndarray | None:
    return ts[name][()] if name in ts else None


def plot_results(results_path: Path | str, out_path: Path | str | None = None) -> Path:
    """Write the four-panel time-series figure for results.h5; returns the PNG path."""
    results_path = Path(results_path)
    out_path = Path(out_path) if out_path else results_path.with_name("timeseries.png")
    try:
        f = h5py.File(results_path, "r")
    except (OSError, FileNotFoundError) as exc:
        raise PlotError(f"{results_path}: cannot open as HDF5 ({exc})") from None
    with f:
        if "timeseries" not in f or "day" not in f["timeseries"]:
            raise PlotError(f"{results_path}: no /timeseries/day (not a results.h5 written by bmu run)")
        ts = f["timeseries"]
        years = ts["day"][()] / DAYS_PER_YEAR
        title = f.attrs.get("run_name", results_path.parent.name)
        fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True, constrained_layout=True)
        ax = axes[0, 0]
        ax.plot(years, _series(ts, "bv_tv"), color="0.2")
        ax.set_ylabel("BV/TV")
        ax.set_title("Bone volume fraction")
        ax = axes[0, 1]
        for name, label, color in (("bmd_change_pct", "BMD (mineral mass)", "tab:blue"),
                                   ("ctx_change_pct", "CTX (resorption)", "tab:red"),
                                   ("p1np_change_pct", "P1NP (formation)", "tab:green")):
            values = _series(ts, name)
            if values is not None:
                ax.plot(years, values, label=label, color=color, lw=1.2 if name != "bmd_change_pct" else 2.0)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_ylabel("% change from baseline")
        ax.set_title("Clinical proxies")
        ax.legend(loc="best", fontsize=8)
        ax = axes[1, 0]
        for name, label in (("eroded_surface_pct", "ES/BS (%)"), ("osteoid_surface_pct", "OS/BS (%)")):
            values = _series(ts, name)
            if values is not None:
                ax.plot(years, values, label=label)
        acf = _series(ts, "activation_frequency_per_year")
        if acf is not None:
            twin = ax.twinx()
            twin.plot(years, acf, color="tab:purple", ls="--", label="Ac.f (/y)")
            twin.set_ylabel("activation frequency (/year)", color="tab:purple")
        ax.set_ylabel("% of bone surface")
        ax.set_title("Histomorphometry")
        ax.legend(loc="upper left", fontsize=8)
        ax.set_xlabel("years")
        ax = axes[1, 1]
        for name, label in (("n_osteoclasts", "osteoclasts"), ("n_osteoclast_nuclei", "osteoclast nuclei"),
                            ("n_osteoblasts", "osteoblasts"), ("n_lining_cells", "lining cells"),
                            ("n_osteocytes", "osteocytes"), ("n_precursors", "precursors")):
            values = _series(ts, name)
            if values is not None:
                ax.plot(years, np.maximum(values, 0.5), label=label)
        ax.set_yscale("log")
        ax.set_ylabel("cells in the volume")
        ax.set_title("Cells")
        ax.legend(loc="best", fontsize=8)
        ax.set_xlabel("years")
        fig.suptitle(str(title))
        fig.savefig(out_path, dpi=110)
        plt.close(fig)
    return out_path

"""trial.h5: what a trial has gathered, written by the trial process only (patients write their own files).

    /                                attrs: trial_name, trial_yaml, trial_seed, engine_version, resolution
    /provenance                      attrs: git_commit, package_versions (JSON), numba_threads, command_line
    /arms/<arm>/patients/<id>/       attrs: seed, index, characteristics (JSON), wall_s, results_file
                                     datasets: day, <readout> (one per TRIAL_READOUTS; attrs units)
    /arms/<arm>/summary/             day, n, <readout>_mean, _sd, _ci95_low, _ci95_high, _n (patients with it:
                                     biopsy readouts only for those with an agent volume), _median, _p05, _p95,
                                     and for assay readouts (serum_ctx_ng_per_ml, serum_p1np_ug_per_l)
                                     _below_lloq_pct with _ci95_low/_high (written at the end); every dataset
                                     has a `units` attribute
    /failures                        attrs per patient id: seed, arm, error (the latest failure)

Each patient is flushed as soon as it arrives, so a crash of the trial process loses only the
patients still in flight; `done()` lists the finished ones for --resume.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
from scipy import stats

from engine import __version__
from engine.io.provenance import write_provenance
from engine.readouts import readout_table
from engine.skeleton.serum import SERUM
from engine.trials.schema import LLOQ_READOUTS, TRIAL_READOUTS


class TrialStore:
    def __init__(self, path: Path, trial_name: str, trial_yaml: str, trial_seed: int, resolution: str,
                 resume: bool):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            self.file = h5py.File(self.path, "a")
            stored = self.file.attrs.get("trial_yaml", "")
            if stored != trial_yaml:
                self.file.close()
                raise ValueError(f"{self.path} belongs to another version of the trial file; "
                                 "run without --resume (or with another --out) to start over")
        else:
            self.file = h5py.File(self.path, "w")
            self.file.attrs.update(trial_name=trial_name, trial_yaml=trial_yaml, trial_seed=trial_seed,
                                   engine_version=__version__, resolution=resolution)
            write_provenance(self.file)
            self.file.create_group("arms")
            self.file.create_group("failures")

    def close(self) -> None:
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def done(self) -> set[str]:
        return {pid for arm in self.file["arms"].values() for pid in arm.get("patients", {})}

    def add_patient(self, result: dict) -> None:
        group = self.file.require_group(f"arms/{result['arm']}/patients").create_group(result["patient_id"])
        group.attrs.update(seed=result["seed"], index=result["index"], wall_s=result["wall_s"],
                           characteristics=json.dumps(result["characteristics"], sort_keys=True),
                           results_file=result["results_file"])
        group["day"] = result["day"]
        for name in TRIAL_READOUTS:
            group[name] = result[name]
            group[name].attrs["units"] = readout_table()[name][0]
        if result["patient_id"] in self.file["failures"].attrs:
            del self.file["failures"].attrs[result["patient_id"]]
        self.file.flush()

    def add_failure(self, patient_id: str, arm: str, seed: int, error: str) -> None:
        self.file["failures"].attrs[patient_id] = json.dumps({"arm": arm, "seed": seed, "error": error})
        self.file.flush()

    def failures(self) -> dict[str, dict]:
        return {pid: json.loads(v) for pid, v in self.file["failures"].attrs.items()}

    def patients(self, arm: str) -> list[h5py.Group]:
        group = self.file.get(f"arms/{arm}/patients")
        return [group[k] for k in sorted(group)] if group is not None else []

    def write_summaries(self, arms: list[str]) -> dict[str, dict[str, np.ndarray]]:
        """Mean, SD and 95 % CI (t distribution) per arm, readout and reported day, over the patients
        that reached that day. Returns {arm: {"day", "n", "<readout>_mean", ...}}."""
        out = {}
        for arm in arms:
            patients = self.patients(arm)
            if not patients:
                continue
            days = np.unique(np.concatenate([p["day"][:] for p in patients]))
            summary: dict[str, np.ndarray] = {"day": days}
            counts = None
            for name in TRIAL_READOUTS:
                table = np.full((len(patients), len(days)), np.nan)
                for row, p in enumerate(patients):
                    table[row, np.searchsorted(days, p["day"][:])] = p[name][:]
                mean, sd, low, high, n = summarise(table)
                summary.update({f"{name}_mean": mean, f"{name}_sd": sd, f"{name}_ci95_low": low,
                                f"{name}_ci95_high": high, f"{name}_n": n})
                summary.update(percentiles(table, name))
                if name in LLOQ_READOUTS:
                    summary.update(below_lloq(table, name, SERUM[LLOQ_READOUTS[name]].value))
                counts = n if counts is None else np.maximum(counts, n)
            summary["n"] = counts
            group = self.file.require_group(f"arms/{arm}")
            if "summary" in group:
                del group["summary"]
            sgroup = group.create_group("summary")
            units = readout_table()
            for key, value in summary.items():
                sgroup[key] = value
                readout = next((name for name in TRIAL_READOUTS if key.startswith(name + "_")), None)
                sgroup[key].attrs["units"] = ("day" if key == "day" else "1" if key == "n" or key.endswith("_n")
                                              else "percent" if "_below_lloq_pct" in key
                                              else units[readout][0] if readout else "1")
            out[arm] = summary
        self.file.flush()
        return out


def below_lloq(table: np.ndarray, name: str, lloq: float) -> dict[str, np.ndarray]:
    """% of the patients whose value is reported at the assay's lower limit (the layer reports anything below it
    at it, `engine.skeleton.serum`), with a Wilson 95 % CI (a proportion near 0 or 1 from tens of patients)."""
    finite = np.isfinite(table)
    n = finite.sum(axis=0)
    k = (finite & (table <= lloq * (1.0 + 1e-9))).sum(axis=0)
    share, low, high = (np.full(table.shape[1], np.nan) for _ in range(3))
    for day in np.flatnonzero(n):
        share[day] = k[day] / n[day]
        low[day], high[day] = stats.binomtest(int(k[day]), int(n[day])).proportion_ci(method="wilson")
    return {f"{name}_below_lloq_pct": 100.0 * share, f"{name}_below_lloq_pct_ci95_low": 100.0 * low,
            f"{name}_below_lloq_pct_ci95_high": 100.0 * high}


def percentiles(table: np.ndarray, name: str) -> dict[str, np.ndarray]:
    """Median and the 5th/95th percentiles of the individual patients (a visual predictive check's bands)."""
    finite = np.isfinite(table).any(axis=0)
    out = {}
    for key, q in (("median", 50), ("p05", 5), ("p95", 95)):
        values = np.full(table.shape[1], np.nan)
        if finite.any():
            values[finite] = np.nanpercentile(table[:, finite], q, axis=0)
        out[f"{name}_{key}"] = values
    return out


def summarise(table: np.ndarray):
    """Column statistics of a (patients, days) table with NaN for missing: mean, SD, 95 % CI of the mean
    (Student t with n-1 degrees of freedom; NaN where n < 2), and n."""
    finite = np.isfinite(table)
    n = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(np.where(finite, table, 0.0), axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(finite, table - mean, 0.0)
        sd = np.where(n > 1, np.sqrt((dev**2).sum(axis=0) / np.maximum(n - 1, 1)), np.nan)
        half = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, sd, mean - half, mean + half, n

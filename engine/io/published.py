"""Published clinical points to overlay on a run's plots, chosen by the run's own regimen.

Each point cites its row of ../shared/validation/targets.md (section and quantity) and keeps that
row's confidence flag in its label when the number is from memory. Points are data for the eye and for
the validation tests' tables; nothing in the model reads them.

Which points apply: denosumab given as 60 mg SC every ~6 months from day 0 gets the on-treatment points
up to the last dose's interval; if dosing stops before the run ends, the off-treatment points are placed
relative to the day the next dose would have been due. Placebo runs get the placebo arms' bone loss.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.pharmacology.regimen import expand_regimen
from engine.units import DAYS_PER_YEAR
from engine.scenario.schema import DoseEntry

MONTH_DAYS = DAYS_PER_YEAR / 12.0


@dataclass(frozen=True)
class PublishedPoint:
    readout: str          # /timeseries name it compares with
    day: float
    value: float
    low: float | None     # range or CI (None: a single value)
    high: float | None
    label: str            # legend text
    source: str           # targets.md row


def _on_denosumab_60mg_q6m() -> list[PublishedPoint]:
    m = MONTH_DAYS
    return [
        PublishedPoint("serum_denosumab_ng_per_ml", 10, 6750, 6750 - 1890, 6750 + 1890, "label Cmax ± SD at median Tmax",
                       "targets.md §1 'Cmax', 'Tmax'"),
        PublishedPoint("serum_ctx_change_pct", 3, -85, None, None, "label CTX day 3", "targets.md §2 'Serum CTX fall'"),
        PublishedPoint("serum_ctx_change_pct", 1 * m, -86, None, None, "FREEDOM CTX median (from memory)",
                       "targets.md §2 'FREEDOM CTX'"),
        PublishedPoint("serum_ctx_change_pct", 6 * m, -72, -80, -45, "CTX before next dose (label range 45-80 %)",
                       "targets.md §2 'CTX at end of dosing interval'; 'FREEDOM CTX'"),
        PublishedPoint("serum_p1np_change_pct", 1 * m, -18, None, None, "FREEDOM P1NP (from memory, verify)",
                       "targets.md §2 'FREEDOM P1NP'"),
        PublishedPoint("serum_p1np_change_pct", 6 * m, -50, None, None, "FREEDOM P1NP (from memory, verify)",
                       "targets.md §2 'FREEDOM P1NP'"),
        PublishedPoint("serum_ctx_change_pct", 36 * m, -72, None, None, "FREEDOM CTX median (from memory)",
                       "targets.md §2 'FREEDOM CTX'"),
        PublishedPoint("serum_p1np_change_pct", 36 * m, -76, None, None, "FREEDOM P1NP (from memory, verify)",
                       "targets.md §2 'FREEDOM P1NP'"),
        PublishedPoint("lumbar_spine_bmd_change_pct", 12 * m, 5.5, None, None, "FREEDOM LS BMD (from figure, verify)",
                       "targets.md §3 'LS / TH BMD trajectory'"),
        PublishedPoint("lumbar_spine_bmd_change_pct", 24 * m, 7.6, None, None, "FREEDOM LS BMD (from figure, verify)",
                       "targets.md §3 'LS / TH BMD trajectory'"),
        PublishedPoint("lumbar_spine_bmd_change_pct", 36 * m, 9.4, None, None, "FREEDOM LS BMD (from figure, verify)",
                       "targets.md §3 'LS / TH BMD trajectory'"),
        PublishedPoint("total_hip_bmd_change_pct", 12 * m, 3.2, None, None, "FREEDOM TH BMD (from figure, verify)",
                       "targets.md §3 'LS / TH BMD trajectory'"),
        PublishedPoint("total_hip_bmd_change_pct", 24 * m, 4.5, None, None, "FREEDOM TH BMD (from figure, verify)",
                       "targets.md §3 'LS / TH BMD trajectory'"),
        PublishedPoint("total_hip_bmd_change_pct", 36 * m, 6.0, None, None, "FREEDOM TH BMD (from figure, verify)",
                       "targets.md §3 'LS / TH BMD trajectory'"),
    ]


def _off_denosumab(stop_day: float) -> list[PublishedPoint]:
    """Points after a missed dose due at `stop_day` (Bone 2011 JCEM 96:972; Miller 2008 Bone 43:222)."""
    m = MONTH_DAYS
    return [
        PublishedPoint("serum_ctx_change_pct", stop_day + 3 * m, 0, 0, None, "CTX above baseline within 3 mo of the missed dose",
                       "targets.md §4 'CTX rebound'"),
        PublishedPoint("serum_ctx_change_pct", stop_day + 6 * m, 50, 40, 60, "resorption-marker overshoot 40-60 % (label)",
                       "targets.md §4 'Size of resorption-marker overshoot'"),
        PublishedPoint("lumbar_spine_bmd_change_pct", stop_day + 12 * m, 0, None, None,
                       "BMD back to baseline by 12 mo off (FREEDOM discontinuers)", "targets.md §4 'Time course (FREEDOM)'"),
    ]


def _placebo() -> list[PublishedPoint]:
    return [PublishedPoint("lumbar_spine_bmd_change_pct", 12 * MONTH_DAYS, -0.8, None, None, "placebo LS BMD (phase 2)",
                           "targets.md §7 'Placebo arms (Ca + vitamin D)'"),
            PublishedPoint("total_hip_bmd_change_pct", 12 * MONTH_DAYS, -0.6, None, None, "placebo TH BMD (phase 2)",
                           "targets.md §7 'Placebo arms (Ca + vitamin D)'")]


def points_for_regimen(regimen: list[dict], duration_days: float) -> list[PublishedPoint]:
    """The published points that apply to a run with these dosing lines (dicts as in the scenario)."""
    if not regimen:
        return [p for p in _placebo() if p.day <= duration_days]
    if any(line["drug"] != "denosumab" for line in regimen):
        return []
    doses = [(e.day, e.dose_mg) for e in expand_regimen(DoseEntry(**line) for line in regimen)]
    gaps = [b[0] - a[0] for a, b in zip(doses, doses[1:])]
    q6m = all(abs(g - 6 * MONTH_DAYS) <= 21 for g in gaps)
    if doses[0][0] > 1 or any(d != 60 for _, d in doses) or not q6m:
        return []
    covered_until = doses[-1][0] + 6 * MONTH_DAYS
    points = [p for p in _on_denosumab_60mg_q6m() if p.day <= covered_until + 1]
    if covered_until < duration_days:
        points += _off_denosumab(covered_until)
    return [p for p in points if p.day <= duration_days]

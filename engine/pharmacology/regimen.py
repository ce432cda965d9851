"""Dosing regimens as a sorted list of dose events (NONMEM/mrgsolve style: time, amount, route).

A scenario's `regimen:` lines (drug, dose_mg, route, start_day, interval_days, number_of_doses) expand
to one event per administration. Missed, delayed or stopped dosing and re-starts are written as several
lines (e.g. four doses every 182 days, then a second line starting later); the expansion keeps every
event, sorted by day, so the PK models integrate from one event to the next. Days may be fractional
(hours after midnight); the model steps in whole days and gives a dose on the day it falls in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable



@dataclass(frozen=True, order=True)
class DoseEvent:
    """One administration."""

    day: float
    drug: str
    dose_mg: float
    route: str
    line: int  # index of the regimen line it came from (for messages)


def expand_regimen(regimen: Iterable) -> list[DoseEvent]:
    """Every administration of every regimen line (a scenario's `DoseEntry`, or anything with drug, dose_mg,
    route, start_day, interval_days and number_of_doses), sorted by day (stable for equal days)."""
    events = []
    for line, entry in enumerate(regimen):
        interval = entry.interval_days or 0.0
        for k in range(entry.number_of_doses):
            events.append(DoseEvent(entry.start_day + k * interval, entry.drug, entry.dose_mg, entry.route, line))
    return sorted(events, key=lambda e: (e.day, e.line))


def doses_on_day(events: list[DoseEvent], day: int, drug: str | None = None) -> list[DoseEvent]:
    """The events given during simulated day `day` (day ≤ t < day + 1), optionally of one drug."""
    return [e for e in events if math.floor(e.day) == day and (drug is None or e.drug == drug)]

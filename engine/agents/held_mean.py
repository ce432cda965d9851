"""The untreated level of a daily quantity: its mean over the last days the patient is held untreated.

Rebound mechanisms scale their effect by the patient's own untreated level of what drives them (formation,
osteoclast nuclei, RANK occupancy), so that a woman with any turnover starts a run in her steady state. The
spin-up starts without BMUs, so a mean over all of it would be biased low; the mean over its last
`HELD_WINDOW_DAYS` days is the level she settled at (the window of the marker baselines,
`engine.model.MARKER_BASELINE_DAYS`).
"""

from __future__ import annotations

from collections import deque

import numpy as np

HELD_WINDOW_DAYS = 182


class HeldMean:
    """Mean of the last `HELD_WINDOW_DAYS` values added (a float, or an array elementwise); 0 before any."""

    def __init__(self):
        self.values: deque = deque(maxlen=HELD_WINDOW_DAYS)

    def add(self, value) -> None:
        self.values.append(np.array(value, np.float64) if np.ndim(value) else float(value))

    @property
    def days(self) -> int:
        return len(self.values)

    @property
    def value(self):
        if not self.values:
            return 0.0
        mean = np.mean(np.array(self.values), axis=0)
        return float(mean) if np.ndim(mean) == 0 else mean

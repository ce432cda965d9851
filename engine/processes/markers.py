"""MarkerFluxes: the day's resorbed and formed matrix, kept a year, for the CTX and P1NP proxies.

CTX is a fragment of type I collagen released as matrix is resorbed, whatever its mineral content, and P1NP
a propeptide cleaved as collagen is laid, so both count matrix volume (as the whole-skeleton layer does):
resorbed matrix (`Resorption.resorbed_um3`) and formed matrix (`BMUPhases.formed_um3`, BMUs and modeling
units alike).

Reads: today's resorbed and formed matrix.
Writes: its own history (one row per day, the last 366 days) and the marker baseline (set at the end of
the spin-up: mean daily fluxes over its last half year).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from engine.units import DAYS_PER_YEAR


class MarkerFluxes:
    def __init__(self):
        self.history: deque = deque(maxlen=366)  # (resorbed matrix µm³, formed matrix µm³) per day
        self.baseline = (float("nan"), float("nan"))

    def run_step(self, resorbed_um3: float, formed_um3: float) -> None:
        self.history.append((resorbed_um3, formed_um3))

    def mean_flux(self, days: int) -> tuple[float, float]:
        """Mean daily (resorbed matrix, formed matrix) in µm³ over the last `days` days."""
        recent = list(self.history)[-days:]
        if not recent:
            return float("nan"), float("nan")
        arr = np.array(recent)
        return float(arr[:, 0].mean()), float(arr[:, 1].mean())

    def set_baseline(self, days: int) -> None:
        """CTX / P1NP proxies are % changes from the mean daily flux over the last `days` days."""
        self.baseline = self.mean_flux(days)

    def turnover_per_year(self, days: int, bone_um3: float) -> float:
        """Bone resorbed per year over the last `days` days, as a fraction of the bone volume: the rate at which
        remodeling removes tissue of every age, so tissue ages are exponential at this rate
        (`processes.tissue_age`). Not the formation rate: formation lags resorption by the reversal and
        formation periods, so while resorption still rises (a spin-up) formation understates the renewal rate."""
        resorbed_um3_per_day = self.mean_flux(days)[0]
        return resorbed_um3_per_day * DAYS_PER_YEAR / bone_um3 if bone_um3 else 0.0

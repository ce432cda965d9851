"""Tissue ages of the bone the model did not form, at the end of the spin-up (both solvers).

The spin-up starts without BMUs, so over its first months the model forms less bone than the patient's
steady turnover does. At its end the bone formed in the model is short of the steady state's young tissue by
what those months missed, and old bone stands in for it. Seeding all of that old bone as older than the
spin-up (T + an exponential age at the turnover, the memoryless steady state) left the patient's tissue too
old and too mineralized for her turnover, so her mineral fell for years afterwards while formation restored
the young share: in the FREEDOM-like placebo woman, 1.5 of the 3.2 % of trabecular mineral lost over 3
years, and 0.5 of the 1.3 % of lumbar-spine BMD (the whole-skeleton layer, measured when cancellous
modeling-based formation was a tenth of remodeling formation; a 2,000-day spin-up, which has no such gap,
gave nearly the same numbers as the fix).

The missing young tissue, by age a = 1..T days before the end of the spin-up:
    missing(a) = exp(−k·a) · max(F − formed(a), 0)
F = the steady daily formation (the mean over the spin-up's last half year), formed(a) = what the model formed
that day, exp(−k·a) = the share of a day's formation still there after a days when resorption takes tissue of
every age alike (k = resorbed volume per day / bone volume: resorption, not formation, sets how long tissue
survives; the two differ by the BMUs' few-% deficit, and while resorption still rises formation lags it).
That much of the old bone gets those ages; the rest is older than the spin-up. Mineral of a tissue age a:
`steady_degree`.
"""

from __future__ import annotations

import numpy as np

from engine.units import DAYS_PER_YEAR


def missing_young_tissue(formed_per_day, steady_per_day, turnover_per_year) -> np.ndarray:
    """Volume of young tissue the spin-up did not form, by age (same shape and units as `formed_per_day`:
    (days, ...) oldest first, so row i has age days − i days). `steady_per_day` and `turnover_per_year`
    broadcast against one row (per compartment in the layer, scalars in the agents)."""
    formed = np.asarray(formed_per_day, np.float64)
    shape = (formed.shape[0],) + (1,) * (formed.ndim - 1)
    surviving = np.exp(-ages_years(formed.shape[0]).reshape(shape) * np.asarray(turnover_per_year, np.float64))
    return surviving * np.maximum(np.asarray(steady_per_day, np.float64) - formed, 0.0)


def ages_years(days: int) -> np.ndarray:
    """Tissue age of each row of `missing_young_tissue` (oldest first)."""
    return np.arange(days, 0, -1, dtype=np.float64) / DAYS_PER_YEAR


def steady_degree(biology, age_years):
    """Mineral of tissue of age `age_years`, relative to fully mineralized: the seeding rule,
    1 − (1 − primary share)·exp(−age/τ_secondary) (primary mineralization, weeks, taken as done)."""
    return 1.0 - (1.0 - biology.primary_mineral_fraction_of_final) * np.exp(
        -np.asarray(age_years) / biology.secondary_mineralization_time_constant_years)

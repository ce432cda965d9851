"""MarkerFluxes: daily history, window means, baseline and turnover."""

import math

from engine.processes.markers import MarkerFluxes
from engine.units import DAYS_PER_YEAR


def test_window_mean_baseline_and_turnover():
    m = MarkerFluxes()
    assert all(math.isnan(v) for v in m.mean_flux(7))
    for day in range(400):
        m.run_step(float(day), 2.0 * day)
    assert len(m.history) == 366  # a year is kept
    assert m.mean_flux(3) == (398.0, 796.0)
    m.set_baseline(3)
    assert m.baseline == (398.0, 796.0)
    assert m.turnover_per_year(3, bone_um3=398.0 * DAYS_PER_YEAR) == 1.0  # resorbed: the renewal rate
    assert m.turnover_per_year(3, bone_um3=0.0) == 0.0

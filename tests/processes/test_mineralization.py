"""Mineralization: osteoid matures, mineral rises toward full and never falls; tissue-age seeding."""

import numpy as np

from engine.processes.mineralization import Mineralization


def test_new_osteoid_mineralizes_primary_then_secondary(host):
    g = host.grid
    g.mineral_fraction[:] = 0.0
    g.osteoid_fraction[:8] = 1.0  # all bone is fresh osteoid
    process = Mineralization(g, host.biology)
    b = host.biology
    series = []
    for _ in range(120):
        process.run_step()
        series.append(float(g.mineral_fraction[0, 0, 0]))
    assert np.all(np.diff(series) >= 0)
    # after the lag and a few primary time constants, mineral sits near the primary share (and below full)
    assert b.primary_mineral_fraction_of_final * 0.8 < series[-1] < 1.0
    assert float(g.osteoid_fraction[0, 0, 0]) < np.exp(-100 / b.mineralization_lag_days) + 1e-6
    assert np.all(g.mineral_fraction[8:] == 0)  # marrow gets none


def test_seeding_by_tissue_age_spares_bone_formed_in_the_model(host):
    g = host.grid
    formed = np.zeros(g.shape, bool)
    formed[0] = True
    g.mineral_fraction[0] = 0.123
    Mineralization(g, host.biology).seed_by_tissue_age(np.random.default_rng(2), formed, mean_age_years=5.0)
    assert np.all(g.mineral_fraction[0] == np.float32(0.123))
    old = g.mineral_fraction[1:8]
    assert old.min() >= host.biology.primary_mineral_fraction_of_final - 1e-6 and old.max() <= 1.0
    # mean degree at mean age 5 y: 1 − (1 − p)·τ/(τ + 5) for exponential ages (E[exp(−a/τ)] = τ/(τ + m))
    p, tau = host.biology.primary_mineral_fraction_of_final, host.biology.secondary_mineralization_time_constant_years
    assert abs(old.mean() - (1 - (1 - p) * tau / (tau + 5.0))) < 0.01

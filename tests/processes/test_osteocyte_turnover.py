"""OsteocyteTurnover: deaths at the literature rate leave the cell index and flag the surface above them."""

import numpy as np

from engine.agents.osteocyte import Osteocyte
from engine.processes.osteocyte_turnover import OsteocyteTurnover
from engine.signalling import SignallingFields
from engine.units import DAYS_PER_YEAR
from tests.processes.conftest import SURFACE_Z


def _with_osteocytes(host, n=40):
    rng = np.random.default_rng(0)
    for _ in range(n):
        Osteocyte(host, (int(rng.integers(0, SURFACE_Z)), int(rng.integers(0, 16)), int(rng.integers(0, 16))), 1.0, 1.0)
    return OsteocyteTurnover(host.grid, host.biology, host.cells, SignallingFields(host.grid, host.biology, 2, 1e-6, 50))


def test_deaths_follow_the_lifespan_and_flag_surface_sites(host):
    process = _with_osteocytes(host)
    # lifespan factor so small that p(death) per day is ~1: everyone dies on day one
    process.run_step(host.rng, lifespan_factor=1e-9 / (host.biology.osteocyte_lifespan_years * DAYS_PER_YEAR))
    assert len(host.cells.osteocytes) == 0 and len(host.agents_by_type[Osteocyte]) == 0
    assert len(host.cells.osteocyte_positions()) == 0
    sites = process.targeted_sites
    assert sites and all(z == SURFACE_Z - 1 for z, _, _ in sites)  # flagged on the bone surface (the z = 7 plane)


def test_no_deaths_at_a_normal_rate_over_one_day_is_typical(host):
    process = _with_osteocytes(host)
    deaths = []
    for _ in range(200):
        before = len(host.cells.osteocytes)
        process.run_step(host.rng, lifespan_factor=1.0)
        deaths.append(before - len(host.cells.osteocytes))
    # p = 1 − exp(−1/(25 y)) ≈ 1.1e-4 per day: with 40 cells, ~0.9 deaths in 200 days (Poisson; ≤ 6 at p > 0.999)
    assert sum(deaths) <= 6

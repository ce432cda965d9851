"""Precursor pool: steady state at reference signalling, accumulation when RANKL is blocked."""

import math

import pytest

from engine.agents.precursor_pool import PrecursorPool
from engine.scenario.biology import BiologyParameters


def settle(pool, occupancy, supply=1.0, days=2000):
    for _ in range(days):
        pool.advance(occupancy, supply)
    return pool.relative_size


def test_reference_signalling_is_the_steady_state():
    b = BiologyParameters()
    assert settle(PrecursorPool(b, 1.0), b.reference_rank_occupancy) == pytest.approx(1.0, rel=1e-9)


def test_blocking_rankl_grows_the_pool_to_supply_times_lifespan():
    """θ = 0: nothing differentiates, so the pool rises to 1 + k_d·τ (McDonald 2021: osteomorphs accumulate)."""
    b = BiologyParameters()
    expected = 1.0 + b.precursor_differentiation_per_day * b.precursor_lifespan_days
    assert settle(PrecursorPool(b, 1.0), 0.0) == pytest.approx(expected, rel=1e-6)
    assert expected > 1.5


def test_exact_daily_integration_matches_small_steps():
    b = BiologyParameters()
    one = PrecursorPool(b, 1.0)
    fine = PrecursorPool(b, 1.0)
    one.advance(0.0, 1.0, days=10.0)
    for _ in range(1000):
        fine.advance(0.0, 1.0, days=0.01)
    assert one.relative_size == pytest.approx(fine.relative_size, rel=1e-9)


def test_count_scales_with_marrow_volume():
    b = BiologyParameters()
    assert PrecursorPool(b, 0.5).count == pytest.approx(b.precursors_per_mm3_marrow * 0.5)
    assert math.isfinite(PrecursorPool(b, 0.0).count)

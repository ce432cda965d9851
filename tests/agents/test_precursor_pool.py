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


def test_commitment_chain_is_delayed_and_exact():
    """The committed output follows u = (θ/θ_ref)·p through n stages of mean T days: compared with scipy's
    LSODA on the same chain with the same day-wise constant input; and a step in u reaches half of its
    size after about T days (Erlang median ≈ T(1 − 1/(3n)))."""
    from scipy.integrate import solve_ivp
    import numpy as np

    b = BiologyParameters()
    pool = PrecursorPool(b, 1.0)
    settle(pool, b.reference_rank_occupancy, days=400)
    assert pool.committed_relative == pytest.approx(1.0, rel=1e-9)
    n, rate = b.osteoclast_commitment_stages, b.osteoclast_commitment_stages / b.osteoclast_commitment_days
    x = np.array(pool.committed_stages)
    outputs, inputs = [], []
    for day in range(60):
        theta = 0.0 if day < 30 else 2 * b.reference_rank_occupancy
        inputs.append(theta / b.reference_rank_occupancy * pool.relative_size)
        pool.advance(theta)
        outputs.append(pool.committed_relative)
    for day, u in enumerate(inputs):
        def rhs(_t, y, u=u):
            d = -rate * y
            d[0] += u
            d[1:] += rate * y[:-1]
            return d
        x = solve_ivp(rhs, (0, 1), x, method="LSODA", rtol=1e-11, atol=1e-13).y[:, -1]
        assert rate * x[-1] == pytest.approx(outputs[day], rel=1e-7, abs=1e-10)
    assert outputs[5] > 0.9  # RANKL blocked at day 0: resorbing-cell supply still high a few days later
    half_day = next(d for d, c in enumerate(outputs) if c < 0.5)
    median = b.osteoclast_commitment_days * (1 - 1 / (3 * n))
    assert abs(half_day - median) <= 3

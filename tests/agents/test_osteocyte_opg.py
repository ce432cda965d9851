"""Young osteocytes' OPG: 1 while held untreated, follows formation with the expression time afterwards."""

import numpy as np
import pytest

from engine.agents.held_mean import HELD_WINDOW_DAYS
from engine.agents.osteocyte_opg import YoungOsteocyteOPG
from engine.scenario.biology import BiologyParameters

MECHANISM = BiologyParameters(rebound_mechanism="osteocyte_opg")


def held(biology, formed_per_day, days=400):
    """Held untreated `days` with noisy daily formation around `formed_per_day` (a biopsy's formation), none
    in the first 100 days (the spin-up starts without BMUs); returns the mean over the held window."""
    rng = np.random.default_rng(3)
    young = YoungOsteocyteOPG(biology, np.ones(np.size(formed_per_day)) if np.ndim(formed_per_day) else 1.0)
    draws = []
    for day in range(days):
        f = formed_per_day * rng.exponential(1.0, np.shape(formed_per_day) or None) * (day >= 100)
        draws.append(f)
        young.advance(f, holding=True)
    return young, np.mean(draws[-HELD_WINDOW_DAYS:], axis=0)


def test_held_patient_has_factor_one_and_y0_is_her_mean_formation_over_the_held_window():
    """Not over the whole spin-up, whose first months have no BMUs yet."""
    young, mean = held(MECHANISM, 2.0e6)
    assert young.opg_factor == 1.0
    young.advance(mean, holding=False)
    assert young.untreated_formed_um3 == pytest.approx(mean, rel=1e-12)
    assert young.opg_factor == pytest.approx(1.0, rel=1e-12)


def test_formation_at_the_untreated_mean_keeps_the_factor_whatever_her_turnover():
    for formed in (0.5e6, 2.0e6, 9.0e6):
        young, mean = held(MECHANISM, formed)
        for _ in range(2000):
            young.advance(mean, holding=False)
        assert young.opg_factor == pytest.approx(1.0, rel=1e-12)


def test_formation_stopped_lets_the_factor_decay_with_the_expression_time():
    """F = 0 after the spin-up: y/y₀ = exp(−t/T) exactly (one time constant, then three)."""
    young, _ = held(MECHANISM, 2.0e6)
    T = MECHANISM.osteocyte_opg_expression_days
    for _ in range(int(T)):
        young.advance(0.0, holding=False)
    assert young.opg_factor == pytest.approx(np.exp(-1.0), rel=1e-9)
    for _ in range(int(2 * T)):
        young.advance(0.0, holding=False)
    assert young.opg_factor == pytest.approx(np.exp(-3.0), rel=1e-9)


def test_halved_formation_approaches_half_and_arrays_match_scalars():
    young, mean = held(MECHANISM, np.array([1.0e6, 3.0e6]))
    scalar, _ = held(MECHANISM, 3.0e6)
    scalar.untreated_formed_um3 = float(mean[1])
    T = MECHANISM.osteocyte_opg_expression_days
    for _ in range(int(T)):
        young.advance(0.5 * mean, holding=False)
        scalar.advance(0.5 * float(mean[1]), holding=False)
    np.testing.assert_allclose(young.opg_factor, 0.5 + 0.5 * np.exp(-1.0), rtol=1e-9)
    assert scalar.opg_factor == pytest.approx(young.opg_factor[1], rel=1e-12)


def test_other_mechanisms_leave_the_osteocytes_opg_alone():
    for mechanism in ("precursor_gate", "activation_sites"):
        young, _ = held(BiologyParameters(rebound_mechanism=mechanism), 2.0e6)
        for _ in range(500):
            young.advance(0.0, holding=False)
        assert young.opg_factor == 1.0

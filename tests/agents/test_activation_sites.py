"""Activation sites: steady at the untreated level, a backlog under RANKL blockade that decays afterwards."""

import numpy as np
import pytest

from engine.agents.activation_sites import ActivationSites
from engine.scenario.biology import BiologyParameters


def held(biology, committed):
    sites = ActivationSites(biology, np.ones(2) if np.ndim(committed) else 1.0)
    sites.advance(committed, holding=True)
    return sites


def test_untreated_patient_keeps_her_activation_rate_whatever_her_turnover():
    """c₀ is set while she is held: sites are made as fast as her own targeted remodeling uses them."""
    b = BiologyParameters()
    for c in (0.8, 1.0, 1.73):
        sites = held(b, c)
        for _ in range(3000):
            sites.advance(c, holding=False)
        assert sites.relative == pytest.approx(1.0, rel=1e-9)
        assert sites.activation_factor == pytest.approx(1.0, rel=1e-9)
        assert sites.targeted_share_today == pytest.approx(b.targeted_remodeling_fraction)


def test_blockade_piles_up_sites_at_one_wait_per_wait_time():
    """c = 0: nothing uses the sites, so p grows by t/T (exactly: made at c₀/(c₀T))."""
    b = BiologyParameters()
    sites = held(b, 1.73)
    for _ in range(730):
        sites.advance(0.0, holding=False)
    assert sites.relative == pytest.approx(1.0 + 730 / b.activation_site_wait_days, rel=1e-9)
    f = b.targeted_remodeling_fraction
    assert sites.activation_factor == pytest.approx(1 - f + f * sites.relative)
    assert sites.targeted_share_today > f


def test_backlog_decays_with_time_constant_wait_times_c0_over_c():
    b = BiologyParameters()
    sites = held(b, 1.0)
    sites.relative = 3.0
    c = 2.0
    days = b.activation_site_wait_days / c  # one time constant
    sites.advance(c, holding=False, days=days)
    steady = 1.0 / c
    assert sites.relative == pytest.approx(steady + (3.0 - steady) * np.exp(-1.0), rel=1e-9)


def test_exact_daily_integration_matches_small_steps_and_arrays_match_scalars():
    b = BiologyParameters()
    one, fine = held(b, np.array([1.2, 0.5])), held(b, np.array([1.2, 0.5]))
    scalar = held(b, 0.5)
    for committed in (np.array([0.01, 0.0]), np.array([3.0, 1.5])):
        one.advance(committed, holding=False, days=10.0)
        scalar.advance(float(committed[1]), holding=False, days=10.0)
        for _ in range(1000):
            fine.advance(committed, holding=False, days=0.01)
    np.testing.assert_allclose(one.relative, fine.relative, rtol=1e-9)
    assert scalar.relative == pytest.approx(one.relative[1], rel=1e-12)


def test_precursor_gate_alone_leaves_activation_unchanged():
    b = BiologyParameters(rebound_mechanism="precursor_gate")
    sites = held(b, 1.0)
    for _ in range(500):
        sites.advance(0.0, holding=False)
    assert sites.activation_factor == 1.0
    assert sites.targeted_share_today == b.targeted_remodeling_fraction

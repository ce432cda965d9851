"""The lumbar-spine DXA proxy: a mineral-weighted mean of a vertebra's compartments (engine/skeletal_sites.py)."""

import numpy as np
import pytest

from engine.parameters import Parameter
from engine.skeletal_sites import (LUMBAR_SPINE_DXA, lumbar_spine_bmd_change_pct, lumbar_spine_response_factor,
                                   trabecular_weight)


def _with(name: str, value: float) -> tuple[Parameter, ...]:
    return tuple(Parameter(p.name, p.symbol, p.unit, value, p.source) if p.name == name else p
                 for p in LUMBAR_SPINE_DXA)


def test_weights_follow_the_cited_fractions():
    """47.2 % of PA spine BMC is vertebral body (Lee 2009, women), 70 % of that is centrum (Eswaran 2007)."""
    assert trabecular_weight() == pytest.approx(0.472 * 0.70)
    assert lumbar_spine_response_factor() == pytest.approx(0.3304 + 0.6696 * 0.12)


def test_limits_of_the_mixture():
    """All-trabecular spine: DXA sees the trabecular change; cortical bone that turns over like trabecular
    bone: the same; cortical bone that never remodels: only the trabecular share."""
    no_cortex = _with("posterior_elements_bmc_fraction", 0.0)
    no_cortex = tuple(Parameter(p.name, p.symbol, p.unit, 0.0, p.source) if p.name == "vertebral_shell_mass_fraction"
                      else p for p in no_cortex)
    assert lumbar_spine_response_factor(no_cortex) == pytest.approx(1.0)
    assert lumbar_spine_response_factor(_with("cortical_to_trabecular_turnover", 1.0)) == pytest.approx(1.0)
    assert lumbar_spine_response_factor(_with("cortical_to_trabecular_turnover", 0.0)) == pytest.approx(trabecular_weight())


def test_the_shell_range_bounds_the_factor():
    """Over Eswaran's 21-39 % shell fraction the factor stays within ±12 % of its midpoint value (the
    tolerance the validation tests state)."""
    mid = lumbar_spine_response_factor()
    for shell in (0.21, 0.39):
        assert abs(lumbar_spine_response_factor(_with("vertebral_shell_mass_fraction", shell)) / mid - 1) < 0.12


def test_spine_change_is_linear_and_keeps_sign():
    trab = np.array([-10.0, 0.0, 5.0, 20.0])
    spine = lumbar_spine_bmd_change_pct(trab)
    np.testing.assert_allclose(spine, lumbar_spine_response_factor() * trab)
    assert np.all(np.sign(spine) == np.sign(trab)) and np.all(np.abs(spine) < np.abs(trab) + 1e-12)

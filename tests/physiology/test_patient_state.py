"""Estrogen deficiency after menopause raises RANKL expression (Eghbali-Fatourechi 2003), and only in women."""

import math

import pytest

from engine.physiology import PatientState
from engine.scenario.biology import BiologyParameters
from engine.scenario.schema import Patient

BIO = BiologyParameters()


def state(**patient) -> PatientState:
    return PatientState(Patient(**patient), BIO)


def test_premenopausal_and_male_have_no_deficiency():
    for s in (state(sex="female", age_years=40), state(sex="male", age_years=70)):
        s.advance(3650)
        assert s.estrogen_deficiency == 0.0 and s.rankl_expression_factor == 1.0


def test_deficiency_develops_after_menopause_and_saturates_at_the_fold():
    s = state(sex="female", age_years=51, years_since_menopause=0)
    assert s.rankl_expression_factor == 1.0
    values = []
    for day in (0, 182, 365, 730, 3650):
        s.advance(day)
        values.append(s.rankl_expression_factor)
    assert values == sorted(values) and values[-1] == pytest.approx(BIO.estrogen_deficiency_rankl_fold, rel=1e-3)
    s.advance(365)  # one time constant after the final period: 1 - 1/e of the full effect
    assert s.estrogen_deficiency == pytest.approx(1 - math.exp(-1), rel=1e-2)


def test_age_and_time_since_menopause_advance_with_the_simulation():
    s = state(sex="female", age_years=60, years_since_menopause=8)
    s.advance(730)
    assert s.age_years == pytest.approx(62, abs=0.01) and s.years_since_menopause == pytest.approx(10, abs=0.01)

"""Estrogen deficiency after menopause raises RANKL expression (Eghbali-Fatourechi 2003), and only in women."""

import math

import pytest

from engine.physiology import PatientState
from engine.scenario.biology import BiologyParameters
from engine.scenario.schema import Patient

BIO = BiologyParameters()


def state(**patient) -> PatientState:
    return PatientState(Patient(**patient), BIO)


def test_premenopausal_women_and_young_men_have_no_deficiency():
    for s, days in ((state(sex="female", age_years=40), 3650), (state(sex="male", age_years=20), 1826)):
        s.advance(days)
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


def test_men_lose_bioavailable_estradiol_with_age_slowly():
    """Khosla 1998: ~47 % lower bioavailable estradiol at 85 than at 25 -> deficiency 0.47 at 85, 0 at 25."""
    young, old = state(sex="male", age_years=25), state(sex="male", age_years=85)
    assert young.estrogen_deficiency == 0.0
    assert old.estrogen_deficiency == pytest.approx(0.47, abs=0.01)
    woman = state(sex="female", age_years=60, years_since_menopause=8)
    assert state(sex="male", age_years=60).rankl_expression_factor < woman.rankl_expression_factor


def test_glucocorticoids_act_early_on_rankl_and_lastingly_on_osteoblasts():
    gc = state(sex="female", age_years=65, years_since_menopause=15, conditions=["glucocorticoid_therapy"])
    none = state(sex="female", age_years=65, years_since_menopause=15)
    assert gc.rankl_expression_factor == pytest.approx(none.rankl_expression_factor * BIO.glucocorticoid_early_rankl_fold)
    assert gc.opg_expression_factor == pytest.approx(BIO.glucocorticoid_early_opg_fold)
    assert gc.osteoblast_lifespan_factor == pytest.approx(none.osteoblast_lifespan_factor
                                                          * BIO.glucocorticoid_osteoblast_lifespan_fold)
    assert gc.osteocyte_lifespan_factor == BIO.glucocorticoid_osteocyte_lifespan_fold
    gc.advance(3 * 365)  # the early phase fades; the osteoblast effect stays
    assert gc.rankl_expression_factor == pytest.approx(none.rankl_expression_factor, rel=0.01)
    assert gc.osteoblast_lifespan_factor < none.osteoblast_lifespan_factor
    long_term = state(sex="female", age_years=65, years_since_menopause=15, conditions=["glucocorticoid_therapy"],
                      glucocorticoid_years_of_use=5)
    assert long_term.opg_expression_factor == pytest.approx(1.0, abs=1e-3)

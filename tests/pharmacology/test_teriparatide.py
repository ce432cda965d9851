"""Teriparatide: the day's pulse (AUC = F·dose/CL) sets an Emax effect; the RANKL effect follows with a
delay, so it lags the anabolic effect; the pulse does not carry over to days without a dose."""

import math

import pytest

from engine.pharmacology.teriparatide import TeriparatidePK


def test_20ug_gives_half_and_40ug_two_thirds_of_the_maximal_effect():
    for dose_mg, effect in ((0.02, 0.5), (0.04, 2 / 3)):
        pk = TeriparatidePK()
        pk.dose(dose_mg, "subcutaneous")
        pk.end_day()
        assert pk.anabolic_effect == pytest.approx(effect)


def test_rankl_effect_lags_with_its_time_constant_and_pulses_do_not_carry_over():
    pk = TeriparatidePK()
    tau = pk.p["rankl_delay_days"]
    for _ in range(int(tau)):
        pk.dose(0.02, "subcutaneous")
        pk.end_day()
    assert pk.rankl_effect == pytest.approx(0.5 * (1 - math.exp(-int(tau) / tau)), rel=1e-6)
    assert pk.fold("rankl_fold_max", pk.rankl_effect) < pk.fold("rankl_fold_max", pk.anabolic_effect)
    pk.end_day()  # a day without injection
    assert pk.anabolic_effect == 0.0 and pk.rankl_effect > 0


def test_only_subcutaneous():
    with pytest.raises(ValueError, match="subcutaneous"):
        TeriparatidePK().dose(0.02, "oral")

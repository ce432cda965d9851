"""Denosumab pharmacokinetics against the label and the published PK studies (targets.md §1).

The model is the typical patient of the population-PK model (no between-subject variability), so it is
compared with the published *means/medians*; tolerances are the published between-subject SD or range,
which the typical value must fall inside. Nothing here is fitted: the parameters are fixed in
`engine.pharmacology.denosumab.DENOSUMAB_PK` with their sources.
"""

import numpy as np
import pytest

from engine.pharmacology import DenosumabPK


def serum_profile_ng_per_ml(dose_mg: float, days: int, interval_days: int | None = None, doses: int = 1):
    """Daily serum concentrations (index = day) for `doses` SC doses every `interval_days`."""
    pk = DenosumabPK()
    out = [0.0]
    for day in range(days):
        if day == 0 or (interval_days and day % interval_days == 0 and day // interval_days < doses):
            pk.dose(dose_mg)
        pk.advance(1.0)
        out.append(pk.serum_ng_per_ml)
    return np.array(out)


@pytest.fixture(scope="module")
def single_60mg():
    return serum_profile_ng_per_ml(60.0, 400)


def test_cmax_60mg(single_60mg):
    """§1 'Cmax': 6.75 (SD 1.89) µg/mL → the typical value within mean ± 1 SD."""
    assert 6.75 - 1.89 <= single_60mg.max() / 1000.0 <= 6.75 + 1.89


def test_tmax_60mg(single_60mg):
    """§1 'Tmax': median 10 d (range 3–21) → within the range, and within a week of the median."""
    tmax = int(np.argmax(single_60mg))
    assert 3 <= tmax <= 21 and abs(tmax - 10) <= 7


def test_half_life_60mg(single_60mg):
    """§1 'Terminal half-life': mean 25.4 d (SD 8.5), estimated by the label's method (log-linear
    fit of the decline after the peak, here days 30–90, before the target-mediated collapse) → mean ± 1 SD."""
    days = np.arange(30, 91)
    slope = np.polyfit(days, np.log(single_60mg[days]), 1)[0]
    assert 25.4 - 8.5 <= np.log(2) / -slope <= 25.4 + 8.5


def test_auc_16_weeks_60mg(single_60mg):
    """§1 'AUC0–16 wk': 316 (SD 101) µg·d/mL → mean ± 1 SD."""
    auc = np.trapezoid(single_60mg[:113]) / 1000.0
    assert 316 - 101 <= auc <= 316 + 101


def test_concentration_at_6_months_60mg(single_60mg):
    """§1 'Concentration decline': serum denosumab declines over 4–5 months, i.e. it is essentially gone by
    the next dose: below 1 % of Cmax at month 6 (day 182), while still above it at month 3."""
    cmax = single_60mg.max()
    assert single_60mg[182] < 0.01 * cmax < single_60mg[91]


def test_no_accumulation_q6m():
    """§1 'Concentration decline': no accumulation with Q6M dosing → Cmax after the 4th dose within 5 %
    of the first."""
    c = serum_profile_ng_per_ml(60.0, 730, interval_days=182, doses=4)
    assert c[546:].max() == pytest.approx(c[:182].max(), rel=0.05)


def test_target_mediated_nonlinearity():
    """§1 'Dose linearity': AUC grows more than dose-proportionally below ~60 mg and about proportionally
    above → dose-normalised AUC(0–400 d) of 14 mg at least 20 % below 60 mg's, and 120 mg within 20 %
    of 60 mg's; §1 'Half-life (low dose vs higher dose)': the half-life is longer at 120 than at 60 mg."""
    auc = {d: np.trapezoid(serum_profile_ng_per_ml(d, 400)) / d for d in (14.0, 60.0, 120.0)}
    assert auc[14.0] < 0.8 * auc[60.0]
    assert auc[120.0] == pytest.approx(auc[60.0], rel=0.2)

    def half_life(c):
        days = np.arange(60, 121)
        return np.log(2) / -np.polyfit(days, np.log(c[days]), 1)[0]
    assert half_life(serum_profile_ng_per_ml(120.0, 200)) > half_life(serum_profile_ng_per_ml(60.0, 200))


def test_xgeva_steady_state_trough():
    """§1 'Half-life, 120 mg Q4W (XGEVA)': steady-state trough 20.6 µg/mL (range 0.456–56.9) at about
    6 months, a check of the saturated (linear) regime → inside the range and within a factor 1.5 of the mean."""
    c = serum_profile_ng_per_ml(120.0, 196, interval_days=28, doses=7)
    trough = c[168] / 1000.0
    assert 0.456 <= trough <= 56.9 and 20.6 / 1.5 <= trough <= 20.6 * 1.5

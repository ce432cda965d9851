"""Patient-level targets of denosumab (targets.md §2-§4, §7) from the whole-skeleton layer: the FREEDOM-like
woman of the ensembles (72 y, 22 y after menopause), deterministic, so one run per arm (`SkeletonModel`).

Tolerances and why:
- BMD (lumbar-spine DXA): within 0.5-1.5x the published values, as in test_denosumab_pd.py (figure-read
  trajectory ±10 %, compartment weights and cortical surface density cited with ranges).
- Serum CTX: the assay reports values below its LLOQ at the LLOQ (0.049 of 0.387 ng/mL: −87 %), so the
  deepest visible fall is −87 %; §2 'Serum CTX fall' (≈ −85 % at day 3) → ≤ −70 % by day 3.
- Placebo markers: within ±30 % of baseline over 3 years (issue 17; a 72-year-old's turnover changes slowly).
- After stopping: §4 'CTX rebound' (above baseline within 3 months of the missed dose) → above +20 % at some
  point in months 1-6 after it; §4 'BMD after 24 mo off' (declined towards baseline) → lower a year later;
  the rebound mechanisms compared (`biology.rebound_mechanism`; trial level: benchmarks/bench_rebound.py).
Judged at trial level instead (`bmu trial scenarios/trials/freedom_3y.yaml`, tolerances in the report): CTX
recovery to about −72 % before each dose (drug access calibrated on month 6) and P1NP (−76 %; the layer gives
−87 %: modeling-based formation persists, but only ~3 % of untreated formation in cancellous bone). Known miss, not asserted (issue 18): P1NP first rises ~17 % (BMUs that lose their osteoclasts all enter formation) where FREEDOM shows −18 % at
1 month.
"""

import numpy as np
import pytest

from engine.io.published import MONTH_DAYS
from engine.scenario import scenario_from_text
from engine.skeleton.patient import SkeletonModel
from tests.validation.ensemble import DENOSUMAB_Q6M, FREEDOM_PATIENT, TEMPLATE

DAYS = 1461


def run(regimen: str = "") -> dict[str, np.ndarray]:
    text = TEMPLATE.format(seed=1, days=DAYS, size_um=600, patient=FREEDOM_PATIENT) + regimen
    model = SkeletonModel(scenario_from_text(text).scenario)
    model.spin_up()
    rows = [model.skeleton.readouts()]
    for _ in range(DAYS):
        model.step()
        rows.append(model.skeleton.readouts())
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


@pytest.fixture(scope="module")
def placebo():
    return run()


@pytest.fixture(scope="module")
def denosumab():
    return run(DENOSUMAB_Q6M.format(dose_mg=60, interval_days=182.5, doses=8))


@pytest.fixture(scope="module")
def stopped():
    return run(DENOSUMAB_Q6M.format(dose_mg=60, interval_days=182.5, doses=4))


@pytest.fixture(scope="module")
def stopped_precursor_gate():
    return run(DENOSUMAB_Q6M.format(dose_mg=60, interval_days=182.5, doses=4)
               + "biology: {rebound_mechanism: precursor_gate}\n")


def at(series, months):
    return float(series[int(round(months * MONTH_DAYS))])


def test_lumbar_spine_gains_against_freedom(denosumab, placebo):
    """§3 'LS / TH BMD trajectory' (+5.5/+7.6/+9.4 % at 12/24/36 mo) and §3 'LS BMD vs placebo' (+9.2 %)."""
    for months, published in {12: 5.5, 24: 7.6, 36: 9.4}.items():
        assert 0.5 * published <= at(denosumab["lumbar_spine_bmd_change_pct"], months) <= 1.5 * published, months
    difference = at(denosumab["lumbar_spine_bmd_change_pct"], 36) - at(placebo["lumbar_spine_bmd_change_pct"], 36)
    assert 0.5 * 9.2 <= difference <= 1.5 * 9.2, difference


def test_placebo_markers_stay_near_baseline(placebo):
    """A woman 22 years after menopause, held at her physiology, keeps her turnover: the spin-up leaves the
    osteocytes (RANKL's source) and the tissue-age mineral in the steady state of her own remodeling. Before
    the living-osteocyte seeding and the older-than-the-spin-up tissue ages, CTX fell 11 % in 3 years and
    placebo BMD rose; ±5 % leaves room for the slow approach of the precursor pool and the mineral."""
    for name in ("serum_ctx_change_pct", "serum_p1np_change_pct"):
        assert np.all(np.abs(placebo[name][: int(36 * MONTH_DAYS)]) <= 5.0), name


def test_placebo_spine_loses_slowly(placebo):
    """§7 'Placebo arms': untreated postmenopausal women lose spine BMD slowly, LS −0.8 %/y. Bounds: losing at
    12 months but no faster than twice that rate, and no faster than 1.25× that rate over 3 years (−3 %).
    (Before the start-state fixes this woman gained +1 % in 3 years.) The FREEDOM cohort's placebo arm is
    judged at trial level (`bmu trial scenarios/trials/freedom_3y.yaml`)."""
    assert -1.6 <= at(placebo["lumbar_spine_bmd_change_pct"], 12) < 0.0
    assert -3.0 <= at(placebo["lumbar_spine_bmd_change_pct"], 36) < 0.0


def test_ctx_falls_within_days_and_p1np_lags(denosumab, placebo):
    assert denosumab["serum_ctx_change_pct"][3] <= -70.0
    # §2 'P1NP / osteocalcin': the fall starts ~1 month after the first dose → not yet fallen at day 14
    assert denosumab["serum_p1np_change_pct"][14] > -25.0
    late = slice(90, 180)
    assert np.mean(denosumab["serum_p1np_change_pct"][late]) < np.mean(placebo["serum_p1np_change_pct"][late]) - 40


def test_rebound_after_stopping(stopped):
    missed = int(4 * 182.5)
    assert np.max(stopped["serum_ctx_change_pct"][missed + 30: missed + 180]) > 20.0
    at_stop = stopped["lumbar_spine_bmd_change_pct"][missed]
    assert at_stop > 3.0 and stopped["lumbar_spine_bmd_change_pct"][missed + 365] < at_stop


def test_activation_sites_make_the_overshoot_last(stopped, stopped_precursor_gate, placebo):
    """§4 'Time course (FREEDOM)': markers are still above baseline 6 months after the missed dose (Cummings
    2018), and BMD returns toward baseline (Bone 2011: month-48 BMD tracked month 0). The precursor pool alone
    gives a spike of weeks (its surplus is used within ~2 commitment times); primed activation sites that piled
    up under blockade keep activation raised for their wait time (`engine.agents.activation_sites`). So with
    them CTX at month 30 is above the same woman untreated by more than the spike's tail, and more bone is lost
    by month 48. Bounds: CTX above her untreated self at month 30 by twice what she drifts in 3 years untreated
    (the size of a change that is not drift; ~4 % points), and by 5 % points more than the precursor gate's;
    0.3 % points of LS BMD (the size of one month's loss after stopping)."""
    month30, month36 = (int(round(m * MONTH_DAYS)) for m in (30, 36))
    ctx, ctx_gate = stopped["serum_ctx_change_pct"][month30], stopped_precursor_gate["serum_ctx_change_pct"][month30]
    untreated = placebo["serum_ctx_change_pct"]
    drift = 2.0 * abs(untreated[month36])
    assert ctx - untreated[month30] > drift and ctx > ctx_gate + 5.0, (ctx, ctx_gate, untreated[month30], drift)
    ls, ls_gate = (r["lumbar_spine_bmd_change_pct"][-1] for r in (stopped, stopped_precursor_gate))
    assert ls < ls_gate - 0.3, (ls, ls_gate)


OPG_BINDS_HALF_THE_RANKL = ("biology: {rebound_mechanism: %s, rankl_opg_kd_nM: 0.004, "
                            "osteocyte_rankl_secretion_molecules_per_day: 1416.0}\n")
"""A hypothetical operating point (benchmarks/bench_rebound.py): K_D at the 4 pM marrow OPG the OPG secretion
is derived from, RANKL secretion doubled (708 × (1 + OPG/K_D)) so the untreated RANK occupancy is unchanged."""


def test_osteocyte_opg_follows_formation_and_adds_to_the_rebound_only_where_opg_matters(stopped_precursor_gate):
    """`engine.agents.osteocyte_opg` (Fu 2023, targets.md §9): two years of denosumab cut formation, so the
    young osteocytes' OPG falls; after stopping, RANKL meets less OPG.
    - At the model's operating point (4 pM OPG, K_D 1 nM) OPG binds < 1 % of RANKL, so the mechanism may move the
      CTX peak by at most 1 % point (0.4 % of RANKL freed can move θ by no more than that).
    - Where OPG binds half the RANKL, the same fall (to ~0.6 of untreated) frees ~25 % more RANKL: the peak must
      rise by more than 10 % points over the precursor gate at that operating point (measured: 69 against 39)."""
    stop = DENOSUMAB_Q6M.format(dose_mg=60, interval_days=182.5, doses=4)
    missed = int(4 * 182.5)
    window = slice(missed, missed + 365)
    inert = run(stop + "biology: {rebound_mechanism: osteocyte_opg}\n")
    peak, peak_gate = (np.max(r["serum_ctx_change_pct"][window]) for r in (inert, stopped_precursor_gate))
    assert abs(peak - peak_gate) < 1.0, (peak, peak_gate)
    acting, gate = (run(stop + OPG_BINDS_HALF_THE_RANKL % m) for m in ("osteocyte_opg", "precursor_gate"))
    peak, peak_gate = (np.max(r["serum_ctx_change_pct"][window]) for r in (acting, gate))
    assert peak > peak_gate + 10.0, (peak, peak_gate)


def test_osteomorph_recycling_amplifies_the_rebound(stopped_precursor_gate):
    """`engine.agents.osteomorphs` (McDonald 2021): half the fusing cells are recycled osteomorphs, so once
    RANKL returns, every new osteoclast's fission feeds more fusion (loop gain s = 0.5): the overshoot after
    stopping must exceed the precursor gate's by more than 10 % points (measured: 65 against 33). The pile left
    from the osteoclasts of the first dose is gone long before (it drains by re-fusion at the residual RANK
    occupancy between doses), so the osteomorphs' lifespan hardly matters."""
    stop = DENOSUMAB_Q6M.format(dose_mg=60, interval_days=182.5, doses=4)
    window = slice(int(4 * 182.5), int(4 * 182.5) + 365)
    recycling = run(stop + "biology: {rebound_mechanism: osteomorph_recycling}\n")
    peak, peak_gate = (np.max(r["serum_ctx_change_pct"][window]) for r in (recycling, stopped_precursor_gate))
    assert peak > peak_gate + 10.0, (peak, peak_gate)

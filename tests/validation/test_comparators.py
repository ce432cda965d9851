"""Alendronate, zoledronate and teriparatide against their published trials, and the relative efficacy
the issue asks for (targets.md §6; cite rows below). Same ensemble machinery as the denosumab tests
(`ensemble.py`): 6 virtual biopsies (600 µm cubes, BV/TV 0.2) of a FREEDOM-like woman (72 y, 22 y after
menopause), each spun up 400 days, then observed with the same seeds in every arm, so arm differences are
paired within the same virtual women. Markers are the daily fluxes of the 6 volumes summed.

Tolerances and why (as in test_denosumab_pd.py):
- BMD: the published gains are lumbar-spine DXA, which the whole-skeleton layer gives (`engine.skeleton`),
  and the checks accept 0.5-1.5x the published gain, for the reasons given in test_denosumab_pd.py
  (compartment weights and cortical surface density cited with ranges, from-memory rows). An anabolic gain
  may fall further short: new bone is laid unmineralised and DXA counts mineral, and teriparatide's
  cortical modeling is not in the layer yet (issue 18), so it must reach a third of the published gain and
  stay below 1.5x it.
- Relative efficacy is checked as a sign (larger / smaller), not as a size: markers in the same volumes (their
  differences are tens of %), BMD at patient level (with 6 volumes the difference of two arms carries ~±1 %
  noise, as large as DECIDE's effect).
- Cost: the 12-month checks (alendronate and denosumab ensembles, ~1.5 min on 2 cores; the patient-level
  alendronate gain from the layer alone, a second) run in the default suite;
  the 19-month teriparatide and 24-month denosumab→zoledronate checks (~6 min) are marked `slow` and run
  with `pytest -m slow tests/validation/test_comparators.py` (also by `benchmarks/validate_comparators.py`).
No parameter is fitted here; every value is fixed in code with its source.
"""

import pytest

from engine.io.published import MONTH_DAYS
from tests.validation.ensemble import FREEDOM_PATIENT, run_marker_ensemble

SEEDS = (1, 2, 3, 4, 5, 6)
YEAR = 365
NEER_DAYS = 578  # 19 months


def regimen(*lines: str) -> str:
    return "regimen:\n" + "".join(f"  - {line}\n" for line in lines)


ALENDRONATE = "{drug: alendronate, dose_mg: 70, route: oral, start_day: 0, interval_days: 7, number_of_doses: 60}"
DENOSUMAB_1Y = "{drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: 0, interval_days: 182.5, number_of_doses: 2}"
TERIPARATIDE = "{drug: teriparatide, dose_mg: 0.02, route: subcutaneous, start_day: 0, interval_days: 1, number_of_doses: 600}"
ZOLEDRONATE_AT_1Y = "{drug: zoledronate, dose_mg: 5, route: intravenous, start_day: 365, number_of_doses: 1}"


def patient(regimen_text: str = "", days: int = YEAR):
    """The FREEDOM-like woman's whole-skeleton layer alone (the patient-level readouts the ensembles' first
    volume carries too: the layer is deterministic and the same with or without an agent volume)."""
    from engine import api
    from engine.scenario import scenario_from_text
    from tests.validation.ensemble import TEMPLATE

    text = TEMPLATE.format(seed=1, days=days, size_um=600, patient=FREEDOM_PATIENT) + regimen_text
    return api.patient_curves(scenario_from_text(text))


@pytest.fixture(scope="module")
def placebo_19_months():
    return run_marker_ensemble(FREEDOM_PATIENT, SEEDS, NEER_DAYS, window_days=1)


@pytest.fixture(scope="module")
def alendronate():
    return run_marker_ensemble(FREEDOM_PATIENT, SEEDS, YEAR, regimen(ALENDRONATE), window_days=1)


@pytest.fixture(scope="module")
def denosumab():
    return run_marker_ensemble(FREEDOM_PATIENT, SEEDS, YEAR, regimen(DENOSUMAB_1Y), window_days=1)


@pytest.fixture(scope="module")
def teriparatide():
    return run_marker_ensemble(FREEDOM_PATIENT, SEEDS, NEER_DAYS, regimen(TERIPARATIDE), window_days=1)


def test_alendronate_suppresses_resorption_then_formation(alendronate):
    """Weekly alendronate: serum CTX falls by roughly 50-80 % within 3-6 months and stays there, formation
    follows (Schnitzer 2000 and the FACT trial, Rosen 2005 J Bone Miner Res 20:141; from-memory, not in
    targets.md) -> CTX over months 6-12 at most -50 %; P1NP over months 6-12 below baseline."""
    assert alendronate.window_mean("biopsy_ctx_change_pct", 6 * MONTH_DAYS, YEAR) <= -50.0
    assert alendronate.window_mean("biopsy_p1np_change_pct", 6 * MONTH_DAYS, YEAR) < 0.0


def test_alendronate_bmd_gain_at_12_months():
    """§6 'ALN 70 mg weekly vs 10 mg daily': LS +5.1 % at 12 months (placebo ~0) -> the lumbar-spine DXA
    gain over placebo of the same woman (whole-skeleton layer) lies in [0.5 x 5.1, 1.5 x 5.1] %."""
    gain = (patient(regimen(ALENDRONATE))["lumbar_spine_bmd_change_pct"].sel(day=YEAR).item()
            - patient()["lumbar_spine_bmd_change_pct"].sel(day=YEAR).item())
    assert 0.5 * 5.1 <= gain <= 1.5 * 5.1, gain


def test_denosumab_suppresses_ctx_faster_than_alendronate(denosumab, alendronate):
    """§6 'DECIDE (Dmab vs ALN 70 mg/wk)': denosumab lowers CTX within days, alendronate over weeks, so over
    the first month denosumab's CTX is lower in the same volumes (a difference of tens of %, far above the
    ensemble's noise)."""
    assert denosumab.window_mean("biopsy_ctx_change_pct", 1, 30) < alendronate.window_mean("biopsy_ctx_change_pct", 1, 30)


def test_denosumab_gains_more_bmd_than_alendronate_at_12_months():
    """§6 'DECIDE (Dmab vs ALN 70 mg/wk)': at 12 months LS +5.3 vs +4.2 %, TH +3.5 vs +2.6 % -> the same woman's
    lumbar-spine and total-hip DXA gains (whole-skeleton layer, deterministic) are larger on denosumab. Judged
    at patient level: in 6 biopsies the difference of two arms carries ~±1 % noise against a ~1 % effect.
    Failed (a strict xfail) until alendronate's surface drug acted at BMU founding, up to a plateau calibrated on
    the biopsies' activation frequency (`engine.pharmacology.bisphosphonates`): before, alendronate suppressed
    resorption fully and gained more than denosumab (LS +5.0 against +4.3 %)."""
    for readout in ("lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct"):
        dmab = patient(regimen(DENOSUMAB_1Y))[readout].sel(day=YEAR).item()
        aln = patient(regimen(ALENDRONATE))[readout].sel(day=YEAR).item()
        assert dmab > aln, (readout, dmab, aln)


@pytest.mark.slow
def test_teriparatide_raises_formation_before_resorption(teriparatide, placebo_19_months):
    """The anabolic window (McClung 2005 Arch Intern Med 165:1762; Glover 2009 Bone 45:1053; from-memory):
    P1NP rises within the first months, CTX later -> over months 1-3, P1NP is above placebo's in the same
    volumes, and by more than CTX is (each volume's own marker baseline drifts, placebo carries the drift)."""
    def over_placebo(name):
        window = (1, 3 * MONTH_DAYS)
        return teriparatide.window_mean(name, *window) - placebo_19_months.window_mean(name, *window)
    assert over_placebo("biopsy_p1np_change_pct") > 0.0
    assert over_placebo("biopsy_p1np_change_pct") > over_placebo("biopsy_ctx_change_pct")


@pytest.mark.slow
def test_teriparatide_bmd_gain_at_19_months(teriparatide, placebo_19_months):
    """§6 'Teriparatide 20 µg/d BMD vs placebo': LS ≈ +9 % at a median 19-21 months -> the gain over placebo
    at 19 months: the lumbar-spine proxy's gain lies in [9/3, 1.5 x 9] % (bounds in the module docstring)."""
    gain = (teriparatide.lumbar_spine_bmd_change_pct[NEER_DAYS]
            - placebo_19_months.lumbar_spine_bmd_change_pct[NEER_DAYS])
    assert 3.0 <= gain <= 13.5, gain


@pytest.mark.slow
def test_zoledronate_after_denosumab_blunts_the_loss():
    """Zoledronate given when denosumab wears off reduces the loss that follows stopping (Reid 2017 J Bone
    Miner Res 32:1939; Anastasilakis 2017 J Bone Miner Res 32:1291; the issue's relative-efficacy check;
    not in targets.md): 2 doses of denosumab, then at month 12 either nothing or zoledronate 5 mg; from
    month 12 to month 24 the volumes lose less BMD with zoledronate, and their CTX overshoots less."""
    stop = run_marker_ensemble(FREEDOM_PATIENT, SEEDS, 2 * YEAR, regimen(DENOSUMAB_1Y), window_days=1)
    zol = run_marker_ensemble(FREEDOM_PATIENT, SEEDS, 2 * YEAR, regimen(DENOSUMAB_1Y, ZOLEDRONATE_AT_1Y),
                              window_days=1)
    loss_stop = stop.biopsy_bmd_change_pct[2 * YEAR] - stop.biopsy_bmd_change_pct[YEAR]
    loss_zol = zol.biopsy_bmd_change_pct[2 * YEAR] - zol.biopsy_bmd_change_pct[YEAR]
    assert loss_zol > loss_stop
    assert zol.window_mean("biopsy_ctx_change_pct", YEAR + 60, 2 * YEAR) < stop.window_mean("biopsy_ctx_change_pct", YEAR + 60, 2 * YEAR)


def _layer_histomorphometry(regimen_text: str, days: int):
    """The FREEDOM-like woman's vertebral trabecular histomorphometry in the whole-skeleton layer over the 6
    months before `days` (`PatientSkeleton.histomorphometry`)."""
    from engine.scenario import scenario_from_text
    from engine.skeleton.patient import SkeletonModel
    from tests.validation.ensemble import TEMPLATE

    model = SkeletonModel(scenario_from_text(TEMPLATE.format(seed=1, days=days, size_um=600, patient=FREEDOM_PATIENT)
                                             + regimen_text).scenario)
    model.spin_up()
    for _ in range(days):
        model.step()
    return model.skeleton.histomorphometry(182)


def test_alendronate_lowers_activation_frequency_to_a_plateau_and_bmus_keep_their_size():
    """Chavassieux 1997 J Clin Invest 100:1475 (iliac biopsies after 2 years; from the paper's abstract, not in
    targets.md): activation frequency −87 % at 10 mg daily, of the same magnitude at 5 and 20 mg; erosion
    depth reduced, wall thickness raised (BMUs that start are of normal size). In the layer, months 18-24:
    - 10 mg: activations −87 ± 5 % (the plateau `max_founding_effect` is calibrated here; ±5 guards it);
    - 5 and 20 mg within 8 % points of 10 mg (a plateau: the drug disables founding osteoclasts up to Emax);
    - matrix resorbed per activation ≥ 0.7 × untreated (before 2026-11-29 every BMU started and aborted:
      ~0.03×)."""
    days = 730
    base = _layer_histomorphometry("", days)

    def daily(dose_mg):
        return regimen(f"{{drug: alendronate, dose_mg: {dose_mg}, route: oral, start_day: 0, interval_days: 1, "
                       f"number_of_doses: {days}}}")
    change = {}
    for dose in (5, 10, 20):
        h = _layer_histomorphometry(daily(dose), days)
        change[dose] = 100.0 * (h["activations_per_mm2_per_year"] / base["activations_per_mm2_per_year"] - 1.0)
        if dose == 10:
            per_bmu = (h["resorbed_um_per_year"] / h["activations_per_mm2_per_year"]) / (
                base["resorbed_um_per_year"] / base["activations_per_mm2_per_year"])
    assert -92.0 <= change[10] <= -82.0, change
    assert abs(change[5] - change[10]) <= 8.0 and abs(change[20] - change[10]) <= 8.0, change
    assert per_bmu >= 0.7, per_bmu

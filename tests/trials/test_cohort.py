"""Cohorts: deterministic from the trial seed, the same person in every arm, log-normal variability."""

import numpy as np

from engine.trials.cohort import MIN_MENOPAUSE_AGE_YEARS, bv_tv_for_t_score, build_cohort
from engine.trials.loader import load_trial


def test_same_seed_same_cohort_and_patient_i_does_not_depend_on_cohort_size(tiny_trial_file):
    loaded = load_trial(tiny_trial_file)
    a = build_cohort(loaded.trial, loaded.base)
    b = build_cohort(loaded.trial, loaded.base)
    assert [(p.patient_id, p.seed, p.characteristics) for p in a] == [(p.patient_id, p.seed, p.characteristics) for p in b]
    bigger = {p.patient_id: p for p in build_cohort(loaded.trial, loaded.base, patients_per_arm=5)}
    for p in a:
        assert bigger[p.patient_id].characteristics == p.characteristics and bigger[p.patient_id].scenario == p.scenario


def test_patient_i_is_the_same_person_in_every_arm(tiny_trial_file):
    loaded = load_trial(tiny_trial_file)
    cohort = build_cohort(loaded.trial, loaded.base)
    by_arm = {}
    for p in cohort:
        by_arm.setdefault(p.index, {})[p.arm] = p
    for pair in by_arm.values():
        placebo, dmab = pair["placebo"], pair["dmab"]
        assert placebo.seed == dmab.seed and placebo.characteristics == dmab.characteristics
        assert placebo.scenario["regimen"] == [] and dmab.scenario["regimen"][0]["dose_mg"] == 60


def test_another_seed_gives_another_cohort(tiny_trial_file):
    loaded = load_trial(tiny_trial_file)
    other = loaded.trial.model_copy(update={"seed": 12})
    assert build_cohort(other, loaded.base)[0].seed != build_cohort(loaded.trial, loaded.base)[0].seed


def test_sampled_characteristics_respect_the_population(tiny_trial_file):
    loaded = load_trial(tiny_trial_file)
    for p in build_cohort(loaded.trial, loaded.base, patients_per_arm=50):
        c = p.characteristics
        assert 60 <= c["age_years"] <= 80 and 0.0 <= c["baseline_t_score"] <= 0.4
        assert c["years_since_menopause"] <= c["age_years"] - MIN_MENOPAUSE_AGE_YEARS + 1e-9
        assert p.scenario["geometry"]["structure"]["bv_tv"] == c["bv_tv"]


def test_log_normal_variability_has_the_requested_cv(tiny_trial_file):
    """Over 2,000 patients the log-SD of clearance is ω = sqrt(ln(1 + 0.3²)) = 0.294 within 5 %
    (sampling SE of an SD with n = 2,000 is ~1.6 %), and the median is the table value within 3 %."""
    from engine.pharmacology.denosumab import DENOSUMAB_PK
    from engine.parameters import values
    loaded = load_trial(tiny_trial_file)
    cohort = [p for p in build_cohort(loaded.trial, loaded.base, patients_per_arm=2000) if p.arm == "placebo"]
    cl = np.array([p.scenario["pharmacokinetics"]["denosumab"]["linear_clearance_L_per_day"] for p in cohort])
    typical = values(DENOSUMAB_PK)["linear_clearance_L_per_day"]
    assert abs(np.std(np.log(cl)) / np.sqrt(np.log1p(0.09)) - 1) < 0.05
    assert abs(np.median(cl) / typical - 1) < 0.03


def test_t_score_maps_to_lower_bv_tv():
    assert bv_tv_for_t_score(0.0) == 0.24
    assert bv_tv_for_t_score(-2.5) < bv_tv_for_t_score(-1.0) < bv_tv_for_t_score(0.0)
    assert 0.17 < bv_tv_for_t_score(-2.5) < 0.18

"""Trial YAML validation: errors name the file, line, YAML path, value and what is allowed."""

import pytest

from engine.trials.loader import TrialError, load_trial
from tests.trials.conftest import TINY_TRIAL


def _problems(tmp_path, text):
    from tests.conftest import SMALL_SCENARIO
    (tmp_path / "base.yaml").write_text(SMALL_SCENARIO)
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(TrialError) as info:
        load_trial(path)
    return str(info.value)


def test_bundled_trials_load():
    for name in ("freedom_3y", "denosumab_discontinuation", "dose_ranging_phase2", "decide_dmab_vs_aln",
                 "bisphosphonates_3y", "teriparatide_neer"):
        loaded = load_trial(f"scenarios/trials/{name}.yaml")
        assert loaded.trial.published.rows and loaded.trial.arms
    for name in ("sequences_4y", "populations_1y"):  # predictions: no published rows in targets.md
        assert len(load_trial(f"scenarios/trials/{name}.yaml").trial.arms) == 6


def test_bundled_cohorts_take_each_arms_population():
    from engine.trials.cohort import build_cohort
    loaded = load_trial("scenarios/trials/populations_1y.yaml")
    cohort = {p.arm: p.scenario["patient"] for p in build_cohort(loaded.trial, loaded.base, 1)}
    assert cohort["men_denosumab"]["sex"] == "male" and cohort["men_denosumab"]["years_since_menopause"] is None
    assert cohort["glucocorticoid_untreated"]["conditions"] == ["glucocorticoid_therapy"]
    assert 45 <= cohort["japanese_women_denosumab"]["body_weight_kg"] <= 60


def test_versus_rows_compare_differences_with_a_welch_interval():
    import numpy as np
    from engine.trials.report import welch_difference
    a = {"biopsy_bmd_change_pct_mean": np.array([5.0]), "biopsy_bmd_change_pct_sd": np.array([2.0]), "n": np.array([10])}
    b = {"biopsy_bmd_change_pct_mean": np.array([1.0]), "biopsy_bmd_change_pct_sd": np.array([2.0]), "n": np.array([10])}
    diff, half = welch_difference(a, 0, b, 0, "biopsy_bmd_change_pct")
    assert diff == 4.0 and half == pytest.approx(2.101 * np.sqrt(0.8), rel=1e-3)  # t(0.975, df 18)


def test_versus_must_name_an_arm(tmp_path):
    text = TINY_TRIAL.replace("readout: biopsy_ctx_change_pct", "readout: biopsy_ctx_change_pct, versus: nobody", 1)
    assert "versus = 'nobody' is not an arm" in _problems(tmp_path, text)


def test_unknown_key_is_named_with_its_line(tmp_path):
    message = _problems(tmp_path, TINY_TRIAL.replace("patients_per_arm: 2", "patients_per_arms: 2"))
    assert "t.yaml:5: patients_per_arms: unknown key; did you mean 'patients_per_arm'?" in message


def test_bad_values_name_path_value_and_what_is_allowed(tmp_path):
    message = _problems(tmp_path, TINY_TRIAL.replace("age_years: [60, 80]", "age_years: [80, 60]"))
    assert "t.yaml:9: population.age_years = [80, 60]" in message and "low must not exceed high" in message
    message = _problems(tmp_path, TINY_TRIAL.replace("pharmacokinetics.denosumab.linear_clearance_L_per_day",
                                                     "pharmacokinetics.denosumab.linear_clearance"))
    assert "variability[0].parameter" in message and "did you mean" in message
    message = _problems(tmp_path, TINY_TRIAL.replace("cv_pct: 30", "cv_pct: -3"))
    assert "variability[0].cv_pct = -3" in message and "allowed: above 0" in message


def test_published_rows_must_name_an_arm(tmp_path):
    message = _problems(tmp_path, TINY_TRIAL.replace("- {arm: dmab,", "- {arm: dmab2,"))
    assert "dmab2" in message and "is not an arm" in message


def test_missing_or_bad_base_scenario(tmp_path):
    message = _problems(tmp_path, TINY_TRIAL.replace("base.yaml", "nope.yaml"))
    assert "t.yaml:3: base_scenario = 'nope.yaml': file not found" in message
    (tmp_path / "bad.yaml").write_text("duration_days: -1\n")
    path = tmp_path / "t2.yaml"
    path.write_text(TINY_TRIAL.replace("base.yaml", "bad.yaml"))
    with pytest.raises(TrialError, match="base_scenario = 'bad.yaml'.*duration_days"):
        load_trial(path)


def test_cli_reports_a_bad_trial_without_traceback(tmp_path, capsys):
    from engine.cli import main
    _ = tmp_path / "x"
    assert main(["trial", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml: file not found" in err and "Traceback" not in err


def test_yaml_syntax_errors_and_duplicate_keys_name_the_line(tmp_path):
    assert "t.yaml:5: seed: key appears twice" in _problems(tmp_path, TINY_TRIAL.replace("seed: 11", "seed: 11\nseed: 12"))
    assert "invalid YAML syntax" in _problems(tmp_path, TINY_TRIAL + "arms: [\n")


def test_a_peak_row_needs_its_window_and_one_arm(tmp_path):
    row = "readout: biopsy_ctx_change_pct"
    assert "statistic 'peak' needs until_month" in _problems(
        tmp_path, TINY_TRIAL.replace(row, row + ", statistic: peak", 1))
    assert "until_month is only used with statistic 'peak'" in _problems(
        tmp_path, TINY_TRIAL.replace(row, row + ", until_month: 40", 1))


def test_a_peak_row_takes_the_largest_arm_mean_in_its_window():
    """The discontinuation overshoot (targets.md §4, 40-60 %) has no month of its own: the row compares the
    largest arm mean between `month` and `until_month`, with that day's CI; days outside are ignored."""
    import dataclasses
    import numpy as np
    from engine.io.published import MONTH_DAYS
    from engine.trials.report import compare
    loaded = load_trial("scenarios/trials/denosumab_discontinuation.yaml")
    rows = tuple(r for r in loaded.trial.published.rows if r.statistic == "peak")
    trial = loaded.trial.model_copy(update={"published": loaded.trial.published.model_copy(update={"rows": rows})})
    loaded = dataclasses.replace(loaded, trial=trial)
    day = np.arange(0, 49 * MONTH_DAYS, 7.0)
    mean = np.where(day < 24 * MONTH_DAYS, 500.0, 0.0)  # a larger value before the window must not count
    mean[np.argmin(np.abs(day - 27 * MONTH_DAYS))] = 55.0
    arm = {"day": day, "n": np.full(day.size, 50), "serum_ctx_change_pct_mean": mean,
           "serum_ctx_change_pct_ci95_low": mean - 3.0, "serum_ctx_change_pct_ci95_high": mean + 3.0}
    (row,) = compare(loaded, {"denosumab_stop_after_2y": arm})
    assert row["simulated"] == 55.0 and row["ci"] == (52.0, 58.0) and row["pass"]
    assert abs(row["day"] - 27 * MONTH_DAYS) < 7


def test_a_below_lloq_row_needs_an_assay_readout():
    from engine.trials.schema import PublishedRow
    with pytest.raises(ValueError, match="needs a readout with an assay limit"):
        PublishedRow(arm="a", readout="serum_ctx_change_pct", statistic="below_lloq_pct", month=1, mean=50, row="§2 x")
    with pytest.raises(ValueError, match="not a difference 'versus'"):
        PublishedRow(arm="a", versus="b", readout="serum_ctx_ng_per_ml", statistic="below_lloq_pct", month=1,
                     mean=50, row="§2 x")
    PublishedRow(arm="a", readout="serum_ctx_ng_per_ml", statistic="below_lloq_pct", month=1, mean=50, row="§2 x")


def test_share_below_the_lloq_and_its_wilson_interval():
    """Counted against a plain loop; the interval is Wilson's (Agresti & Coull 1998 Am Stat 52:119, Table 1's
    form): for 3 of 10 it is [10.8, 60.3] %."""
    import numpy as np
    from engine.trials.store import below_lloq
    lloq = 0.049
    table = np.array([[0.049, 0.3], [0.049, 0.049], [0.2, np.nan], [0.1, 0.049]])
    out = below_lloq(table, "serum_ctx_ng_per_ml", lloq)
    expected = [100.0 * sum(v <= lloq for v in col if v == v) / sum(v == v for v in col) for col in table.T]
    np.testing.assert_allclose(out["serum_ctx_ng_per_ml_below_lloq_pct"], expected)
    three_of_ten = below_lloq(np.array([[lloq]] * 3 + [[0.2]] * 7), "x", lloq)
    assert round(float(three_of_ten["x_below_lloq_pct_ci95_low"][0]), 1) == 10.8
    assert round(float(three_of_ten["x_below_lloq_pct_ci95_high"][0]), 1) == 60.3


def test_patient_marker_baselines_vary_around_the_reference():
    """freedom_3y varies each woman's own CTX around the reference (CV 51 %, targets.md §10): the scenario
    leaves the key out, so the cohort's mean is engine.skeleton.serum's 0.387 ng/mL (a mean ± SD)."""
    import numpy as np
    from engine.trials.cohort import build_cohort
    from engine.api import scenario as load_scenario
    loaded = load_trial("scenarios/trials/freedom_3y.yaml")
    base = load_scenario("scenarios/trials/freedom_patient.yaml")
    cohort = build_cohort(loaded.trial, base, patients_per_arm=400)
    ctx = np.array([p.scenario["patient"]["serum_ctx_ng_per_ml"] for p in cohort if p.arm == "placebo"])
    assert abs(np.mean(ctx) / 0.387 - 1) < 0.1 and abs(np.std(ctx) / np.mean(ctx) - 0.51) < 0.1

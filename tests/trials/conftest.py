"""A tiny trial: the 240 µm small scenario, no spin-up, 20 days, placebo vs denosumab."""

import textwrap

import pytest

from tests.conftest import SMALL_SCENARIO

TINY_TRIAL = textwrap.dedent("""\
    name: tiny
    description: two arms, tiny volume
    base_scenario: base.yaml
    seed: 11
    patients_per_arm: 2
    duration_days: 20
    report_every_days: 5
    population:
      age_years: [60, 80]
      years_since_menopause: [5, 25]
      baseline_t_score: [0.0, 0.4]     # BV/TV 0.24-0.25: what a 240 µm cube can hold at Tb.Th 60 µm
    variability:
      - {parameter: pharmacokinetics.denosumab.linear_clearance_L_per_day, cv_pct: 30, source: "test"}
    arms:
      placebo: {regimen: []}
      dmab:
        regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: 0}]
    published:
      file: targets.md
      rows:
        - {arm: dmab, readout: biopsy_ctx_change_pct, month: 0.5, mean: -85, row: "§2 'Serum CTX fall'"}
    """)


@pytest.fixture
def tiny_trial_file(tmp_path):
    (tmp_path / "base.yaml").write_text(SMALL_SCENARIO)
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_TRIAL)
    return path

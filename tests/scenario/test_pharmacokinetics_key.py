"""The scenario's `pharmacokinetics` overrides (written by virtual trials) reach the PK model, and bad
names or values are refused with the YAML path and what is allowed."""

import pytest

from engine.scenario.loader import ScenarioError, scenario_from_text
from tests.conftest import SMALL_SCENARIO


def test_override_reaches_the_pk_model():
    from engine.model import BoneModel
    text = SMALL_SCENARIO + """\
regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous}]
pharmacokinetics:
  denosumab: {linear_clearance_L_per_day: 0.2}
"""
    model = BoneModel(scenario_from_text(text).scenario)
    assert model.exposure.denosumab.p["linear_clearance_L_per_day"] == 0.2


@pytest.mark.parametrize("entry, message", [
    ("{clearance: 0.2}", "unknown denosumab PK parameter 'clearance'; allowed: bioavailability"),
    ("{linear_clearance_L_per_day: -1}", "linear_clearance_L_per_day must be > 0"),
    ("{out_of_reach_fraction: 1.0}", "out_of_reach_fraction must be >= 0 and < 1"),
])
def test_bad_overrides_are_refused(entry, message):
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(SMALL_SCENARIO + f"pharmacokinetics:\n  denosumab: {entry}\n", source="s.yaml")
    assert "pharmacokinetics.denosumab" in str(info.value) and message in str(info.value)


def test_a_share_may_be_zero():
    scenario = scenario_from_text(SMALL_SCENARIO + "pharmacokinetics:\n  denosumab: {out_of_reach_fraction: 0}\n").scenario
    assert scenario.pharmacokinetics["denosumab"]["out_of_reach_fraction"] == 0


def test_every_drug_takes_overrides():
    from engine.model import BoneModel
    text = SMALL_SCENARIO + """\
regimen:
  - {drug: alendronate, dose_mg: 70, route: oral, interval_days: 7, number_of_doses: 2}
  - {drug: teriparatide, dose_mg: 0.02, route: subcutaneous, interval_days: 1, number_of_doses: 2}
pharmacokinetics:
  alendronate: {oral_bioavailability: 0.01}
  teriparatide: {rankl_delay_days: 30}
"""
    model = BoneModel(scenario_from_text(text).scenario)
    assert model.exposure.bisphosphonates["alendronate"].p["oral_bioavailability"] == 0.01
    assert model.exposure.teriparatide.p["rankl_delay_days"] == 30


def test_unknown_zoledronate_name_is_refused():
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(SMALL_SCENARIO + "pharmacokinetics:\n  zoledronate: {ec50: 2}\n", source="s.yaml")
    assert "pharmacokinetics.zoledronate" in str(info.value) and "osteoclast_ec50_uM" in str(info.value)

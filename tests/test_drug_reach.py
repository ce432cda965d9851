"""geometry.drug_reach: whether a RANKL binder reaches the agent volume (a share of the skeleton's sites is out of
its reach, denosumab's `out_of_reach_fraction`; the whole-skeleton layer always holds both)."""

import numpy as np
import pytest

from engine.model import BoneModel, volume_out_of_reach
from engine.scenario.loader import scenario_from_text
from tests.conftest import SMALL_SCENARIO

DENOSUMAB = "regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous}]\n"


def _with_reach(mode: str, regimen: str = DENOSUMAB) -> str:
    return SMALL_SCENARIO.replace("  structure:", f"  drug_reach: {mode}\n  structure:") + regimen


@pytest.mark.parametrize("mode, share, expected", [("reached", 0.13, False), ("out_of_reach", 0.13, True),
                                                   ("out_of_reach", 0.0, False), ("sampled", 0.0, False)])
def test_fixed_modes(mode, share, expected):
    assert volume_out_of_reach(mode, share, np.random.default_rng(1)) is expected


def test_sampled_volumes_are_out_of_reach_at_the_share_and_leave_the_models_stream_alone():
    share, seeds = 0.13, range(3000)
    drawn = [volume_out_of_reach("sampled", share, np.random.default_rng(s)) for s in seeds]
    n = len(drawn)
    assert abs(sum(drawn) - share * n) < 4 * np.sqrt(n * share * (1 - share))  # binomial: 4 SD
    assert drawn == [volume_out_of_reach("sampled", share, np.random.default_rng(s)) for s in seeds]  # per seed
    rng = np.random.default_rng(7)
    volume_out_of_reach("sampled", share, rng)
    assert rng.random() == np.random.default_rng(7).random()  # nothing drawn from the model's generator


def test_a_volume_out_of_reach_sees_no_drug_while_the_patient_does():
    reached = BoneModel(scenario_from_text(_with_reach("reached")).scenario)
    away = BoneModel(scenario_from_text(_with_reach("out_of_reach")).scenario)
    for model in (reached, away):
        for _ in range(5):
            model.step()
    assert reached.signalling.drug_total_nM.max() > 1.0 and not reached.volume_out_of_reach
    assert away.volume_out_of_reach and away.signalling.drug_total_nM.max() == 0.0
    assert away.signalling.marrow_mean("rank_occupancy") > 100 * reached.signalling.marrow_mean("rank_occupancy")
    # the patient is the same: her serum drug and her whole skeleton do not depend on where the biopsy is
    assert away.exposure.serum_denosumab_ng_per_ml == reached.exposure.serum_denosumab_ng_per_ml
    np.testing.assert_array_equal(away.skeleton.layer.resorbed_um3, reached.skeleton.layer.resorbed_um3)
    np.testing.assert_array_equal(away.skeleton.layer.mineral, reached.skeleton.layer.mineral)


def test_a_bad_mode_is_refused_with_its_path():
    from engine.scenario.loader import ScenarioError
    with pytest.raises(ScenarioError) as info:
        scenario_from_text(_with_reach("sometimes"), source="s.yaml")
    assert "geometry.drug_reach" in str(info.value) and "reached" in str(info.value)

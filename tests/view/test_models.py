"""The models the view drives: live (LiveBoneModel) and replay (ReplayModel), and their ViewState."""

import numpy as np
import pytest

from engine.scenario.loader import ScenarioError, load_scenario
from engine.runner import run
from engine.view.models import (HISTORY_READOUTS, PRESET_REGIMENS, SCENARIO_REGIMEN, LiveBoneModel, ReplayModel,
                                regimen_choices, scenario_for_view)


def test_view_inputs_override_the_scenario(view_scenario_file):
    loaded = scenario_for_view(view_scenario_file, "untreated", years_since_menopause=2.5, seed=42)
    assert loaded.scenario.regimen == ()
    assert loaded.scenario.patient.years_since_menopause == 2.5
    assert loaded.scenario.seed == 42
    premenopausal = scenario_for_view(view_scenario_file, years_since_menopause=-1)
    assert premenopausal.scenario.patient.years_since_menopause is None
    same = scenario_for_view(view_scenario_file)
    assert same.scenario == load_scenario(view_scenario_file).scenario


def test_regimen_choices_offer_the_scenario_its_arms_and_the_presets(tmp_path):
    path = tmp_path / "arms.yaml"
    path.write_text(load_scenario("scenarios/denosumab_dose_ranging.yaml").text)
    loaded = load_scenario(path)
    choices = regimen_choices(loaded)
    assert choices[0] == SCENARIO_REGIMEN
    assert "arm: 14mg_q6m" in choices and set(PRESET_REGIMENS) <= set(choices)
    arm = scenario_for_view("scenarios/denosumab_dose_ranging.yaml", "arm: 14mg_q6m")
    assert arm.scenario.regimen[0].dose_mg == 14 and arm.scenario.arms == {}
    with pytest.raises(ValueError, match="unknown regimen choice"):
        scenario_for_view(path, "aspirin")


def test_view_inputs_are_validated_like_a_scenario(view_scenario_file):
    with pytest.raises(ScenarioError, match="seed"):
        scenario_for_view(view_scenario_file, seed=-5)


def test_live_model_keeps_every_day_since_day_0(view_scenario_file):
    model = LiveBoneModel(scenario_path=str(view_scenario_file))
    assert model.day == 0 and model.last_day == 60
    for _ in range(3):
        model.step()
    assert set(model.history) == set(HISTORY_READOUTS)
    np.testing.assert_array_equal(model.history["day"], [0, 1, 2, 3])
    state = model.view_state()
    assert state.day == 3
    assert state.history["serum_denosumab_ng_per_ml"][-1] > 0       # dosed at day 0
    assert [d for d, drug, mg in state.dose_days] == [0.0]
    assert model.view_state() is state                               # one ViewState per day, shared by the panels
    model.step()
    assert model.view_state() is not state


def test_live_cells_are_the_model_agents(view_scenario_file):
    model = LiveBoneModel(scenario_path=str(view_scenario_file))
    state = model.view_state()
    assert len(state.cells["osteocyte"]) == len(model.osteocytes)
    from engine.agents.osteoblast import Osteoblast
    assert len(state.cells["osteoblast"]) + len(state.cells["lining"]) == len(model.agents_by_type.get(Osteoblast, []))
    assert state.active.shape == state.bone.shape


@pytest.mark.parametrize("axis", ["z", "y", "x"])
def test_field_plane_equals_the_upsampled_volume(view_scenario_file, axis):
    """The view upsamples only the plane it draws; it must equal the plane of the full upsampling
    (to float32 rounding: the grid's arrays are float32, the field grid float64)."""
    model = LiveBoneModel(scenario_path=str(view_scenario_file))
    model.step()
    model.sync_grid_fields()
    state = model.view_state()
    from engine.view.frames import take_slice
    for name in state.field_units:
        for index in (0, 7, 23):
            np.testing.assert_allclose(state.field_plane(name, axis, index),
                                       take_slice(model.grid.fields[name], axis, index), rtol=1e-6, atol=0, err_msg=name)


def test_replay_steps_through_the_snapshots_of_a_run(view_scenario_file, tmp_path):
    summary = run(load_scenario(view_scenario_file), tmp_path / "out", days=6, progress=False, log=lambda *a: None)
    replay = ReplayModel(results_path=str(summary.results_path))
    days = [replay.day]
    while replay.running:
        replay.step()
        days.append(replay.day)
    assert days == [0, 2, 4, 6]                      # snapshot_every_days: 2
    state = replay.view_state()
    assert state.history["day"][-1] == 6 and len(state.history["day"]) == 7
    assert set(state.field_units) == {"rankl_nM", "opg_nM"} and state.field_units["rankl_nM"] == "nmol/L"
    assert len(state.cells["osteocyte"]) > 0 and "osteoclast" not in state.cells
    assert any("not stored" in note for note in state.notes)
    assert state.field_plane("rankl_nM", "z", 3).shape == state.bone.shape[1:]
    replay.step()                                    # past the end: stays on the last snapshot
    assert replay.day == 6 and not replay.running


def test_replay_refuses_a_file_that_is_not_a_results_file(tmp_path):
    import h5py
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = 1
    with pytest.raises(ValueError, match="not a bmu results file"):
        ReplayModel(results_path=str(path))


def test_the_terminal_says_what_the_first_page_load_waits_for(view_scenario_file, capsys):
    """`bmu view` builds the model on the first page load: its terminal names the scenario and shows the
    spin-up's progress instead of a silent minute."""
    LiveBoneModel(scenario_path=str(view_scenario_file), spin_up_days=3)
    err = capsys.readouterr().err
    assert "bmu view: building" in err and "spin-up before day 0" in err and "3/3" in err


def test_the_page_title_names_the_scenario_not_its_folder(view_scenario_file):
    from engine.view.page import build_page
    page = build_page(str(view_scenario_file))
    name = page.kwargs["name"]
    assert str(view_scenario_file.parent) not in name and view_scenario_file.name in name

"""The Solara panels, rendered headlessly (solara.render, no browser), and the time-series figure."""

import io

import ipywidgets
import numpy as np
import pytest
import solara
from mesa.visualization.utils import force_update
from PIL import Image

from engine.view import components
from engine.view.models import LiveBoneModel
from engine.view.page import build_page, live_model_params
from engine.view.timeseries import PANELS, TimeSeriesFigure


@pytest.fixture
def model(view_scenario_file):
    return LiveBoneModel(scenario_path=str(view_scenario_file))


def _image_of(rc, css_class):
    matches = [w for w in rc.find(ipywidgets.Image).widgets if css_class in (getattr(w, "_dom_classes", ()) or ())]
    assert len(matches) == 1, f"expected one image with class {css_class}"
    return matches[0].value


def _decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_field_slice_and_time_series_redraw_when_the_model_steps(model):
    box, rc = solara.render(solara.Column(children=[components.FieldSlice(model), components.TimeSeries(model)]),
                            handle_error=False)
    field_before = _image_of(rc, "bmu-field-slice")
    series_before = _image_of(rc, "bmu-timeseries")
    for _ in range(3):
        model.step()
    force_update()
    assert _image_of(rc, "bmu-field-slice") != field_before        # free RANKL falls as denosumab is absorbed
    assert _image_of(rc, "bmu-timeseries") != series_before


def test_tissue_slice_follows_the_slice_controls(model):
    box, rc = solara.render(components.TissueSlice(model), handle_error=False)
    components.slice_axis.set("z")
    components.slice_depth_fraction.set(0.0)
    top = _image_of(rc, "bmu-tissue-slice")
    components.slice_depth_fraction.set(0.5)
    middle = _image_of(rc, "bmu-tissue-slice")
    components.slice_axis.set("x")
    side = _image_of(rc, "bmu-tissue-slice")
    assert len({top, middle, side}) == 3
    state = model.view_state()
    expected = components.tissue_image(state, "x", components.slice_index(state), True)
    assert side == expected
    components.slice_axis.set("z")


def test_hiding_cells_leaves_only_tissue(model):
    state = model.view_state()
    axis, index = "z", int(state.cells["lining"][0][0])      # a plane with a lining cell in it
    with_cells = _decoded(components.tissue_image(state, axis, index, True))
    without = _decoded(components.tissue_image(state, axis, index, False))
    lining = np.array(components.frames.CELL_STYLES["lining"].rgb)
    assert (with_cells == lining).all(axis=-1).any()
    assert not (without == lining).all(axis=-1).any()


def test_field_colour_range_is_kept_so_a_falling_concentration_darkens(model):
    state = model.view_state()
    _, low0, high0 = components.field_image(state, "rankl_nM", "z", 5)
    for _ in range(5):
        model.step()
    state = model.view_state()
    _, low_own, high_own = components.field_image(state, "rankl_nM", "z", 5)
    _, low, high = components.field_image(state, "rankl_nM", "z", 5, (low0, high0))
    assert high_own < high0                   # the drug has bound RANKL
    assert (low, high) == (0.0, high0)


def test_frame_times_are_recorded_per_panel(model):
    solara.render(solara.Column(children=[components.TissueSlice(model), components.RunInfo(model)]),
                  handle_error=False)
    assert "tissue slice" in components.frame_times_ms(model)


def test_whole_page_renders_with_all_panels(view_scenario_file):
    box, rc = solara.render(build_page(str(view_scenario_file)), handle_error=False)
    for css in ("bmu-tissue-slice", "bmu-field-slice", "bmu-overview-3d", "bmu-timeseries"):
        assert _image_of(rc, css)


def test_model_inputs_are_model_keyword_arguments(view_scenario_file):
    import inspect
    params = live_model_params(view_scenario_file)
    accepted = inspect.signature(LiveBoneModel.__init__).parameters
    assert set(params) <= set(accepted)
    assert params["regimen"]["values"][0] == "as in the scenario"
    initial = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    assert LiveBoneModel(**initial).scenario.seed == 3


def _series():
    days = np.arange(50.0)
    return {"day": days, "biopsy_bmd_change_pct": days * 0.01, "serum_ctx_change_pct": -days, "serum_p1np_change_pct": 0 * days,
            "lumbar_spine_bmd_change_pct": days * 0.01,
            "serum_denosumab_ng_per_ml": np.exp(-days / 20) * 5000, "n_osteoclasts": days % 3,
            "n_osteoblasts": days % 4, "n_active_bmus": days % 2}


def test_time_series_reuses_its_background_until_a_line_leaves_its_range():
    figure = TimeSeriesFigure(last_day=100, dose_days=[(0.0, "denosumab", 60.0)])
    history = _series()
    first = figure.update({k: v[:10] for k, v in history.items()})
    assert figure.full_redraws == 1
    second = figure.update({k: v[:11] for k, v in history.items()})
    assert figure.full_redraws == 1 and second != first
    figure.update(history)                     # CTX reaches -49 %: the first panel's range grows
    assert figure.full_redraws == 2
    low, high = figure.y_ranges[0]
    assert low <= -49 and high >= 0.49


def test_time_series_figure_covers_every_panel_series():
    names = {name for _, series in PANELS for name, _, _ in series}
    from engine.view.models import HISTORY_READOUTS
    assert names <= set(HISTORY_READOUTS)


def test_first_view_cuts_through_a_representative_plane():
    bone = np.zeros((5, 4, 4), np.float32)
    bone[0] = 1.0          # a full plate
    bone[2, :2] = 1.0      # half bone
    bone[3, 0, 0] = 1.0
    assert components.representative_depth(bone, "z") == pytest.approx(3 / 4)  # plane 3 (1/16 bone) is the median
    bone = np.zeros((3, 3, 3), np.float32)
    bone[:, :, 1] = 1.0
    depth = components.representative_depth(bone, "x")
    assert depth in (0.0, 1.0)   # planes 0 and 2 are empty, plane 1 is all bone: median is an empty one

"""Solara components of the browser view. Each reads `update_counter.get()` so that it redraws when
SolaraViz steps the model, asks the model for its `ViewState`, and shows a PNG made by
`engine.view.frames` / `engine.view.timeseries`. The time each component takes to prepare its frame
is kept per model (`frame_times_ms`) and shown on screen next to the time of a simulated day.
"""

from __future__ import annotations

import time
import weakref
from contextlib import contextmanager

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from engine.view import frames
from engine.view.models import ViewState
from engine.view.timeseries import TimeSeriesFigure

#: slice controls, shared by the panels of one browser session (solara reactives are per session)
slice_axis = solara.reactive("z")
slice_depth_fraction = solara.reactive(0.5)   # position of the plane along the axis, 0 .. 1
show_cells = solara.reactive(True)
field_name = solara.reactive("rankl_nM")

SLICE_PIXELS = 256     # target size of the slice images on screen (px)
FIELD_LABELS = {"rankl_nM": "free RANKL", "opg_nM": "free OPG", "drug_nM": "denosumab (free + bound to RANKL)",
                "rank_occupancy": "RANK occupancy on precursors", "rankl_opg_nM": "RANKL:OPG complex",
                "rankl_drug_nM": "RANKL:denosumab complex"}

_frame_times: "weakref.WeakKeyDictionary[object, dict[str, float]]" = weakref.WeakKeyDictionary()
_colour_ranges: "weakref.WeakKeyDictionary[object, dict[str, tuple[float, float]]]" = weakref.WeakKeyDictionary()
_figures: "weakref.WeakKeyDictionary[object, TimeSeriesFigure]" = weakref.WeakKeyDictionary()


def frame_times_ms(model) -> dict[str, float]:
    """Milliseconds each panel took to prepare its last frame for this model."""
    return _frame_times.setdefault(model, {})


@contextmanager
def _timed(model, panel: str):
    t0 = time.perf_counter()
    yield
    frame_times_ms(model)[panel] = (time.perf_counter() - t0) * 1e3


def representative_depth(bone: np.ndarray, axis: str) -> float:
    """Depth fraction of the plane whose bone fraction is the median of all planes along `axis`, so the
    first view cuts through bone as typical as the volume (a mid plane may fall in a marrow space)."""
    a = frames.AXES[axis]
    per_plane = bone.mean(axis=tuple(i for i in range(3) if i != a))
    index = int(np.argsort(per_plane)[len(per_plane) // 2])
    return index / max(bone.shape[a] - 1, 1)


_depth_chosen: "weakref.WeakKeyDictionary[object, bool]" = weakref.WeakKeyDictionary()


def slice_index(state: ViewState) -> int:
    n = state.bone.shape[frames.AXES[slice_axis.value]]
    return int(round(slice_depth_fraction.value * (n - 1)))


def _scale(state: ViewState, axis: str) -> int:
    plane_shape = [s for i, s in enumerate(state.bone.shape) if i != frames.AXES[axis]]
    return max(1, SLICE_PIXELS // max(plane_shape))


def tissue_image(state: ViewState, axis: str, index: int, with_cells: bool) -> bytes:
    """PNG of one plane of tissue with the cells in it."""
    osteoid = frames.take_slice(state.osteoid, axis, index) if state.osteoid is not None else None
    rgb = frames.tissue_slice_rgb(frames.take_slice(state.bone, axis, index),
                                  frames.take_slice(state.mineral, axis, index), osteoid)
    factor = _scale(state, axis)
    image = frames.upscale(rgb, factor)
    if with_cells:
        cells = {kind: frames.cells_in_slice(pos, axis, index) for kind, pos in state.cells.items()}
        frames.paint_cells(image, cells, factor)
    return frames.encode_png(image)


def field_image(state: ViewState, name: str, axis: str, index: int,
                colour_range: tuple[float, float] | None = None) -> tuple[bytes, float, float]:
    """PNG of one plane of a field in the marrow, and its colour range (low, high).

    The range is `colour_range` widened to cover this plane (so a falling concentration darkens the
    image instead of being rescaled away); None = this plane's own range."""
    values = state.field_plane(name, axis, index)
    bone = frames.take_slice(state.bone, axis, index)
    low, high = frames.colour_range(values, bone < frames.BONE_LEVEL)
    low = min(low, 0.0)  # concentrations and occupancy are >= 0: an absolute scale from zero
    if colour_range is not None:
        low, high = min(low, colour_range[0]), max(high, colour_range[1])
    rgb = frames.upscale(frames.field_slice_rgb(values, bone, low, high), _scale(state, axis))
    return frames.encode_png(rgb), low, high


def overview_image(state: ViewState) -> tuple[bytes, int]:
    """JPEG of the 3-D overview and the downsampling factor used."""
    factor = frames.downsample_factor(state.bone.shape)
    rgb = frames.overview_rgb(state.bone, state.active, factor)
    zoom = max(1, SLICE_PIXELS // max(rgb.shape[:2]))
    return frames.encode_jpeg(frames.upscale(rgb, zoom)), factor


def timeseries_image(model, state: ViewState) -> bytes:
    figure = _figures.get(model)
    if figure is None:
        figure = _figures[model] = TimeSeriesFigure(model.last_day, state.dose_days)
    return figure.update(state.history)


def _image(data: bytes, width: int, css_class: str, image_format: str = "png"):
    """An image on screen; `css_class` names the panel for the browser test (and for user CSS)."""
    solara.Image(data, width=f"{width}px", format=image_format, classes=[css_class])


@solara.component
def TissueSlice(model):
    """Slice of the volume: bone by mineralization, osteoid, marrow, and the cells, with a legend."""
    update_counter.get()
    with _timed(model, "tissue slice"):
        state = model.view_state()
        if model not in _depth_chosen:   # a new model (start or Reset): start on a representative plane
            _depth_chosen[model] = True
            slice_depth_fraction.set(representative_depth(state.bone, slice_axis.value))
        index = slice_index(state)
        png = tissue_image(state, slice_axis.value, index, show_cells.value)
    SliceControls()
    with solara.Column(gap="4px"):
        solara.Markdown(f"**Tissue**, plane {slice_axis.value} = {index} "
                        f"({index * state.voxel_size_um:.0f} µm), day {state.day}")
        _image(png, SLICE_PIXELS, "bmu-tissue-slice")
        legend = " &nbsp; ".join(
            f'<span style="color: rgb{style.rgb}; -webkit-text-stroke: 0.5px black">{style.glyph}</span> {style.label}'
            for style in frames.CELL_STYLES.values())
        solara.HTML(tag="div", unsafe_innerHTML=(
            f'<div style="font-size: 11px">{legend}<br>bone: <span style="color: rgb(70,110,170)">■</span> newly '
            'mineralized → <span style="color: rgb(230,226,208)">■</span> fully mineralized, '
            '<span style="color: rgb(255,159,28)">■</span> osteoid, '
            '<span style="color: rgb(43,29,34)">■</span> marrow</div>'))


@solara.component
def FieldSlice(model):
    """The same plane of a chosen signalling field, with a colour bar in its units."""
    update_counter.get()
    state = model.view_state()
    names = list(state.field_units)
    if not names:
        solara.Markdown("No signalling field in this source.")
        return
    name = field_name.value if field_name.value in names else names[0]
    with _timed(model, "field slice"):
        index = slice_index(state)
        ranges = _colour_ranges.setdefault(model, {})
        png, low, high = field_image(state, name, slice_axis.value, index, ranges.get(name))
        ranges[name] = (low, high)
        bar = frames.encode_png(frames.colour_bar_rgb(SLICE_PIXELS, 12))
    units = state.field_units[name]
    with solara.Column(gap="4px"):
        solara.Select(label="signalling field", value=name, values=names, on_value=field_name.set)
        _image(png, SLICE_PIXELS, "bmu-field-slice")
        _image(bar, SLICE_PIXELS, "bmu-colour-bar")
        solara.Markdown(f"{FIELD_LABELS.get(name, name)} in marrow: **{low:.3g}** … **{high:.3g}** {units} "
                        "(colour range kept since the start so changes show; bone grey)")


@solara.component
def Overview3D(model):
    """Surface rendering of the whole volume with active BMUs in red."""
    update_counter.get()
    with _timed(model, "3-D overview"):
        state = model.view_state()
        png, factor = overview_image(state)
    with solara.Column(gap="4px"):
        solara.Markdown(f"**3-D overview**, day {state.day} (seen from the top, z = 0 in front)")
        _image(png, SLICE_PIXELS, "bmu-overview-3d", "jpeg")
        note = ("active BMUs (cavities being resorbed or refilled) in red" if state.active is not None
                else "active BMUs are not stored in results.h5")
        if factor > 1:
            note += (f"; drawn from every {factor}{'nd' if factor == 2 else 'th'} voxel per edge "
                     f"({factor * state.voxel_size_um:.0f} µm) so a frame costs less than a simulated day")
        solara.Markdown(note)


@solara.component
def TimeSeries(model):
    """BMD / CTX / P1NP, serum denosumab and cell counts since day 0, dose days dotted."""
    update_counter.get()
    with _timed(model, "time series"):
        state = model.view_state()
        png = timeseries_image(model, state)
    _image(png, 640, "bmu-timeseries", "jpeg")


@solara.component
def RunInfo(model):
    """Day, the cost of a frame against the cost of a simulated day, and what the source cannot show."""
    update_counter.get()
    state = model.view_state()
    times = frame_times_ms(model)
    frame_ms = sum(times.values())
    lines = [f"**Day {state.day}**"]
    if times:
        detail = ", ".join(f"{k} {v:.1f}" for k, v in times.items())
        lines.append(f"last frame: {frame_ms:.1f} ms ({detail})")
    step_ms = model.median_step_ms
    if np.isfinite(step_ms):
        lines.append(f"simulated day: {step_ms:.1f} ms (median of the last 30)")
    lines.extend(f"_{note}_" for note in state.notes)
    solara.Markdown("  \n".join(lines))


@solara.component
def SliceControls():
    """Axis, depth and cell markers for both slice panels (drawn into the sidebar)."""
    with solara.Sidebar(), solara.Card("Slice"):
        solara.ToggleButtonsSingle(value=slice_axis, values=["z", "y", "x"])
        solara.SliderFloat("depth (fraction of the axis)", value=slice_depth_fraction, min=0.0, max=1.0, step=0.01)
        solara.Checkbox(label="show cells", value=show_cells)


COMPONENTS = [TissueSlice, FieldSlice, Overview3D, TimeSeries, RunInfo]

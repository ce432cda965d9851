"""Frame preparation of the browser view (engine.view.frames): plain arrays, no browser."""

import io

import numpy as np
import pytest
from PIL import Image

from engine.view import frames


def test_take_slice_follows_zyx_axes_and_clips_the_index():
    volume = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    np.testing.assert_array_equal(frames.take_slice(volume, "z", 1), volume[1])
    np.testing.assert_array_equal(frames.take_slice(volume, "y", 2), volume[:, 2, :])
    np.testing.assert_array_equal(frames.take_slice(volume, "x", 0), volume[:, :, 0])
    np.testing.assert_array_equal(frames.take_slice(volume, "z", 99), volume[1])


def test_tissue_colours_marrow_osteoid_and_bone_by_mineralization():
    bone = np.array([[0.0, 1.0, 1.0, 1.0, 0.5]], np.float32)
    mineral = np.array([[0.0, 1.0, 0.0, 0.0, 0.5]], np.float32)
    osteoid = np.array([[0.0, 0.0, 0.0, 1.0, 0.0]], np.float32)
    rgb = frames.tissue_slice_rgb(bone, mineral, osteoid).astype(int)
    np.testing.assert_array_equal(rgb[0, 0], frames.MARROW_RGB)          # marrow
    np.testing.assert_array_equal(rgb[0, 1], frames.HIGH_MINERAL_RGB)    # fully mineralized bone
    np.testing.assert_array_equal(rgb[0, 2], frames.LOW_MINERAL_RGB)     # matrix without mineral yet
    np.testing.assert_array_equal(rgb[0, 3], frames.OSTEOID_RGB)         # osteoid
    half = np.rint((frames.MARROW_RGB + frames.HIGH_MINERAL_RGB) / 2)  # half bone, fully mineralized
    np.testing.assert_allclose(rgb[0, 4], half, atol=1)


def test_tissue_colours_without_an_osteoid_array():
    rgb = frames.tissue_slice_rgb(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), None)
    assert (rgb == frames.HIGH_MINERAL_RGB.astype(np.uint8)).all()


def test_field_colours_span_viridis_and_grey_out_bone():
    values = np.array([[0.0, 1.0, 2.0, 5.0]])
    bone = np.array([[0.0, 0.0, 0.0, 1.0]], np.float32)
    rgb = frames.field_slice_rgb(values, bone, 0.0, 2.0)
    np.testing.assert_array_equal(rgb[0, 0], frames.VIRIDIS[0])
    np.testing.assert_array_equal(rgb[0, 2], frames.VIRIDIS[255])
    np.testing.assert_array_equal(rgb[0, 1], frames.VIRIDIS[128])    # 0.5 of the range -> rint(127.5) = 128
    np.testing.assert_array_equal(rgb[0, 3], frames.FIELD_BONE_RGB)  # bone, whatever the value


def test_colour_range_uses_only_marrow_and_widens_a_flat_field():
    values = np.array([[1.0, 2.0, 100.0]])
    assert frames.colour_range(values, np.array([[True, True, False]])) == (1.0, 2.0)
    low, high = frames.colour_range(np.full((2, 2), 3.0), np.ones((2, 2), bool))
    assert low == 3.0 and high > low
    assert frames.colour_range(values, np.zeros((1, 3), bool)) == (0.0, 1.0)


def test_cells_in_slice_keeps_the_plane_and_drops_the_axis():
    positions = np.array([[5, 1, 2], [6, 3, 4], [5, 7, 8]])
    np.testing.assert_array_equal(frames.cells_in_slice(positions, "z", 5), [[1, 2], [7, 8]])
    np.testing.assert_array_equal(frames.cells_in_slice(positions, "y", 3), [[6, 4]])
    assert len(frames.cells_in_slice(positions, "z", 5, half_thickness=1)) == 3
    assert frames.cells_in_slice(np.empty((0, 3)), "x", 0).shape == (0, 2)


def test_upscale_repeats_each_voxel_as_a_square():
    rgb = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    big = frames.upscale(rgb, 3)
    assert big.shape == (6, 6, 3)
    np.testing.assert_array_equal(big[0:3, 3:6], np.broadcast_to(rgb[0, 1], (3, 3, 3)))


@pytest.mark.parametrize("kind", list(frames.CELL_STYLES))
def test_each_cell_type_is_painted_at_its_voxel_in_its_colour(kind):
    factor = 6
    image = np.zeros((10 * factor, 10 * factor, 3), np.uint8)
    frames.paint_cells(image, {kind: np.array([[4, 7]])}, factor)
    centre = image[int(4.5 * factor), int(7.5 * factor)]
    np.testing.assert_array_equal(centre, frames.CELL_STYLES[kind].rgb)
    far = image[int(0.5 * factor), int(0.5 * factor)]
    np.testing.assert_array_equal(far, [0, 0, 0])


def test_cell_shapes_differ_so_types_can_be_told_apart_without_colour():
    masks = {kind: frames._stamp(style.shape, 6).tobytes() for kind, style in frames.CELL_STYLES.items()}
    assert len(set(masks.values())) == len(masks)


def test_markers_at_the_edge_are_clipped_not_wrapped():
    image = np.zeros((20, 20, 3), np.uint8)
    frames.paint_cells(image, {"osteoclast": np.array([[0, 0]])}, 4)
    assert image[:, -3:].sum() == 0 and image[-3:, :].sum() == 0


def test_overview_shows_bone_in_front_of_background_and_marks_active_bmus_red():
    bone = np.zeros((8, 10, 10), np.float32)
    bone[3, 2:8, 2:8] = 1.0                    # one plate
    active = np.zeros(bone.shape, bool)
    active[3, 4, 4] = True
    rgb = frames.overview_rgb(bone, active).astype(int)
    shift = int(np.ceil(7 * frames.OVERVIEW_SHEAR))
    off = int(round(3 * frames.OVERVIEW_SHEAR))
    plate = rgb[shift - off + 5, shift - off + 5]
    background = rgb[0, 0]
    assert plate.sum() > background.sum() + 100
    red = rgb[shift - off + 4, shift - off + 4]
    assert red[0] > 2 * red[1]                 # the active voxel is red, its neighbours are not
    assert not plate[0] > 2 * plate[1]


def test_overview_nearer_bone_hides_farther_bone():
    bone = np.zeros((6, 6, 6), np.float32)
    bone[1] = 1.0
    bone[4] = 1.0
    active = np.zeros(bone.shape, bool)
    active[4] = True                            # the far plate is "active", the near one is not
    rgb = frames.overview_rgb(bone, active).astype(int)
    off = int(round(1 * frames.OVERVIEW_SHEAR))
    shift = int(np.ceil(5 * frames.OVERVIEW_SHEAR))
    pixel = rgb[shift - off + 3, shift - off + 3]
    assert not pixel[0] > 2 * pixel[1]


def test_downsampling_keeps_the_overview_bounded():
    assert frames.downsample_factor((64, 64, 64)) == 1
    assert frames.downsample_factor((100, 100, 100)) == 2
    assert frames.downsample_factor((300, 100, 100)) == 5
    volume = np.arange(4 * 4 * 4, dtype=np.float32).reshape(4, 4, 4)
    reduced = frames.subsample(volume, 2)
    assert reduced.shape == (2, 2, 2) and reduced.flags.c_contiguous
    np.testing.assert_array_equal(reduced, volume[::2, ::2, ::2])


def test_jpeg_is_close_and_png_exact_round_trip():
    rgb = (np.arange(5 * 7 * 3) % 256).astype(np.uint8).reshape(5, 7, 3)
    decoded = np.asarray(Image.open(io.BytesIO(frames.encode_png(rgb))).convert("RGB"))
    np.testing.assert_array_equal(decoded, rgb)
    smooth = np.repeat(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], 32, axis=0).repeat(3, axis=2)
    decoded = np.asarray(Image.open(io.BytesIO(frames.encode_jpeg(smooth))).convert("RGB")).astype(int)
    assert np.abs(decoded - smooth).max() <= 8   # quality 92 on a smooth ramp

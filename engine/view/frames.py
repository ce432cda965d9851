"""Frame preparation for the browser view: numpy arrays in, RGB images (uint8) out. No Solara here.

Everything the view draws is an image computed with numpy and encoded once as PNG, because a frame
has to be ready in less time than the model needs for a simulated day (about 20 ms for the default
1 mm³ at 10 µm on 2 cores); building matplotlib figures for the voxel panels would take several times
that. Array axes are (z, y, x) as in `engine.grid.voxel_grid`.

- `tissue_slice_rgb`: one plane of the volume; marrow dark, osteoid orange, bone coloured by how
  mineralized it is (mineral / bone fraction, 0 → steel blue .. 1 → ivory), partial voxels blended.
- `field_slice_rgb`: one plane of a signalling field in the marrow (viridis), bone greyed out.
- `paint_cells`: cell markers (distinct shape and colour per type) on an upscaled slice.
- `overview_rgb`: a 3-D surface rendering of the bone (cabinet projection, painter's algorithm with a
  depth buffer for shading), with active BMUs marked; subsampled above `OVERVIEW_MAX_VOXELS` per edge.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from engine.kernels.projection import cabinet_depth

BONE_LEVEL = 0.5  # a voxel counts as bone at or above this bone fraction (as engine.kernels.surfaces)

MARROW_RGB = np.array([43, 29, 34], np.float32)
OSTEOID_RGB = np.array([255, 159, 28], np.float32)
LOW_MINERAL_RGB = np.array([70, 110, 170], np.float32)    # mineral / bone = 0
HIGH_MINERAL_RGB = np.array([250, 246, 228], np.float32)  # mineral / bone = 1 (fully mineralized)
FIELD_BONE_RGB = np.array([90, 90, 90], np.float32)

AXES = {"z": 0, "y": 1, "x": 2}


@dataclass(frozen=True)
class CellStyle:
    label: str
    rgb: tuple[int, int, int]
    shape: str     # "disc", "square", "bar", "cross"
    glyph: str     # the same shape as a character, for the legend


CELL_STYLES: dict[str, CellStyle] = {
    "osteoclast": CellStyle("osteoclast (multinucleated, resorbing)", (230, 40, 40), "disc", "●"),
    "osteoblast": CellStyle("osteoblast (making osteoid)", (40, 200, 80), "square", "■"),
    "lining": CellStyle("bone-lining cell", (80, 220, 235), "bar", "▬"),
    "osteocyte": CellStyle("osteocyte (in bone)", (240, 200, 40), "cross", "✚"),
}


def take_slice(volume: np.ndarray, axis: str, index: int) -> np.ndarray:
    """The 2-D plane `index` of a (z, y, x) volume across `axis` ('z', 'y' or 'x'), clipped into range."""
    a = AXES[axis]
    index = int(np.clip(index, 0, volume.shape[a] - 1))
    return np.take(volume, index, axis=a)


def tissue_slice_rgb(bone: np.ndarray, mineral: np.ndarray, osteoid: np.ndarray | None) -> np.ndarray:
    """Colour one plane of tissue: (ny, nx) fractions → (ny, nx, 3) uint8.

    Bone colour runs from steel blue (just mineralized) to ivory (fully mineralized) with mineral /
    bone fraction; osteoid (unmineralized matrix) is orange; marrow is dark. A voxel that is partly
    bone is blended with marrow in proportion to its bone fraction.
    """
    bone = np.clip(bone.astype(np.float32), 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        osteoid_share = np.where(bone > 0, (osteoid if osteoid is not None else 0.0) / bone, 0.0)
        mineralized = bone * (1.0 - np.clip(osteoid_share, 0.0, 1.0))
        degree = np.where(mineralized > 0, mineral / np.maximum(mineralized, 1e-6), 0.0)
    degree = np.clip(degree, 0.0, 1.0)[..., None]
    osteoid_share = np.clip(osteoid_share, 0.0, 1.0)[..., None]
    bone_rgb = LOW_MINERAL_RGB + (HIGH_MINERAL_RGB - LOW_MINERAL_RGB) * degree
    bone_rgb = bone_rgb * (1.0 - osteoid_share) + OSTEOID_RGB * osteoid_share
    rgb = MARROW_RGB + (bone_rgb - MARROW_RGB) * bone[..., None]
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _viridis_lut() -> np.ndarray:
    from matplotlib import colormaps
    return np.rint(colormaps["viridis"](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)


VIRIDIS = _viridis_lut()


def colour_range(values: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(low, high) of the finite values under `mask` (a degenerate range is widened so it can be drawn)."""
    selected = values[mask & np.isfinite(values)]
    if selected.size == 0:
        return 0.0, 1.0
    low, high = float(selected.min()), float(selected.max())
    if high <= low:
        high = low + max(abs(low) * 1e-3, 1e-12)
    return low, high


def field_slice_rgb(values: np.ndarray, bone: np.ndarray, low: float, high: float) -> np.ndarray:
    """Colour one plane of a marrow field with viridis between `low` and `high`; bone voxels grey."""
    scaled = np.clip((values.astype(np.float64) - low) / (high - low), 0.0, 1.0)
    scaled = np.nan_to_num(scaled, nan=0.0)
    rgb = VIRIDIS[np.rint(scaled * 255).astype(np.int64)].astype(np.float32)
    is_bone = (bone >= BONE_LEVEL)[..., None]
    return np.where(is_bone, FIELD_BONE_RGB, rgb).astype(np.uint8)


def colour_bar_rgb(width: int = 256, height: int = 14) -> np.ndarray:
    """A horizontal viridis strip, low on the left."""
    row = VIRIDIS[np.linspace(0, 255, width).astype(np.int64)]
    return np.repeat(row[None, :, :], height, axis=0)


def upscale(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor (pixels stay square voxels)."""
    return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1) if factor > 1 else rgb.copy()


def cells_in_slice(positions: np.ndarray, axis: str, index: int, half_thickness: int = 0) -> np.ndarray:
    """In-plane (row, col) voxel coordinates of the cells within `half_thickness` voxels of the plane
    (0: the cells in the plane's own voxels)."""
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    a = AXES[axis]
    near = np.abs(positions[:, a] - index) <= half_thickness + 0.5
    keep = [d for d in range(3) if d != a]
    return positions[near][:, keep]


def _stamp(shape: str, factor: int) -> np.ndarray:
    """Boolean mask of a marker about 1.6 voxels across (≥ 5 pixels, odd), centred."""
    size = max(5, int(round(1.6 * factor)) | 1)
    r = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size] - r
    if shape == "disc":
        return yy**2 + xx**2 <= r**2
    if shape == "square":
        return (np.abs(yy) <= 0.75 * r) & (np.abs(xx) <= 0.75 * r)
    if shape == "bar":
        return (np.abs(yy) <= max(1.0, 0.3 * r)) & (np.abs(xx) <= r)
    if shape == "cross":
        return (np.abs(yy) <= max(1.0, 0.25 * r)) | (np.abs(xx) <= max(1.0, 0.25 * r))
    raise ValueError(f"unknown marker shape {shape!r}")


def paint_cells(image: np.ndarray, cells: dict[str, np.ndarray], factor: int) -> np.ndarray:
    """Draw each cell type's in-plane voxel coordinates on an image upscaled by `factor` (in place).

    Drawn in a fixed order (osteocytes under the surface cells, osteoclasts on top) with a dark rim so
    a marker stands out on bone and on marrow alike.
    """
    height, width = image.shape[:2]
    for kind in ("osteocyte", "lining", "osteoblast", "osteoclast"):
        points = cells.get(kind)
        if points is None or len(points) == 0:
            continue
        style = CELL_STYLES[kind]
        mask = _stamp(style.shape, factor)
        rim = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), bool)
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                rim[dy:dy + mask.shape[0], dx:dx + mask.shape[1]] |= mask
        centres = ((np.asarray(points, dtype=np.float64) + 0.5) * factor).astype(np.int64)   # (n, 2) row, col
        for layer, colour in ((rim, (0, 0, 0)), (mask, style.rgb)):
            offsets = np.argwhere(layer) - layer.shape[0] // 2                              # (m, 2)
            pixels = (centres[:, None, :] + offsets[None, :, :]).reshape(-1, 2)
            inside = (pixels[:, 0] >= 0) & (pixels[:, 0] < height) & (pixels[:, 1] >= 0) & (pixels[:, 1] < width)
            image[pixels[inside, 0], pixels[inside, 1]] = colour
    return image


OVERVIEW_MAX_VOXELS = 64   # per edge; larger volumes are subsampled first (a frame must cost less than a day)
OVERVIEW_SHEAR = 0.5       # cabinet projection: each layer in depth shifts half a pixel up and left


def downsample_factor(shape: tuple[int, ...], max_voxels: int = OVERVIEW_MAX_VOXELS) -> int:
    return max(1, int(np.ceil(max(shape) / max_voxels)))


def subsample(volume: np.ndarray, factor: int) -> np.ndarray:
    """Every `factor`-th voxel along each axis, as a contiguous array (cheap: no averaging of 10⁶ voxels;
    trabeculae are 6-15 voxels thick at 10 µm, so every 2nd voxel keeps their shape)."""
    return np.ascontiguousarray(volume[::factor, ::factor, ::factor])


def overview_rgb(bone: np.ndarray, active: np.ndarray | None = None, factor: int = 1) -> np.ndarray:
    """3-D view of the bone (cabinet projection seen from +z, nearer layers drawn last).

    `bone` is the (z, y, x) bone fraction, `active` a boolean volume of the same shape marking voxels
    of active BMUs (cavities being resorbed or refilled), drawn red. `factor` subsamples first.
    Shading: Lambert lighting from the normals of the depth map, dimmed with depth, so the structure
    reads as 3-D in a still image.
    """
    solid = subsample(bone, factor) >= BONE_LEVEL
    hot = np.zeros_like(solid) if active is None else subsample(active, factor)
    nz = solid.shape[0]
    offsets = np.array([int(round(k * OVERVIEW_SHEAR)) for k in range(nz)], np.int64)
    shift = int(offsets.max()) if nz else 0
    depth, marked = cabinet_depth(np.ascontiguousarray(solid), np.ascontiguousarray(hot), offsets, shift)
    seen = depth >= 0
    # Lambert shading from the depth map's normals (depth smoothed over 3x3 so integer steps do not band)
    z = np.where(seen, depth, nz).astype(np.float32)
    padded = np.pad(z, 1, mode="edge")
    smooth = sum(padded[dy:dy + z.shape[0], dx:dx + z.shape[1]] for dy in range(3) for dx in range(3)) / 9.0
    gy, gx = np.gradient(smooth)
    normal = np.stack([gx, gy, -np.ones_like(gx)], axis=-1)   # surface facing the viewer (-depth)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    light = np.array([-0.45, -0.55, -0.70], np.float32)
    light /= np.linalg.norm(light)
    lambert = np.clip(normal @ light, 0.0, 1.0)
    brightness = (0.25 + 0.75 * lambert) * (1.0 - 0.35 * np.where(seen, depth, 0) / max(nz - 1, 1))
    base = np.where(marked[..., None], np.array([235, 60, 50], np.float32), HIGH_MINERAL_RGB)
    rgb = base * brightness[..., None]
    background = np.array([20, 22, 30], np.float32)
    rgb = np.where(seen[..., None], rgb, background)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an (h, w, 3) uint8 image (fast zlib level: frames change every step)."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), mode="RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def encode_jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    """JPEG bytes of an (h, w, 3) uint8 image: ~6x faster to encode than PNG (0.5 vs 3 ms for the time
    series), used for the shaded 3-D view and the plots, where exact pixels do not matter; slices stay PNG."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), mode="RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()

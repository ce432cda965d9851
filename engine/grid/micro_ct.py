"""µCT volumes from disk: numpy `.npy`, a multi-page TIFF stack, or a folder of one TIFF per slice.

BoneJ/ImageJ and most µCT software export TIFF stacks: pages (or files, in name order) are z slices, each
(y, x). ImageJ writes the voxel calibration into the TIFF (XResolution = pixels per unit, the `unit` and the
z `spacing` in the ImageJ description); when present it is returned in µm so the scenario's
`geometry.voxel_size_um` can be checked against it (`engine.scenario.consistency`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

TIFF_SUFFIXES = (".tif", ".tiff")
SUFFIXES = (".npy",) + TIFF_SUFFIXES
_UM_PER_UNIT = {"micron": 1.0, "microns": 1.0, "um": 1.0, "µm": 1.0, "\\u00B5m": 1.0, "mm": 1000.0,
                "millimeter": 1000.0, "nm": 1e-3, "cm": 1e4}


@dataclass(frozen=True)
class VolumeInfo:
    shape: tuple[int, int, int]
    dtype: np.dtype
    voxel_size_um: tuple[float, float, float] | None   # (z, y, x) from the file's calibration, if it has one


def _tiff_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix.lower() in TIFF_SUFFIXES)


def is_volume_path(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES or path.is_dir()


def _calibration(tif) -> tuple[float, float, float] | None:
    """(z, y, x) voxel size in µm from ImageJ metadata and resolution tags, or None."""
    meta = tif.imagej_metadata or {}
    unit = str(meta.get("unit", "")).strip().lower()
    if unit not in _UM_PER_UNIT:
        return None
    page = tif.pages[0]
    try:
        x_res = page.tags["XResolution"].value
        y_res = page.tags["YResolution"].value
    except KeyError:
        return None
    x = x_res[1] / x_res[0] if x_res[0] else None
    y = y_res[1] / y_res[0] if y_res[0] else None
    if not x or not y:
        return None
    z = float(meta.get("spacing", x))
    scale = _UM_PER_UNIT[unit]
    return z * scale, y * scale, x * scale


def inspect_volume(path: Path) -> VolumeInfo:
    """Shape, dtype and calibration without reading the voxels (raises ValueError/OSError if unreadable)."""
    if path.is_dir():
        import tifffile

        files = _tiff_files(path)
        if not files:
            raise ValueError("the folder holds no .tif/.tiff slices")
        with tifffile.TiffFile(files[0]) as tif:
            series = tif.series[0]
            if len(series.shape) != 2:
                raise ValueError(f"{files[0].name} is not one 2-D slice (shape {series.shape})")
            return VolumeInfo((len(files), *series.shape), np.dtype(series.dtype), _calibration(tif))
    if path.suffix.lower() in TIFF_SUFFIXES:
        import tifffile

        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            return VolumeInfo(tuple(int(n) for n in series.shape), np.dtype(series.dtype), _calibration(tif))
    arr = np.load(path, mmap_mode="r", allow_pickle=False)
    return VolumeInfo(tuple(int(n) for n in arr.shape), arr.dtype, None)


def read_volume(path: Path) -> np.ndarray:
    """The voxels (z, y, x)."""
    if path.is_dir():
        import tifffile

        return np.stack([tifffile.imread(p) for p in _tiff_files(path)])
    if path.suffix.lower() in TIFF_SUFFIXES:
        import tifffile

        return tifffile.imread(path)
    return np.load(path, allow_pickle=False)

"""VoxelGrid: the bone volume as float32 numpy arrays (z, y, x), one per quantity.

Voxels are arrays, not Mesa cells (DESIGN.md): a 1 mm³ volume at 10 µm is 10⁶ voxels. Agents hold
integer voxel indices into these arrays.

Arrays (all float32, shape (nz, ny, nx)):
- bone_fraction     volume fraction of the voxel occupied by bone matrix (0 marrow .. 1 bone)
- mineral_fraction  mineral content relative to a fully mineralized voxel (≤ bone_fraction)
- osteoid_fraction  unmineralized new matrix (part of bone_fraction) waiting for its mineralization lag
- bmu_label         int32: the BMU whose osteoclasts excavated the voxel (0 = none); cleared when it ends
- rankl_nM, opg_nM  free soluble RANKL and OPG in the marrow part of the voxel (nM)
- rankl_opg_nM      RANKL:OPG complex (nM)
- drug_nM           free RANKL-binding drug in marrow (nM; the regimen's binder, e.g. denosumab; 0 without one)
- rankl_drug_nM     RANKL:drug complex (nM)
- rank_occupancy    fraction of RANK on osteoclast precursors bound by RANKL (dimensionless)

The signalling fields are solved on a (possibly coarser) field grid by `engine.signalling`; their
voxel-resolution arrays here are refreshed by `BoneModel.sync_grid_fields()` (before every snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.grid.synthetic import synthetic_trabecular
from engine.grid.micro_ct import read_volume
from engine.scenario.consistency import grid_shape, resolve_micro_ct_path
from engine.scenario.schema import MicroCTVolume, Scenario

FIELD_NAMES = ("rankl_nM", "opg_nM", "rankl_opg_nM", "drug_nM", "rankl_drug_nM", "rank_occupancy")
FIELD_UNITS = {
    "bone_fraction": "1", "mineral_fraction": "1", "osteoid_fraction": "1", "bmu_label": "1", "rankl_nM": "nmol/L", "opg_nM": "nmol/L",
    "rankl_opg_nM": "nmol/L", "drug_nM": "nmol/L", "rankl_drug_nM": "nmol/L", "rank_occupancy": "1",
}
FIELD_LONG_NAMES = {
    "bone_fraction": "volume fraction of bone matrix in the voxel",
    "mineral_fraction": "mineral content relative to fully mineralized bone",
    "osteoid_fraction": "volume fraction of unmineralized new matrix (osteoid)",
    "bmu_label": "label of the BMU that excavated the voxel (0 = none)",
    "rankl_nM": "free soluble RANKL in marrow",
    "opg_nM": "free OPG in marrow",
    "rankl_opg_nM": "RANKL:OPG complex",
    "drug_nM": "total RANKL-binding drug in marrow",
    "rankl_drug_nM": "RANKL:drug complex",
    "rank_occupancy": "fraction of RANK on precursors bound by RANKL",
}


@dataclass
class VoxelGrid:
    """The voxel volume. Construct with `VoxelGrid.from_bone(bone_fraction, voxel_size_um, ...)`."""

    voxel_size_um: float
    bone_fraction: np.ndarray
    mineral_fraction: np.ndarray
    fields: dict[str, np.ndarray] = field(default_factory=dict)
    osteoid_fraction: np.ndarray | None = None
    bmu_label: np.ndarray | None = None

    def __post_init__(self):
        if self.osteoid_fraction is None:
            self.osteoid_fraction = np.zeros(self.bone_fraction.shape, np.float32)
        if self.bmu_label is None:
            self.bmu_label = np.zeros(self.bone_fraction.shape, np.int32)

    @classmethod
    def from_bone(cls, bone_fraction: np.ndarray, voxel_size_um: float, mineral_fraction_of_bone: float = 1.0) -> "VoxelGrid":
        bone = np.ascontiguousarray(bone_fraction, dtype=np.float32)
        mineral = (bone * np.float32(mineral_fraction_of_bone)).astype(np.float32)
        fields = {name: np.zeros(bone.shape, np.float32) for name in FIELD_NAMES}
        return cls(voxel_size_um=float(voxel_size_um), bone_fraction=bone, mineral_fraction=mineral, fields=fields)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.bone_fraction.shape)

    @property
    def n_voxels(self) -> int:
        return int(self.bone_fraction.size)

    @property
    def voxel_volume_mm3(self) -> float:
        return (self.voxel_size_um * 1e-3) ** 3

    @property
    def total_volume_mm3(self) -> float:
        return self.n_voxels * self.voxel_volume_mm3

    def array(self, name: str) -> np.ndarray:
        """Any grid array by name (bone_fraction, mineral_fraction or a field)."""
        if name == "bone_fraction":
            return self.bone_fraction
        if name == "mineral_fraction":
            return self.mineral_fraction
        if name == "osteoid_fraction":
            return self.osteoid_fraction
        if name == "bmu_label":
            return self.bmu_label
        return self.fields[name]

    def marrow_fraction(self) -> np.ndarray:
        return np.float32(1.0) - self.bone_fraction


def load_micro_ct(path: Path, bone_threshold: float) -> np.ndarray:
    """A µCT volume (z, y, x; .npy, TIFF stack or folder of TIFF slices) as a binary bone fraction (float32)."""
    arr = read_volume(path)
    if arr.dtype == bool:
        return arr.astype(np.float32)
    return (arr >= bone_threshold).astype(np.float32)


def build_grid(scenario: Scenario, base_dir: Path | str = ".") -> VoxelGrid:
    """The grid a scenario describes: synthetic trabecular bone or a µCT volume."""
    g = scenario.geometry
    s = g.structure
    if isinstance(s, MicroCTVolume):
        bone = load_micro_ct(resolve_micro_ct_path(s, Path(base_dir)), s.bone_threshold)
    else:
        bone = synthetic_trabecular(grid_shape(scenario), g.voxel_size_um, s.bv_tv, s.trabecular_thickness_um, s.seed)
    return VoxelGrid.from_bone(bone, g.voxel_size_um)  # mineral by tissue age: BoneModel.__init__

"""Osteocyte: a cell embedded in bone that senses and signals.

Osteocytes are the main source of RANKL in adult bone (Nakashima 2011 Nat Med 17:1231; Xiong 2011
Nat Med 17:1235) and also secrete OPG. Here each osteocyte is a fixed source for the RANKL/OPG field
solver (`engine.signalling`). Its secretion rates are per-cell attributes so physiology, osteocyte
death or disuse can change them; every change (and birth or removal) tells the model, which keeps the
source table it hands to the field solver as arrays (rebuilt only when something changed).
"""

from __future__ import annotations

import mesa


class Osteocyte(mesa.Agent):
    """An osteocyte in its lacuna at voxel (z, y, x)."""

    def __init__(self, model: mesa.Model, voxel: tuple[int, int, int], rankl_secretion_molecules_per_day: float,
                 opg_secretion_molecules_per_day: float):
        super().__init__(model)
        self.voxel = tuple(int(v) for v in voxel)
        self._rankl = float(rankl_secretion_molecules_per_day)
        self._opg = float(opg_secretion_molecules_per_day)
        model.osteocytes_changed()
        model.osteocyte_voxels.add(self.unique_id, self.voxel)

    @property
    def rankl_secretion_molecules_per_day(self) -> float:
        return self._rankl

    @rankl_secretion_molecules_per_day.setter
    def rankl_secretion_molecules_per_day(self, value: float) -> None:
        self._rankl = float(value)
        self.model.osteocytes_changed()

    @property
    def opg_secretion_molecules_per_day(self) -> float:
        return self._opg

    @opg_secretion_molecules_per_day.setter
    def opg_secretion_molecules_per_day(self, value: float) -> None:
        self._opg = float(value)
        self.model.osteocytes_changed()

    def remove(self) -> None:
        super().remove()
        self.model.osteocytes_changed()
        self.model.osteocyte_voxels.remove(self.unique_id)

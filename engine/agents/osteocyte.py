"""Osteocyte: a cell embedded in bone that senses and signals.

Osteocytes are the main source of RANKL in adult bone (Nakashima 2011 Nat Med 17:1231; Xiong 2011
Nat Med 17:1235) and also secrete OPG. Here each osteocyte is a fixed source for the RANKL/OPG field
solver (`engine.signalling`). Its secretion rates are per-cell attributes so physiology, osteocyte
death or disuse can change them; it registers in the model's `CellIndex` (`model.cells`) when born,
tells it when its secretion changes and leaves it when removed, so the source arrays handed to the
field solver are rebuilt only when something changed.
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
        model.cells.add_osteocyte(self)

    @property
    def rankl_secretion_molecules_per_day(self) -> float:
        return self._rankl

    @rankl_secretion_molecules_per_day.setter
    def rankl_secretion_molecules_per_day(self, value: float) -> None:
        self._rankl = float(value)
        self.model.cells.secretion_changed()

    @property
    def opg_secretion_molecules_per_day(self) -> float:
        return self._opg

    @opg_secretion_molecules_per_day.setter
    def opg_secretion_molecules_per_day(self, value: float) -> None:
        self._opg = float(value)
        self.model.cells.secretion_changed()

    def remove(self) -> None:
        """Dies (its lacuna resorbed, or apoptosis) and leaves the cell index."""
        super().remove()
        self.model.cells.remove_osteocyte(self)

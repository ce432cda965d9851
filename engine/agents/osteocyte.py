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
        self.model.cells.secretion_changed(self)

    @property
    def opg_secretion_molecules_per_day(self) -> float:
        return self._opg

    @opg_secretion_molecules_per_day.setter
    def opg_secretion_molecules_per_day(self, value: float) -> None:
        self._opg = float(value)
        self.model.cells.secretion_changed(self)

    def remove(self) -> None:
        """Dies (its lacuna resorbed, or apoptosis) and leaves the cell index."""
        super().remove()
        self.model.cells.remove_osteocyte(self)


def living_osteocyte_share(biology, mean_tissue_age_years: float | None = None) -> float:
    """Share of lacunae whose osteocyte still lives in bone of exponential tissue ages with this mean
    (default `existing_bone_mean_tissue_age_years`): an osteocyte buried at formation dies at 1/lifespan, so
    bone of age a keeps exp(−a/L) of them and the mix keeps E[exp(−a/L)] = L/(L + A). Bone the model did not
    form starts with this share alive, the same steady-turnover age mix its mineral is seeded from, instead
    of every lacuna alive (which made the living count, and with it RANKL, fall for years after day 0)."""
    age = biology.existing_bone_mean_tissue_age_years if mean_tissue_age_years is None else mean_tissue_age_years
    life = biology.osteocyte_lifespan_years
    return life / (life + age)


def seeded_osteocytes_per_mm3_bone(biology) -> float:
    """Living osteocytes per mm³ of the bone present at the start: lacunar density × living share."""
    return biology.osteocyte_density_per_mm3_bone * living_osteocyte_share(biology)

"""Osteoblast: a bone-forming cell in a BMU cavity, and the bone-lining cell it may become.

Osteoblasts are recruited to a cavity after the reversal phase, in proportion to the bone volume its
osteoclasts resorbed (coupling; `engine.processes.bmu_phases`), or reactivated from lining cells by
teriparatide (`engine.processes.activation.LiningCellReactivation`). Each one lays down
`osteoblast_matrix_um3_per_day` of osteoid while it works. Its career is drawn once, by `draw_careers`,
whichever way it started: a working life (gamma distributed around `osteoblast_working_lifespan_days`,
scaled by the patient's estrogen deficiency and by teriparatide) and a fate: buried as an osteocyte,
flattened into a lining cell, or apoptosis (literature fractions). The fate calendar
(`engine.processes.osteoblast_fates`) touches only the cells whose day has come.

A lining cell is an osteoblast in state "lining": it covers quiescent surface, registered in the model's
cell index, and does nothing until a BMU resorbs the bone under it or teriparatide reactivates it.
"""

from __future__ import annotations

import mesa
import numpy as np

ACTIVE = "active"
LINING = "lining"
FATES = ("osteocyte", "lining", "apoptosis")


def draw_careers(rng: np.random.Generator, n: int, biology, mean_working_life_days: float,
                 clock: int) -> tuple[list[int], list[str]]:
    """Fate days (model clock) and fates of `n` new osteoblasts: working lives ~ gamma(shape k, mean), fates
    by the literature fractions (Parfitt; targets.md §8b). One draw for every way an osteoblast starts."""
    k = biology.osteoblast_lifespan_shape
    lifetimes = rng.gamma(k, mean_working_life_days / k, size=n)
    p_ocy = biology.osteoblast_to_osteocyte_fraction
    p_lin = biology.osteoblast_to_lining_fraction
    fates = rng.choice(3, size=n, p=[p_ocy, p_lin, 1.0 - p_ocy - p_lin])
    return ([clock + max(1, int(round(t))) for t in lifetimes], [FATES[f] for f in fates])


class Osteoblast(mesa.Agent):
    def __init__(self, model: mesa.Model, voxel, bmu=None, state: str = ACTIVE, fate: str | None = None,
                 fate_day: int | None = None):
        super().__init__(model)
        self.voxel = tuple(int(v) for v in voxel)
        self.bmu = bmu
        self.state = state
        self.fate = fate
        self.fate_day = fate_day
        if state == LINING:
            model.cells.add_lining(self)

    @classmethod
    def recruit(cls, model: mesa.Model, voxels: list, bmu, mean_working_life_days: float) -> list["Osteoblast"]:
        """New osteoblasts of a BMU at these voxels, each with its drawn career."""
        fate_days, fates = draw_careers(model.rng, len(voxels), model.biology, mean_working_life_days, model.clock)
        return [cls(model, voxel, bmu=bmu, state=ACTIVE, fate=fate, fate_day=day)
                for voxel, fate, day in zip(voxels, fates, fate_days)]

    def reactivate(self, unit, mean_working_life_days: float) -> None:
        """A lining cell becomes a working osteoblast of a modeling unit (teriparatide), with a drawn career."""
        self.model.cells.remove_lining(self)
        (self.fate_day,), (self.fate,) = draw_careers(self.model.rng, 1, self.model.biology,
                                                      mean_working_life_days, self.model.clock)
        self.state = ACTIVE
        self.bmu = unit

    def become_lining(self) -> None:
        """End of a working life: flatten on the surface as a lining cell."""
        self.fate = LINING
        self.state = LINING
        self.bmu = None
        self.model.cells.add_lining(self)

    def remove(self) -> None:
        if self.state == LINING:
            self.model.cells.remove_lining(self)
        super().remove()

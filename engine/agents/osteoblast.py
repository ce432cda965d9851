"""Osteoblast: a bone-forming cell in a BMU cavity, and the bone-lining cell it may become.

Osteoblasts are recruited to a cavity after the reversal phase, in proportion to the bone volume its
osteoclasts resorbed (coupling). Each one lays down `osteoblast_matrix_um3_per_day` of osteoid while
it works. Its working life is drawn at recruitment (gamma distributed around
`osteoblast_working_lifespan_days`, scaled by the patient's estrogen deficiency), and so is its fate:
buried as an osteocyte, flattened into a lining cell, or apoptosis (literature fractions). The model
keeps a calendar of fate days, so only the cells whose day has come are touched.

A lining cell is an osteoblast in state "lining": it covers quiescent surface and does nothing until
a BMU resorbs the bone under it.
"""

from __future__ import annotations

import mesa

ACTIVE = "active"
LINING = "lining"


class Osteoblast(mesa.Agent):
    def __init__(self, model: mesa.Model, voxel, bmu=None, state: str = ACTIVE, fate: str | None = None,
                 fate_day: int | None = None):
        super().__init__(model)
        self.voxel = tuple(int(v) for v in voxel)
        self.bmu = bmu
        self.state = state
        self.fate = fate
        self.fate_day = fate_day

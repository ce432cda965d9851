"""OsteoblastFates: osteoblasts whose working life ends today meet their drawn fate.

The calendar (model clock day -> osteoblasts) holds every working osteoblast under its fate day, so only
the cells whose day has come are touched. Fates (drawn at recruitment, `agents.osteoblast.draw_careers`):
- osteocyte: buried in a voxel of new bone in its cavity (a new Osteocyte agent there; if the cavity has
  no new bone yet, it becomes a lining cell instead);
- lining: flattens on the surface (`Osteoblast.become_lining`);
- apoptosis: removed.
Each ending osteoblast tells its BMU (`BMU.osteoblast_finished`).
Reads: the grid's bone (where new bone is), biology (osteocyte secretion). Writes: its calendar; creates
osteocytes; the osteoblasts change their own state.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from engine.agents.osteocyte import Osteocyte
from engine.kernels.surfaces import BONE_LEVEL


class OsteoblastFates:
    def __init__(self, model):
        self.model = model  # host of the new osteocytes and the random generator
        self.grid = model.grid
        self.biology = model.biology
        self.calendar: dict[int, list] = defaultdict(list)

    def schedule(self, osteoblast) -> None:
        self.calendar[osteoblast.fate_day].append(osteoblast)

    def run_step(self) -> None:
        model = self.model
        for ob in self.calendar.pop(model.clock, []):
            bmu = ob.bmu
            bmu.osteoblast_finished()
            if ob.fate == "osteocyte":
                voxel = self._formed_voxel(bmu)
                if voxel is not None:
                    Osteocyte(model, voxel, self.biology.osteocyte_rankl_secretion_molecules_per_day,
                              self.biology.osteocyte_opg_secretion_molecules_per_day)
                    ob.remove()
                    continue
                ob.fate = "lining"
            if ob.fate == "lining":
                ob.become_lining()
            else:
                ob.remove()

    def _formed_voxel(self, bmu):
        """A voxel of new bone in the cavity (where an osteoblast gets buried), or None."""
        cav = bmu.cavity
        formed = cav[self.grid.bone_fraction.ravel()[cav] >= BONE_LEVEL]
        if formed.size == 0:
            return None
        return tuple(int(v) for v in np.unravel_index(formed[self.model.rng.integers(0, formed.size)],
                                                      self.grid.shape))

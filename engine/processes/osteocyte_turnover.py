"""OsteocyteTurnover: osteocytes die at their literature rate; each death flags the surface above it.

Reads: the cell index (living osteocytes in creation order), physiology (lifespan factor), the bone and
the signalling's nearest-marrow search. Writes: removes the dead osteocytes (they leave the cell index
themselves) and appends their surface sites to `targeted_sites`, which activation consumes (targeted
remodeling; Verborgt 2000 JBMR 15:60).
"""

from __future__ import annotations

import math

from engine.kernels.remodeling import nearest_exposed
from engine.units import DAYS_PER_YEAR


class OsteocyteTurnover:
    def __init__(self, grid, biology, cells, signalling):
        self.grid = grid
        self.biology = biology
        self.cells = cells
        self.signalling = signalling
        self.targeted_sites: list[tuple[int, int, int]] = []

    def run_step(self, rng, lifespan_factor: float) -> None:
        living = self.cells.osteocytes
        n = len(living)
        if n == 0:
            return
        lifespan_years = self.biology.osteocyte_lifespan_years * lifespan_factor
        p = 1.0 - math.exp(-1.0 / (lifespan_years * DAYS_PER_YEAR))
        deaths = int(rng.binomial(n, p))
        if deaths == 0:
            return
        dead = set(rng.choice(self.cells.osteocyte_ids(), size=deaths, replace=False).tolist())
        # in creation order (ids grow with creation, as the dict's order), without a pass over every osteocyte
        for cell in [living[uid] for uid in sorted(dead)]:
            site = self.signalling.nearest_marrow_voxel(cell.voxel)
            z, y, x = nearest_exposed(self.grid.bone_fraction, float(site[0]), float(site[1]), float(site[2]), 3)
            if z >= 0:
                self.targeted_sites.append((int(z), int(y), int(x)))
            cell.remove()

    def take_site(self):
        """The oldest flagged site (activation starts a targeted BMU there)."""
        return self.targeted_sites.pop(0)

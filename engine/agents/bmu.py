"""A basic multicellular unit: the team that excavates one cavity and refills it, and its record.

Phases: "resorption" (while it has osteoclasts) -> "reversal" (a gamma-distributed delay) ->
"formation" (while it has active osteoblasts) -> "done". The BMU remembers the voxels its osteoclasts
excavated (its cavity), the original bone surface it took away (its footprint, in voxel faces, the
same measure as the bone surface) and the volumes resorbed and formed; mean erosion depth and wall
thickness are these volumes divided by the footprint area.

A BMU moves through its phases by its own methods (`enter_reversal`, `start_formation`,
`osteoblast_finished`, `finish`); the processes that drive it (`engine.processes`) decide when, and
the BMU registry keeps the label -> phase table the surface census reads.
A modeling unit (`modeling=True`, teriparatide's reactivated lining cells) starts in formation on
quiescent surface without prior resorption (`start_modeling`).
"""

from __future__ import annotations

import numpy as np

from engine.kernels.index_sets import merge_sorted_unique

RESORPTION, REVERSAL, FORMATION, DONE = 1, 2, 3, 4


class BMU:
    def __init__(self, label: int, origin: tuple[int, int, int], started_clock: int, targeted: bool,
                 modeling: bool = False):
        self.label = label
        self.origin = origin
        self.targeted = targeted
        self.modeling = modeling  # formation without prior resorption (reactivated lining cells, teriparatide)
        self.phase = RESORPTION
        self.started_clock = started_clock
        self.reversal_started_clock: int | None = None
        self.formation_started_clock: int | None = None
        self.formation_due_clock: int | None = None
        self.ended_clock: int | None = None
        self.osteoclasts: list = []  # a list, not a set: iteration order must not depend on memory addresses
        self.active_osteoblasts = 0
        self.osteoblasts_recruited = 0
        self._cavity = np.empty(0, np.int64)  # the cavity merged so far: flat indices, sorted, unique
        self._cavity_parts: list[np.ndarray] = []  # voxels added since the last merge
        self.resorbed_um3 = 0.0
        self.formed_um3 = 0.0
        self.floor_area_um2 = 0.0

    # --- transitions ----------------------------------------------------------------------------
    def enter_reversal(self, clock: int, delay_days: int) -> None:
        """Its last osteoclast is gone: reversal, formation due `delay_days` later."""
        self.phase = REVERSAL
        self.reversal_started_clock = clock
        self.formation_due_clock = clock + delay_days

    def start_formation(self, clock: int, osteoblasts: int) -> None:
        self.phase = FORMATION
        self.formation_started_clock = clock
        self.osteoblasts_recruited = osteoblasts
        self.active_osteoblasts = osteoblasts

    def start_modeling(self, clock: int, cavity: np.ndarray, floor_area_um2: float) -> None:
        """Formation on quiescent surface by one reactivated lining cell (no resorption, no reversal)."""
        self.add_cavity(cavity)
        self.reversal_started_clock = clock
        self.start_formation(clock, 1)
        self.floor_area_um2 = floor_area_um2

    def osteoblast_finished(self) -> None:
        self.active_osteoblasts -= 1

    def finish(self, clock: int) -> None:
        self.phase = DONE
        self.ended_clock = clock

    def resorbed(self, voxels: np.ndarray, matrix_um3: float, floor_um2: float) -> None:
        """What its osteoclasts excavated today."""
        self.add_cavity(voxels)
        self.resorbed_um3 += matrix_um3
        self.floor_area_um2 += floor_um2

    def formed(self, matrix_um3: float) -> None:
        self.formed_um3 += matrix_um3

    def add_cavity(self, flat_indices: np.ndarray) -> None:
        if flat_indices.size:
            self._cavity_parts.append(flat_indices.copy())

    @property
    def cavity(self) -> np.ndarray:
        """Flat voxel indices this BMU excavated (unique, sorted). The voxels added since the last call are
        merged into the sorted array in one pass (`kernels.index_sets`: a resorbing BMU adds a few voxels a day
        to thousands, and re-sorting them all every day cost more than the resorption itself)."""
        if self._cavity_parts:
            known = self._cavity if self._cavity is not None else np.empty(0, np.int64)  # None: older checkpoints
            self._cavity = merge_sorted_unique(known.astype(np.int64, copy=False),
                                               np.concatenate(self._cavity_parts).astype(np.int64, copy=False))
            self._cavity_parts = []
        return self._cavity

    def record(self) -> dict:
        """Histomorphometric summary of a finished BMU (lengths in µm, times in days)."""
        area = self.floor_area_um2
        return {
            "label": self.label,
            "started_clock_day": self.started_clock,
            "ended_clock_day": self.ended_clock,
            "targeted": int(self.targeted),
            "resorption_period_days": self.reversal_started_clock - self.started_clock,
            "reversal_period_days": self.formation_started_clock - self.reversal_started_clock,
            "formation_period_days": self.ended_clock - self.formation_started_clock,
            "resorbed_um3": self.resorbed_um3,
            "formed_um3": self.formed_um3,
            "footprint_area_um2": area,
            "erosion_depth_um": self.resorbed_um3 / area if area else float("nan"),
            "wall_thickness_um": self.formed_um3 / area if area else float("nan"),
            "osteoblasts_recruited": self.osteoblasts_recruited,
        }

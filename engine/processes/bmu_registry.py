"""BMURegistry: the BMUs of the volume, active and finished.

It hands out labels (the `bmu_label` grid marks each voxel of a cavity with its BMU's label), keeps the
active BMUs by label, the records of finished ones (`completed`, for histomorphometry and `/bmus` in
results.h5), the matrix laid by finished modeling units, and the days on which BMUs were activated
(for Ac.f). The label -> phase table that the surface census reads is rebuilt from the active BMUs when
asked (`phase_table`), so no transition has to remember to update it.

Times are on the model clock (days since the start of the spin-up).
"""

from __future__ import annotations

import numpy as np

from engine.agents.bmu import BMU


class BMURegistry:
    def __init__(self):
        self.bmus: dict[int, BMU] = {}
        self.completed: list[dict] = []
        self.activation_clock_days: list[int] = []
        self.modeling_formed_um3 = 0.0  # matrix laid by finished modeling units (teriparatide)
        self._next_label = 1
        self._phase_of_label = np.zeros(1024, np.int8)

    def new_bmu(self, origin, clock: int, targeted: bool, modeling: bool = False) -> BMU:
        """A BMU with the next label, registered as active (a remodeling BMU's activation is counted)."""
        bmu = BMU(self._next_label, origin, clock, targeted, modeling)
        self._next_label += 1
        self.bmus[bmu.label] = bmu
        if not modeling:
            self.activation_clock_days.append(clock)
        return bmu

    def retire(self, bmu: BMU) -> None:
        """A finished BMU leaves the active set; a remodeling BMU leaves its record."""
        if bmu.modeling:
            self.modeling_formed_um3 += bmu.formed_um3  # not a remodeling cycle: kept out of BMU histomorphometry
        else:
            self.completed.append(bmu.record())
        del self.bmus[bmu.label]

    def phase_table(self) -> np.ndarray:
        """label -> phase (0 = no active BMU), for `kernels.remodeling.surface_phase_counts`."""
        if self._next_label > self._phase_of_label.size:
            self._phase_of_label = np.zeros(2 * self._next_label, np.int8)
        table = self._phase_of_label
        table[:] = 0
        for label, bmu in self.bmus.items():
            table[label] = bmu.phase
        return table

    # --- views for readouts ------------------------------------------------------------------------
    def bmus_in(self, phase: int) -> list[BMU]:
        return [bmu for bmu in self.bmus.values() if bmu.phase == phase]

    def completed_within(self, days: int, clock: int) -> list[dict]:
        """Records of BMUs that finished in the last `days` days before `clock`."""
        start = clock - days
        return [r for r in self.completed if r["ended_clock_day"] > start]

    def activations_within(self, days: int, clock: int) -> int:
        start = clock - days
        return sum(1 for c in self.activation_clock_days if c > start)

    def modeling_formed_total_um3(self) -> float:
        """Matrix laid by modeling units, finished and active."""
        return self.modeling_formed_um3 + sum(u.formed_um3 for u in self.bmus.values() if u.modeling)

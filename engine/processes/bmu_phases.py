"""BMUPhases: BMUs move on from resorption to reversal to formation, and their osteoblasts lay osteoid.

For each active BMU, in label order:
- in resorption with no osteoclast left -> reversal, for a gamma-distributed delay (`reversal_days`,
  shape `reversal_shape`);
- reversal over -> formation: osteoblasts are recruited in proportion to the volume resorbed (coupling,
  `osteoblasts_per_1e6_um3_resorbed`, raised by teriparatide), at random voxels of the cavity, each with
  its drawn career (`Osteoblast.recruit`), and join the fate calendar;
- in formation: its working osteoblasts lay osteoid in the cavity (`kernels.remodeling.deposit`); when the
  last has reached its fate day, the BMU is finished and retired to the registry's records.
Reads: the registry's BMUs, biology, the osteoblast working life of the day. Writes: grid.bone_fraction,
grid.osteoid_fraction (kernel), grid.bmu_label (clears a finished cavity), `formed_in_model` (voxels that
received matrix in the model), its own day totals (`formed_um3`, `forming_floor_area_um2`).
"""

from __future__ import annotations

import numpy as np

from engine.agents.bmu import FORMATION, RESORPTION, REVERSAL
from engine.agents.osteoblast import Osteoblast
from engine.kernels.remodeling import MAX_PASSES, deposit_many



class BMUPhases:
    def __init__(self, model, registry, fates):
        self.model = model  # host of the osteoblast agents and the random generator
        self.grid = model.grid
        self.biology = model.biology
        self.registry = registry
        self.fates = fates
        self.voxel_um3 = self.grid.voxel_size_um**3
        self.formed_in_model = np.zeros(self.grid.shape, np.bool_)
        self.formed_um3 = 0.0
        self.forming_floor_area_um2 = 0.0

    def run_step(self, mean_working_life_days: float, coupling_fold: float) -> None:
        model = self.model
        b = self.biology
        clock = model.clock
        self.formed_um3 = 0.0
        self.forming_floor_area_um2 = 0.0
        forming = []
        for bmu in list(self.registry.bmus.values()):
            if bmu.phase == RESORPTION and not bmu.osteoclasts:
                delay = model.rng.gamma(b.reversal_shape, b.reversal_days / b.reversal_shape)
                bmu.enter_reversal(clock, max(1, int(round(delay))))
            elif bmu.phase == REVERSAL and clock >= bmu.formation_due_clock:
                self._recruit_osteoblasts(bmu, mean_working_life_days, coupling_fold)
            if bmu.phase == FORMATION:
                if bmu.active_osteoblasts > 0:
                    forming.append(bmu)
                else:
                    self._finish(bmu)
        self._deposit(forming)

    def _deposit(self, forming: list) -> None:
        """Matrix laid by every BMU in formation, in registry order, in one kernel call (`deposit_many`: the
        same as one `deposit` per BMU). Doing all the phase transitions first changes nothing: they neither
        read the bone that deposition writes nor are affected by it, and deposition draws no random numbers."""
        if not forming:
            return
        b = self.biology
        cavities = [bmu.cavity for bmu in forming]
        offsets = np.zeros(len(forming) + 1, np.int64)
        np.cumsum([c.size for c in cavities], out=offsets[1:])
        volumes = np.array([bmu.active_osteoblasts * b.osteoblast_matrix_um3_per_day / self.voxel_um3
                            for bmu in forming])
        laid = np.zeros(len(forming))
        deposit_many(self.grid.bone_fraction, self.grid.osteoid_fraction, self.formed_in_model,
                     np.concatenate(cavities).astype(np.int64), offsets, volumes, MAX_PASSES, laid)
        for bmu, volume in zip(forming, laid.tolist()):
            bmu.formed(volume * self.voxel_um3)
            self.formed_um3 += volume * self.voxel_um3
            # histomorphometric MAR is measured where osteoblasts are at work (labelled seams)
            self.forming_floor_area_um2 += bmu.floor_area_um2 * bmu.active_osteoblasts / bmu.osteoblasts_recruited

    def _recruit_osteoblasts(self, bmu, mean_working_life_days: float, coupling_fold: float) -> None:
        model = self.model
        coupling = self.biology.osteoblasts_per_1e6_um3_resorbed * coupling_fold
        n = int(model.rng.poisson(coupling * bmu.resorbed_um3 / 1e6))
        bmu.start_formation(model.clock, n)
        if n == 0:
            return
        cav = bmu.cavity
        if cav.size:
            zs, ys, xs = np.unravel_index(cav[model.rng.integers(0, cav.size, size=n)], self.grid.shape)
            voxels = list(zip(zs, ys, xs))
        else:
            voxels = [bmu.origin] * n
        for ob in Osteoblast.recruit(model, voxels, bmu, mean_working_life_days):
            self.fates.schedule(ob)

    def _finish(self, bmu) -> None:
        bmu.finish(self.model.clock)
        cav = bmu.cavity
        labels = self.grid.bmu_label.ravel()
        labels[cav[labels[cav] == bmu.label]] = 0
        self.registry.retire(bmu)

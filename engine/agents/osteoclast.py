"""Osteoclast: a multinucleated bone-resorbing cell at the front of a BMU.

State: its BMU, its nuclei, a position on the bone surface (voxel coordinates, float) and a heading
along the surface. Each day (`step`) it decides, with the model's generator:
- fusion: committed precursors fuse in at `osteoclast_fusion_per_day` × (output of the commitment
  chain, `PrecursorPool.committed_relative`) × (RANK occupancy here / marrow mean): Poisson;
- nucleus death: each nucleus dies with probability 1 − exp(−1/nucleus lifespan): binomial;
- apoptosis of the whole cell with probability 1 − exp(−1/lifespan), the lifespan scaled by the
  patient's estrogen deficiency (`PatientState.osteoclast_lifespan_factor`), plus an extra hazard when
  RANKL, the osteoclast's survival signal, is withdrawn (local occupancy below a quarter of the
  reference: a RANKL-blocking drug; Lacey 2000 Am J Pathol 157:435), plus the hazard of the bisphosphonate
  it took up from the bone it resorbed (`engine.pharmacology.bisphosphonates`, which also slows its
  resorption); a cell whose nuclei have all died is gone too.
Resorption and movement (arithmetic over all osteoclasts) happen in `kernels.remodeling.resorb_and_advance`,
at `osteoclast_resorption_um3_per_day_per_nucleus` × nuclei (`engine.processes.resorption`), which hands
each cell its new place (`moved`) and the drug it released (`take_up_bisphosphonate`).
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from engine.pharmacology.bisphosphonates import osteoclast_effect


class Osteoclast(mesa.Agent):
    def __init__(self, model: mesa.Model, bmu, nuclei: int, position, heading):
        super().__init__(model)
        self.bmu = bmu
        self.nuclei = int(nuclei)
        self.position = np.asarray(position, dtype=np.float64).copy()
        self.heading = np.asarray(heading, dtype=np.float64).copy()
        self.age_days = 0
        self.bisphosphonate_exposure = 0.0  # Σ C/EC50 of the bisphosphonates it released (processes.bone_drug)

    @property
    def voxel(self) -> tuple[int, int, int]:
        shape = self.model.grid.shape
        return tuple(int(min(max(round(p), 0), n - 1)) for p, n in zip(self.position, shape))

    def step(self) -> None:
        model = self.model
        b = model.biology
        rng = model.rng
        self.age_days += 1
        mean_occupancy = model.precursors.rank_occupancy
        # committed precursors fuse where RANKL is: the chain's output, shared out by local RANKL
        local = model.local_rank_occupancy(self.voxel) / mean_occupancy if mean_occupancy > 0 else 0.0
        self.nuclei += int(rng.poisson(b.osteoclast_fusion_per_day * local * model.precursors.fusing_relative))
        self.nuclei -= int(rng.binomial(self.nuclei, 1.0 - math.exp(-1.0 / b.osteoclast_nucleus_lifespan_days)))
        lifespan = b.osteoclast_lifespan_days * model.physiology.osteoclast_lifespan_factor
        # survival reads the marrow-mean occupancy: the cell's own field cell may be all bone once it has dug in
        survival = mean_occupancy / b.reference_rank_occupancy
        hazard = 1.0 / lifespan + b.osteoclast_rankl_withdrawal_apoptosis_per_day * max(
            0.0, 1.0 - survival / b.osteoclast_survival_occupancy_fraction)
        if self.bisphosphonate_exposure > 0:
            hazard += model.bone_drug.action["max_apoptosis_per_day"] * osteoclast_effect(
                self.bisphosphonate_exposure)
        if self.nuclei < 1 or rng.random() < 1.0 - math.exp(-hazard):
            self.die()

    def take_up_bisphosphonate(self, released_over_ec50: float, follow: float) -> None:
        """Exposure follows today's released concentration / EC50 with memory (1 − follow per day)."""
        self.bisphosphonate_exposure += (released_over_ec50 - self.bisphosphonate_exposure) * follow

    def moved(self, position: np.ndarray, heading: np.ndarray, attached: bool) -> None:
        """Where the resorption kernel left it; a cell that lost contact with bone (a resorbed-through rod) dies."""
        self.position = position
        self.heading = heading
        if not attached:
            self.die()

    def die(self) -> None:
        if self in self.bmu.osteoclasts:
            self.bmu.osteoclasts.remove(self)
        self.remove()

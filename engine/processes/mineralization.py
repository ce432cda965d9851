"""Mineralization: osteoid matures and every voxel's matrix gains mineral (primary, then secondary).

Reads: grid.bone_fraction; biology (lag, primary share and time constant, secondary time constant).
Writes: grid.osteoid_fraction, grid.mineral_fraction (`kernels.remodeling.mineralize`).

`seed_by_tissue_age` gives the bone the model did not form the mineral of a steady-turnover mix of tissue
ages (at build, and after the spin-up at the patient's own turnover).
"""

from __future__ import annotations

import numpy as np

from engine.kernels.remodeling import mineralize
from engine.processes.tissue_age import ages_years, steady_degree
from engine.units import DAYS_PER_YEAR

FULLY_MINERALIZED = 1.0  # mineral_fraction is relative to fully mineralized bone


class Mineralization:
    def __init__(self, grid, biology):
        self.grid = grid
        self.biology = biology

    def run_step(self) -> None:
        b = self.biology
        g = self.grid
        mineralize(g.bone_fraction, g.osteoid_fraction, g.mineral_fraction, 1.0, b.mineralization_lag_days,
                   b.primary_mineral_fraction_of_final, b.primary_mineralization_time_constant_days,
                   b.secondary_mineralization_time_constant_years * DAYS_PER_YEAR, FULLY_MINERALIZED)

    def seed_by_tissue_age(self, rng: np.random.Generator, formed_in_model: np.ndarray,
                           mean_age_years: float | None = None, older_than_years: float = 0.0,
                           missing_um3: np.ndarray | None = None) -> None:
        """Ages are exponential with mean `mean_age_years` (default: the biology parameter
        `existing_bone_mean_tissue_age_years`); mineral = bone × (1 − (1 − primary share)·exp(−age/τ_secondary)).
        Voxels that received matrix in the model (`formed_in_model`) keep their own mineralization history.
        `older_than_years`: the bone the model did not form has been there at least this long (the spin-up),
        so its age is that plus an exponential age (steady turnover is memoryless); seeding it from age 0
        left it less mineralized than the patient's turnover implies, and BMD then rose in untreated women.
        `missing_um3`: the young tissue the spin-up did not form, by age (oldest first,
        `processes.tissue_age`): that share of the old bone's volume gets ages drawn from it instead."""
        b = self.biology
        g = self.grid
        mean_age = b.existing_bone_mean_tissue_age_years if mean_age_years is None else mean_age_years
        age_years = older_than_years + rng.exponential(mean_age, size=g.shape)
        old = ~formed_in_model
        if missing_um3 is not None and np.sum(missing_um3) > 0:
            old_um3 = float(g.bone_fraction[old].sum(dtype=np.float64)) * g.voxel_size_um**3
            share = min(float(np.sum(missing_um3)) / old_um3, 1.0) if old_um3 > 0 else 0.0
            # a child generator (spawned, so the model's own stream, and every draw after it, is as without it)
            child = rng.spawn(1)[0]
            young = child.random(g.shape) < share
            pmf = np.asarray(missing_um3, np.float64) / float(np.sum(missing_um3))
            age_years[young] = ages_years(pmf.size)[child.choice(pmf.size, size=int(young.sum()), p=pmf)]
        degree = steady_degree(b, age_years)
        g.mineral_fraction[old] = (g.bone_fraction[old] * degree[old] * FULLY_MINERALIZED).astype(np.float32)

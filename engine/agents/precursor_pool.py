"""The osteoclast precursor pool: marrow and circulating mononuclear cells that can fuse into osteoclasts.

Kept as explicit state (a count in the volume), because what it does while RANKL is blocked decides what
happens when a RANKL-blocking drug is stopped. Biology it follows:
- precursors arrive at a constant rate (haematopoiesis, M-CSF driven; independent of RANKL), raised by
  estrogen deficiency (`PatientState.precursor_supply_factor`),
- they leave by dying/emigrating after `precursor_lifespan_days` on average, or by differentiating
  into osteoclasts, at a rate proportional to RANK occupancy (RANKL is the differentiation signal),
- so when RANKL is blocked they are not consumed and the pool grows, up to supply × lifespan
  (osteomorphs and precursors accumulate under RANKL inhibition: McDonald 2021 Cell 184:1330).

With relative size p = pool / (pool at reference occupancy θ_ref):
    dp/dt = f·s − p/τ − k_d (θ/θ_ref) p,    s = 1/τ + k_d   (so p = 1 at θ = θ_ref, supply factor f = 1)
integrated exactly over a day at today's θ.

Committed precursors. The flux of precursors that RANKL commits, u = (θ/θ_ref)·p (1 at the reference),
does not make resorbing osteoclasts at once: it passes a chain of n equal stages with mean transit time
T (`osteoclast_commitment_days`, Erlang-distributed; a transit-compartment chain), also integrated
exactly over each day (matrix exponential of the chain, today's u held constant). BMU activation and
fusion of new nuclei scale with the chain's output c (= u in a steady state, so calibrations at steady
state are unchanged). This is what makes resorption lag the free RANKL: when a RANKL-blocking drug
wears off, resorption returns weeks later, and precursors committed in a brief window of free RANKL
mostly meet the next dose as osteoclasts without their survival signal.

`relative_size` may be an array: independent pools advanced together (the whole-skeleton layer keeps one per
compartment); `rank_occupancy` and `supply_factor` then broadcast against it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import expm

from engine.scenario.biology import BiologyParameters


class PrecursorPool:
    def __init__(self, biology: BiologyParameters, marrow_volume_mm3: float, relative_size=1.0):
        self.biology = biology
        self.marrow_volume_mm3 = marrow_volume_mm3
        self.relative_size = relative_size if np.ndim(relative_size) == 0 else np.array(relative_size, np.float64)
        n = int(biology.osteoclast_commitment_stages)
        self._rate = n / biology.osteoclast_commitment_days
        self._chain = self._rate * (np.diag(np.full(n, -1.0)) + np.diag(np.ones(n - 1), -1))
        self._day_propagator = expm(self._chain)
        # steady state for u = p at θ = θ_ref; shape (n,), or (pools, n)
        self.committed_stages = np.multiply.outer(self.relative_size / self._rate, np.ones(n))
        self.rank_occupancy = biology.reference_rank_occupancy  # marrow-mean θ of the last day (osteoclasts read it)
        self.osteomorphs = None  # `engine.agents.osteomorphs.Osteomorphs`: recycling osteoclasts add to fusion

    @property
    def committed_relative(self):
        """Output of the commitment chain, relative to the reference steady state (scales activation, fusion);
        a float, or an array for array pools."""
        out = self._rate * self.committed_stages[..., -1]
        return float(out) if np.ndim(out) == 0 else out

    @property
    def fusing_relative(self):
        """The cells that fuse into osteoclasts, relative: the committed precursors, with re-fusing
        osteomorphs when `osteomorphs` is set (`engine.agents.osteomorphs`; activation reads the precursors)."""
        out = self.committed_relative
        return out if self.osteomorphs is None else self.osteomorphs.fusing(out)

    @property
    def reference_count(self) -> float:
        return self.biology.precursors_per_mm3_marrow * self.marrow_volume_mm3

    @property
    def count(self) -> float:
        """Precursors in the volume."""
        return self.relative_size * self.reference_count

    def advance(self, rank_occupancy: float, supply_factor: float = 1.0, days: float = 1.0) -> None:
        """Advance `days` at RANK occupancy θ, with supply scaled by `supply_factor` (physiology)."""
        b = self.biology
        self.rank_occupancy = rank_occupancy
        u = rank_occupancy / b.reference_rank_occupancy * self.relative_size
        steady = np.multiply.outer(u / self._rate, np.ones(self.committed_stages.shape[-1]))
        propagator = self._day_propagator if days == 1.0 else expm(self._chain * days)
        lag = self.committed_stages - steady
        self.committed_stages = steady + (propagator @ lag if lag.ndim == 1 else lag @ propagator.T)
        k_d = b.precursor_differentiation_per_day
        supply = (1.0 / b.precursor_lifespan_days + k_d) * supply_factor
        rate = 1.0 / b.precursor_lifespan_days + k_d * rank_occupancy / b.reference_rank_occupancy
        steady = supply / rate
        decay = math.exp(-rate * days) if np.ndim(rate) == 0 else np.exp(-rate * days)
        self.relative_size = steady + (self.relative_size - steady) * decay

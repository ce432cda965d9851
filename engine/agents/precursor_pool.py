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
integrated exactly over a day at today's θ. BMU activation and fusion into osteoclasts scale with p.
"""

from __future__ import annotations

import math

from engine.scenario.biology import BiologyParameters


class PrecursorPool:
    def __init__(self, biology: BiologyParameters, marrow_volume_mm3: float, relative_size: float = 1.0):
        self.biology = biology
        self.marrow_volume_mm3 = marrow_volume_mm3
        self.relative_size = relative_size

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
        k_d = b.precursor_differentiation_per_day
        supply = (1.0 / b.precursor_lifespan_days + k_d) * supply_factor
        rate = 1.0 / b.precursor_lifespan_days + k_d * rank_occupancy / b.reference_rank_occupancy
        steady = supply / rate
        self.relative_size = steady + (self.relative_size - steady) * math.exp(-rate * days)

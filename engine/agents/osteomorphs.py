"""Osteomorphs: osteoclasts recycle by fission into daughter cells that fuse again when RANKL allows.

Why it is state. Intravital imaging shows RANKL-stimulated osteoclasts splitting into small daughter cells,
osteomorphs, which fuse back into osteoclasts; inhibiting RANKL (OPG:Fc) blocks the re-fusion, so
osteomorphs accumulate, and after withdrawal large recycling osteoclasts are back within weeks (McDonald
2021 Cell 184:1330; targets.md §9 'Osteomorphs'). Osteomorphs are already osteoclast-lineage cells: they do
not pass the weeks-long commitment of new precursors (`precursor_pool`). With
`biology.rebound_mechanism: osteomorph_recycling` this is the rebound mechanism added to the precursor gate.

Rule, per volume (agents) or per compartment (whole-skeleton layer). Nuclei leave osteoclasts every day by
fission (n / T_n, T_n = `osteoclast_nucleus_lifespan_days`) and, when an osteoclast ends, all at once
(the fall of the nucleus count, max(n_yesterday − n, 0)); they join the osteomorph pool O, which re-fuses at
k_f · θ/θ₀ (k_f = `osteomorph_refusion_per_day`, θ the RANK occupancy) and dies at k_d = 1 /
`osteomorph_lifespan_days`:
    dO/dt = released − O · (k_f θ/θ₀ + k_d)
Relative to the untreated steady state (p = O / O₀, O₀ = ī₀ / (k_f + k_d), ī₀ the mean release over the
last days the patient is held untreated, `held_mean`; θ₀, c₀ likewise), integrated exactly over a day with
today's rates held:
    dp/dt = (i/ī₀) (k_f + k_d) − p (k_f θ/θ₀ + k_d).
The cells that fuse into osteoclasts (the fusion rate's committed-cell factor) are then a share
s = `osteomorph_share_of_fusion` of re-fusing osteomorphs, the rest new precursors from the commitment chain (c):
    c_fuse = (1 − s) · c + s · c₀ · p · θ/θ₀          (= c at the untreated steady state)
New BMUs are still founded by committed precursors (c): osteomorphs fuse with neighbouring osteoclasts, as
imaged. (Letting them found BMUs too made the loop osteomorphs → nuclei → osteomorphs unstable: more fusion
and more osteoclasts each raise the nuclei, a loop gain of ~2s.) So under blockade the osteoclasts' nuclei
pile up as osteomorphs; between doses they drain by re-fusion at the residual RANK occupancy (and die with
k_d), so little of that pile is left after years of blockade, whatever the lifespan (30 or 730 days give
the same overshoot). What makes the overshoot here is the loop once RANKL returns: every new osteoclast's
fission feeds more fusion (bench_rebound.py).
"""

from __future__ import annotations

import numpy as np

from engine.agents.held_mean import HeldMean

MECHANISM = "osteomorph_recycling"


class Osteomorphs:
    """The osteomorph pool relative to the untreated steady state (a float, or an array of independent
    compartments advanced together)."""

    def __init__(self, biology, relative=1.0):
        self.active = biology.rebound_mechanism == MECHANISM
        self.refusion_per_day = biology.osteomorph_refusion_per_day
        self.death_per_day = 1.0 / biology.osteomorph_lifespan_days
        self.nucleus_lifespan_days = biology.osteoclast_nucleus_lifespan_days
        self.share = biology.osteomorph_share_of_fusion
        array = np.ndim(relative) > 0
        self.relative = np.array(relative, np.float64) if array else float(relative)
        self.refusing = np.ones(np.shape(relative)) if array else 1.0  # p · θ/θ₀: re-fusion relative to untreated
        # while held untreated: release, occupancy and committed precursors (their means are ī₀, θ₀, c₀)
        self.held = (HeldMean(), HeldMean(), HeldMean())
        self.untreated = None  # (ī₀, θ₀, c₀), taken on the first day after the held days
        self.last_nuclei = None

    def _release(self, nuclei):
        last = nuclei if self.last_nuclei is None else self.last_nuclei
        self.last_nuclei = nuclei
        return nuclei / self.nucleus_lifespan_days + np.maximum(last - nuclei, 0.0)

    def advance(self, nuclei, rank_occupancy, committed, holding: bool) -> None:
        """One day: `nuclei` = osteoclast nuclei now (yesterday's cells), `rank_occupancy` today's θ,
        `committed` the commitment chain's output c (all floats, or arrays per compartment). `holding`: the
        patient is held untreated (spin-up): the untreated levels are recorded and the pool stays at 1."""
        if not self.active:
            return
        array = np.ndim(self.relative) > 0
        nuclei = np.array(nuclei, np.float64) if array else float(nuclei)
        released = self._release(nuclei)
        if holding:
            for held, value in zip(self.held, (released, rank_occupancy, committed)):
                held.add(value)
            self.untreated = None
            self.relative = np.ones_like(self.relative) if array else 1.0
            self.refusing = np.ones_like(self.relative) if array else 1.0
            return
        if self.untreated is None:
            self.untreated = tuple(held.value for held in self.held)
        release0, theta0, _ = self.untreated
        theta = np.where(np.asarray(theta0) > 0, rank_occupancy / np.maximum(theta0, 1e-300), 1.0)
        inflow = np.where(np.asarray(release0) > 0, released / np.maximum(release0, 1e-300), 0.0) \
            * (self.refusion_per_day + self.death_per_day)
        rate = self.refusion_per_day * theta + self.death_per_day
        steady = inflow / rate
        relative = steady + (self.relative - steady) * np.exp(-rate)
        refusing = relative * theta
        self.relative = relative if array else float(relative)
        self.refusing = refusing if array else float(refusing)

    def fusing(self, chain_output):
        """The cells that fuse into osteoclasts: (1 − s)·c + s·c₀·p·θ/θ₀ (c itself when off, and while the
        patient is held untreated)."""
        if not self.active or self.untreated is None:
            return chain_output
        return (1.0 - self.share) * chain_output + self.share * self.untreated[2] * self.refusing

"""Young osteocytes' OPG: the OPG the osteocytes secrete follows how much new bone was made lately.

Why it is state. OPG in bone is made mostly by a subpopulation of osteocytes, the young ones: osteocyte OPG
is more prevalent near the surface of cortical bone (the newest bone) in humans and mice, and long-term
(not short-term) denosumab lowered osteocyte OPG mRNA in humanized-RANKL mice, whose osteoclast
progenitors were unchanged (Fu 2023 JCI Insight 8:e167790; targets.md §9 'Osteocyte OPG under RANKL
blockade'). The authors' reading: OPG expression fades as an osteocyte ages, so suppressing remodeling
suppresses the formation of new osteocytes and, slowly, the OPG; when the blockade ends, RANKL meets less
OPG than before, which adds to the rebound. OPG:Fc in mice likewise lowered OPG mRNA in osteocytes and surface
cells (El-Masri 2024 Bone Res 12:62). With `biology.rebound_mechanism: osteocyte_opg` this is the rebound
mechanism added to the precursor gate (`precursor_pool`).

Rule, per volume (agents) or per compartment (whole-skeleton layer). Osteocytes are buried in bone as it is
formed (`osteoblast_to_osteocyte_fraction` of the osteoblasts, in proportion to matrix formed), and each
makes OPG for a mean `osteocyte_opg_expression_days` after it is buried (exponential). So the OPG-making
osteocytes y follow the matrix formed F (µm³ a day, BMUs and modeling units together):
    dy/dt = F − y/T        (y in µm³ of formation per day, times T)
and every osteocyte's OPG secretion is scaled by y / y₀, y₀ = the mean formation over the last days the
patient is held untreated (spin-up, day ≤ 0; `held_mean`), when y is held at that mean (so the factor is 1
at day 0, whatever her turnover, and the calibration of `osteocyte_opg_secretion_molecules_per_day`, a
marrow-mean OPG, holds).
Integrated exactly over a day with F held: y ← F·T + (y − F·T)·e^(−1/T) (written relative to y₀·T).

What it can do depends on OPG's operating point: at the marrow OPG of targets.md §8b (~4 pM) and a K_D of
1–10 nM, OPG binds under 1 % of RANKL, so even OPG falling to nothing frees under 1 % more RANKL
(`benchmarks/bench_rebound.py` measures it, and what it would do at a hypothetical operating point where
OPG binds half the RANKL).
"""

from __future__ import annotations

import math

import numpy as np

from engine.agents.held_mean import HeldMean

MECHANISM = "osteocyte_opg"


class YoungOsteocyteOPG:
    """The OPG-making (young) osteocytes relative to the untreated steady state (a float, or an array of
    independent compartments advanced together)."""

    def __init__(self, biology, relative=1.0):
        self.active = biology.rebound_mechanism == MECHANISM
        self.expression_days = biology.osteocyte_opg_expression_days
        array = np.ndim(relative) > 0
        self.relative = np.array(relative, np.float64) if array else float(relative)
        self.held_formed_um3 = HeldMean()      # formation while held untreated (spin-up)
        self.untreated_formed_um3 = None       # y₀: its mean over the held window, taken on the first day after

    def advance(self, formed_um3, holding: bool) -> None:
        """One day with `formed_um3` of matrix formed (per volume, or an array per compartment). `holding`:
        the patient is held untreated (spin-up): F is recorded for y₀ and the factor stays 1."""
        if not self.active:
            return
        array = np.ndim(self.relative) > 0
        formed = np.asarray(formed_um3, np.float64) if array else float(formed_um3)
        if holding:
            self.held_formed_um3.add(formed)
            self.untreated_formed_um3 = None
            self.relative = np.ones_like(self.relative) if array else 1.0
            return
        if self.untreated_formed_um3 is None:
            self.untreated_formed_um3 = self.held_formed_um3.value
        y0 = self.untreated_formed_um3
        target = np.where(np.asarray(y0) > 0, formed / np.maximum(y0, 1e-300), 1.0)
        keep = math.exp(-1.0 / self.expression_days)
        relative = target + (self.relative - target) * keep
        self.relative = relative if array else float(relative)

    @property
    def opg_factor(self):
        """Today's OPG secretion of the osteocytes relative to untreated (1 when the mechanism is off)."""
        if not self.active:
            return np.ones_like(self.relative) if np.ndim(self.relative) else 1.0
        return self.relative

"""Activation sites: primed places on quiescent bone surface where targeted BMUs start.

Why it is state. A share of remodeling is targeted (`targeted_remodeling_fraction`, ~30 %: Parfitt 2002
Bone 30:5; Burr 2002 Bone 30:2): osteocytes that die or sense damage mark the surface above them, and a
BMU later starts there. Marking does not need RANKL; starting a BMU does (committed precursors). So while
RANKL is blocked the marked, RANKL-expressing sites are made but not used, and they pile up; when the drug
wears off they are activated together, and resorption overshoots for as long as the backlog lasts
(El-Masri 2024 Bone Res 12:62: RANKL-expressing activation sites accumulate on bone surfaces during OPG:Fc
and drive the rebound; targets.md §9). Together with the precursor pool (`precursor_pool`, the "precursor
gate": precursors not consumed under blockade) this is one of the rebound mechanisms a scenario chooses
with `biology.rebound_mechanism`:
- `precursor_gate`: the pool alone; targeted BMUs are a fixed share of activations (sites never run out);
- `activation_sites` (default): the pool and these sites.

Rule, per volume (agents) or per compartment (whole-skeleton layer), with p the primed sites relative to
the patient's untreated steady state and c the committed precursors (`PrecursorPool.committed_relative`):
    activation rate = untargeted + targeted ∝ c · [(1 − f) + f · p]
    dp/dt = (c₀ − c · p) / (c₀ · T)
f = `targeted_remodeling_fraction`; T = `activation_site_wait_days`, the mean time a primed site waits for
its BMU in the untreated patient; c₀ = c while the patient is held untreated in the spin-up (day ≤ 0), so
sites are made at the rate her untreated targeted remodeling uses them (p = 1 and the activation rate is
unchanged at day 0 whatever her turnover). Under blockade (c → 0) p grows by 1/T a day; afterwards the
targeted activations run at f · c · p until the backlog is used (time constant T · c₀ / c). Integrated
exactly over a day with c held.
"""

from __future__ import annotations

import numpy as np

#: the choices of biology.rebound_mechanism
MECHANISMS = ("precursor_gate", "activation_sites", "osteocyte_opg", "osteomorph_recycling")


class ActivationSites:
    """Primed activation sites relative to the untreated steady state (a float, or an array of
    independent compartments advanced together)."""

    def __init__(self, biology, relative=1.0):
        self.active = biology.rebound_mechanism == "activation_sites"
        self.targeted_share = biology.targeted_remodeling_fraction
        self.wait_days = biology.activation_site_wait_days
        self.relative = relative if np.ndim(relative) == 0 else np.array(relative, np.float64)
        self.untreated_committed = np.ones_like(self.relative) if np.ndim(relative) else 1.0

    def advance(self, committed, holding: bool, days: float = 1.0) -> None:
        """Use and make sites for `days` at committed precursors `committed` (relative). `holding`: the
        patient is held untreated (spin-up): sites stay at their steady state, made as fast as used."""
        if not self.active:
            return
        if holding:
            self.untreated_committed = np.array(committed, np.float64) if np.ndim(committed) else float(committed)
            self.relative = np.ones_like(self.untreated_committed) if np.ndim(committed) else 1.0
            return
        # p(t) = p·e^(−x) + (t/T)·(1 − e^(−x))/x, x = c·t/(c₀·T): exact, and finite when c = 0 (p grows by t/T)
        x = np.maximum(committed, 0.0) / (self.untreated_committed * self.wait_days) * days
        made = days / self.wait_days * np.where(x > 1e-9, -np.expm1(-x) / np.maximum(x, 1e-300), 1.0 - 0.5 * x)
        relative = self.relative * np.exp(-x) + made
        self.relative = float(relative) if np.ndim(relative) == 0 else relative

    @property
    def activation_factor(self):
        """Today's activation rate relative to the precursor-gate rule: (1 − f) + f · p (1 when off)."""
        if not self.active:
            return 1.0 if np.ndim(self.relative) == 0 else np.ones_like(self.relative)
        return (1.0 - self.targeted_share) + self.targeted_share * self.relative

    @property
    def targeted_share_today(self):
        """Share of today's activations that start at primed sites: f · p / [(1 − f) + f · p] (f when off)."""
        if not self.active:
            return self.targeted_share
        return self.targeted_share * self.relative / self.activation_factor

"""Drug exposure over the simulated days: the regimen's doses go into each drug's model, and what bone
sees comes out: free denosumab in the marrow, the skeletal uptake of bisphosphonates, and the day's
teriparatide pulse. Any number of drugs may be given, overlapping or in sequence.

Time convention: the model's day d is the instant t = d days after the start; a dose at day 0 is given at
t = 0, so the day-0 record is the pre-dose baseline and the first step integrates 0 → 1 with the dose in
it. Fractional dose times are honoured exactly (the PK integrates up to the dose, adds it, and goes on).
"""

from __future__ import annotations

from typing import Iterable

from engine.pharmacology.bisphosphonates import BISPHOSPHONATE_PK, BisphosphonatePK
from engine.pharmacology.denosumab import DenosumabPK, weight_scaled
from engine.pharmacology.regimen import expand_regimen
from engine.pharmacology.teriparatide import TeriparatidePK

MODELLED_DRUGS = ("denosumab", "alendronate", "zoledronate", "teriparatide")
BISPHOSPHONATES = tuple(BISPHOSPHONATE_PK)


class DrugExposure:
    """All drugs of one patient, advanced day by day.

    Args:
        regimen: dosing lines (`DoseEntry`).
        parameters: per-drug parameter overrides {drug: {table name: value}} (a scenario's
            `pharmacokinetics:` section).
        body_weight_kg: scales denosumab's clearances and volumes (`denosumab.weight_scaled`); None = the
            tables' reference adult.
    """

    def __init__(self, regimen: Iterable, parameters: dict[str, dict[str, float]] | None = None,
                 body_weight_kg: float | None = None):
        parameters = parameters or {}
        self.events = expand_regimen(regimen)
        self.time_day = 0.0
        self.next_event = 0
        drugs = {e.drug for e in self.events}
        self.denosumab = None
        if "denosumab" in drugs:
            self.denosumab = DenosumabPK(weight_scaled(parameters.get("denosumab") or {}, body_weight_kg))
        self.bisphosphonates = {d: BisphosphonatePK(d, parameters.get(d)) for d in BISPHOSPHONATES if d in drugs}
        self.teriparatide = TeriparatidePK(parameters.get("teriparatide")) if "teriparatide" in drugs else None
        self.not_modelled_drugs = sorted(drugs - set(MODELLED_DRUGS))

    def advance_to(self, day: float) -> None:
        """Integrate to time `day`, giving every dose with time < day on the way. The model calls it once per
        simulated day: teriparatide's pulses are summed per call into that day's effect."""
        while self.time_day < day:
            stop = float(day)
            if self.next_event < len(self.events):
                stop = min(stop, self.events[self.next_event].day)
            if stop > self.time_day:
                self._integrate(stop - self.time_day)
                self.time_day = stop
            while self.next_event < len(self.events) and self.events[self.next_event].day <= self.time_day \
                    and self.events[self.next_event].day < day:
                self._give(self.events[self.next_event])
                self.next_event += 1
        if self.teriparatide is not None:
            self.teriparatide.end_day()

    def _integrate(self, days: float) -> None:
        if self.denosumab is not None:
            self.denosumab.advance(days)

    def _give(self, event) -> None:
        if event.drug == "denosumab":
            self.denosumab.dose(event.dose_mg, event.route)
        elif event.drug in self.bisphosphonates:
            self.bisphosphonates[event.drug].dose(event.dose_mg, event.route)
        elif event.drug == "teriparatide":
            self.teriparatide.dose(event.dose_mg, event.route)

    def doses_given(self) -> int:
        return self.next_event

    @property
    def serum_denosumab_ng_per_ml(self) -> float:
        return self.denosumab.serum_ng_per_ml if self.denosumab is not None else 0.0

    @property
    def marrow_rankl_binder_nM(self) -> float:
        """Free RANKL-binding drug in the marrow (nM): the grid's drug field."""
        return self.denosumab.marrow_nM if self.denosumab is not None else 0.0

    @property
    def pth_anabolic_effect(self) -> float:
        """Today's teriparatide effect on the osteoblast lineage, 0..1 (Emax of the day's pulse)."""
        return self.teriparatide.anabolic_effect if self.teriparatide is not None else 0.0

    def pth_fold(self, name: str) -> float:
        """A teriparatide `*_fold_max` effect at today's level (1 without teriparatide); the RANKL fold
        follows the delayed effect."""
        if self.teriparatide is None:
            return 1.0
        effect = self.teriparatide.rankl_effect if name == "rankl_fold_max" else self.teriparatide.anabolic_effect
        return self.teriparatide.fold(name, effect)

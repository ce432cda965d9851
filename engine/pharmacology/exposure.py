"""Drug exposure over the simulated days: the regimen's doses go into the PK models, and the free drug
they leave in the marrow is what the grid sees.

Time convention: the model's day d is the instant t = d days after the start; a dose at day 0 is given at
t = 0, so the day-0 record is the pre-dose baseline and the first step integrates 0 → 1 with the dose in
it. Fractional dose times are honoured exactly (the PK integrates up to the dose, adds it, and goes on).

Drugs without a PK model in this engine version are kept in the event list and reported by the runner
(`not_modelled_drugs`), never silently dropped.
"""

from __future__ import annotations

from typing import Iterable

from engine.pharmacology.denosumab import DenosumabPK
from engine.pharmacology.regimen import expand_regimen

MODELLED_DRUGS = ("denosumab",)


class DrugExposure:
    """All drugs of one patient, advanced day by day."""

    def __init__(self, regimen: Iterable, denosumab_parameters: dict[str, float] | None = None):
        self.events = expand_regimen(regimen)
        self.time_day = 0.0
        self.next_event = 0
        drugs = {e.drug for e in self.events}
        self.denosumab = DenosumabPK(denosumab_parameters) if "denosumab" in drugs else None
        self.not_modelled_drugs = sorted(drugs - set(MODELLED_DRUGS))

    def advance_to(self, day: float) -> None:
        """Integrate to time `day`, giving every dose with time < day on the way."""
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

    def _integrate(self, days: float) -> None:
        if self.denosumab is not None:
            self.denosumab.advance(days)

    def _give(self, event) -> None:
        if event.drug == "denosumab":
            self.denosumab.dose(event.dose_mg, event.route)

    def doses_given(self) -> int:
        return self.next_event

    @property
    def serum_denosumab_ng_per_ml(self) -> float:
        return self.denosumab.serum_ng_per_ml if self.denosumab is not None else 0.0

    @property
    def marrow_rankl_binder_nM(self) -> float:
        """Free RANKL-binding drug in the marrow (nM): the grid's drug field."""
        return self.denosumab.marrow_nM if self.denosumab is not None else 0.0

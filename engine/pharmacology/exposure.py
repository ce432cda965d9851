"""Drug exposure over the simulated days: the regimen's doses go into each drug's PK model (from the drug
registry, `engine.pharmacology.registry`), and what bone sees comes out: free RANKL binder in the marrow,
the skeletal uptake of bone-seeking drugs, and systemic factors (teriparatide's daily pulse). Any number
of drugs may be given, overlapping or in sequence.

Time convention: the model's day d is the instant t = d days after the start; a dose at day 0 is given at
t = 0, so the day-0 record is the pre-dose baseline and the first step integrates 0 → 1 with the dose in
it. Fractional dose times are honoured exactly (the PK integrates up to the dose, adds it, and goes on).
"""

from __future__ import annotations

from typing import Iterable

from engine.pharmacology import registry
from engine.pharmacology.regimen import expand_regimen


class DrugExposure:
    """All drugs of one patient, advanced day by day.

    Args:
        regimen: dosing lines (anything with drug, dose_mg, route, start_day, interval_days, number_of_doses).
        parameters: per-drug parameter overrides {drug: {table name: value}} (a scenario's
            `pharmacokinetics:` section).
        body_weight_kg: handed to each drug's PK factory (denosumab scales clearances and volumes); None =
            the tables' reference adult.
    """

    def __init__(self, regimen: Iterable, parameters: dict[str, dict[str, float]] | None = None,
                 body_weight_kg: float | None = None):
        parameters = parameters or {}
        self.events = expand_regimen(regimen)
        self.time_day = 0.0
        self.next_event = 0
        given = {e.drug for e in self.events}
        self.models = {name: module.make_pk(parameters.get(name) or {}, body_weight_kg)
                       for name, module in registry.drugs().items() if name in given}
        binders = [name for name in self.models if registry.drug(name).rankl_kd_nM is not None]
        if len(binders) > 1:
            raise ValueError(f"more than one RANKL binder in one regimen ({', '.join(binders)}) is not modelled")
        self.rankl_binder = binders[0] if binders else None

    def pk(self, drug: str):
        """The PK model of a drug of this regimen, or None."""
        return self.models.get(drug)

    def advance_to(self, day: float) -> None:
        """Integrate to time `day`, giving every dose with time < day on the way. The model calls it once per
        simulated day: PK models with `end_day` (teriparatide's pulses) close the day after it."""
        while self.time_day < day:
            stop = float(day)
            if self.next_event < len(self.events):
                stop = min(stop, self.events[self.next_event].day)
            if stop > self.time_day:
                self._integrate(stop - self.time_day)
                self.time_day = stop
            while self.next_event < len(self.events) and self.events[self.next_event].day <= self.time_day \
                    and self.events[self.next_event].day < day:
                event = self.events[self.next_event]
                self.models[event.drug].dose(event.dose_mg, event.route)
                self.next_event += 1
        for model in self.models.values():
            if hasattr(model, "end_day"):
                model.end_day()

    def _integrate(self, days: float) -> None:
        for model in self.models.values():
            if hasattr(model, "advance"):
                model.advance(days)

    def doses_given(self) -> int:
        return self.next_event

    # --- what bone sees ----------------------------------------------------------------------------
    @property
    def marrow_rankl_binder_nM(self) -> float:
        """Free RANKL-binding drug in the marrow (nM): the grid's drug field."""
        return self.models[self.rankl_binder].marrow_nM if self.rankl_binder else 0.0

    @property
    def rankl_binder_kd_nM(self) -> float:
        """K_D of the regimen's RANKL binder (its patient's table value), or a placeholder when there is none."""
        if not self.rankl_binder:
            return registry.NO_BINDER_KD_NM
        module = registry.drug(self.rankl_binder)
        return self.models[self.rankl_binder].p[module.kd_parameter] if module.kd_parameter else module.rankl_kd_nM

    @property
    def rankl_binder_out_of_reach_fraction(self) -> float:
        """Share of the remodeling sites the regimen's RANKL binder does not reach (its table's
        `out_of_reach_fraction`); 0 without a binder, so untreated runs are unchanged."""
        if not self.rankl_binder:
            return 0.0
        return float(self.models[self.rankl_binder].p.get("out_of_reach_fraction", 0.0))

    @property
    def bone_seeking(self) -> dict:
        """{drug: PK model} of the bone-seeking drugs of this regimen (bisphosphonates)."""
        return {d: m for d, m in self.models.items() if registry.drug(d).bone_seeking}

    def fold(self, name: str) -> float:
        """A systemic factor (e.g. `rankl_fold_max`) from today's drugs; 1 without a drug that changes it."""
        factor = 1.0
        for model in self.models.values():
            if hasattr(model, "systemic_fold"):
                factor *= model.systemic_fold(name)
        return factor

    def with_process(self, process: str) -> dict:
        """{drug: PK model} of the drugs of this regimen that add `process` in bone."""
        return {d: m for d, m in self.models.items() if process in registry.drug(d).bone_processes}

    # --- names kept for the built-in drugs (readouts, tests, notebooks) ----------------------------
    @property
    def denosumab(self):
        return self.models.get("denosumab")

    @property
    def bisphosphonates(self) -> dict:
        return self.bone_seeking

    @property
    def teriparatide(self):
        return self.models.get("teriparatide")

    @property
    def serum_denosumab_ng_per_ml(self) -> float:
        return self.denosumab.serum_ng_per_ml if self.denosumab is not None else 0.0

    @property
    def pth_anabolic_effect(self) -> float:
        return self.teriparatide.anabolic_effect if self.teriparatide is not None else 0.0

"""Drug pharmacology: dosing regimens as events, drug PK models with their parameter tables, and the
exposure of the marrow that the grid sees. Drug models take their doses from `expand_regimen`, never from
a hard-coded schedule.

Modelled: denosumab (`denosumab.py`). Validated but not yet modelled: alendronate, zoledronate,
teriparatide (the runner says so at the start of a run)."""

from engine.pharmacology.denosumab import DENOSUMAB_PK, DenosumabPK
from engine.pharmacology.exposure import MODELLED_DRUGS, DrugExposure
from engine.pharmacology.regimen import DoseEvent, doses_on_day, expand_regimen

__all__ = ["DENOSUMAB_PK", "DenosumabPK", "DoseEvent", "DrugExposure", "MODELLED_DRUGS", "doses_on_day",
           "expand_regimen"]

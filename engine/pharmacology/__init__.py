"""Drug pharmacology: dosing regimens as events, drug PK models with their parameter tables, and the
exposure of the marrow that the grid sees. Drug models take their doses from `expand_regimen`, never from
a hard-coded schedule.

Modelled: denosumab (`denosumab.py`: target-mediated PK, free drug binds RANKL in the marrow),
alendronate and zoledronate (`bisphosphonates.py`: skeletal uptake onto exposed bone, release on
resorption, poisoned osteoclasts) and teriparatide (`teriparatide.py`: daily PTH pulses act on the
osteoblast lineage, RANKL follows later). Any regimen may combine them (`exposure.DrugExposure`)."""

from engine.pharmacology.denosumab import DENOSUMAB_PK, DenosumabPK
from engine.pharmacology.exposure import MODELLED_DRUGS, DrugExposure
from engine.pharmacology.regimen import DoseEvent, doses_on_day, expand_regimen

__all__ = ["DENOSUMAB_PK", "DenosumabPK", "DoseEvent", "DrugExposure", "MODELLED_DRUGS", "doses_on_day",
           "expand_regimen"]

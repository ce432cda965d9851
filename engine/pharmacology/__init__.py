"""Drug pharmacology: dosing regimens as events, the drug registry (one module per drug: routes, dose range,
parameter table, PK model, how it reaches bone, readouts, view presets), and the exposure of the marrow and
bone that the model sees. Drug models take their doses from `expand_regimen`, never from a hard-coded
schedule.

Built in (`registry.BUILTIN_MODULES`): denosumab (`denosumab.py`: target-mediated PK, free drug binds RANKL
in the marrow), alendronate and zoledronate (`bisphosphonates.py`: skeletal uptake onto exposed bone,
release on resorption, poisoned osteoclasts) and teriparatide (`teriparatide.py`: daily PTH pulses act on
the osteoblast lineage, RANKL follows later). Any regimen may combine them (`exposure.DrugExposure`)."""

from engine.pharmacology.denosumab import DENOSUMAB_PK, DenosumabPK
from engine.pharmacology.exposure import DrugExposure
from engine.pharmacology.regimen import DoseEvent, doses_on_day, expand_regimen

__all__ = ["DENOSUMAB_PK", "DenosumabPK", "DoseEvent", "DrugExposure", "doses_on_day", "expand_regimen"]

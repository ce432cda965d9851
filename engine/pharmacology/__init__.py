"""Drug pharmacology: dosing regimens as events (this package), and drug PK/PD models (to come: denosumab
TMDD, bisphosphonates, teriparatide). Drug models take their doses from `expand_regimen`, never from a
hard-coded schedule."""

from engine.pharmacology.regimen import DoseEvent, doses_on_day, expand_regimen

__all__ = ["DoseEvent", "doses_on_day", "expand_regimen"]

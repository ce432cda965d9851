"""Teriparatide (PTH 1-34), 20 µg SC daily: an intermittent PTH signal, anabolic first, resorptive later.

Pharmacokinetics (Forteo label): bioavailability ~95 %, peak ~30 min after the injection, apparent
half-life ~1 h, clearance ~62 L/h in women. Serum teriparatide is back to baseline within 3-4 hours, so the
signal is intermittent: what bone sees is a daily pulse whose size is the day's exposure,
AUC = F · dose / CL (ng·h/mL; linear PK). Continuous exposure (hyperparathyroidism, an infusion) is
catabolic and is not what this model describes.

Pharmacodynamics. The day's pulse acts through an Emax function of its AUC, E = AUC/(AUC + AUC50)
(`anabolic_auc50_ng_h_per_ml`), on the osteoblast lineage (PTH1R on osteoblasts, lining cells and
osteocytes; Jilka 2007 Bone 40:1434):
- it reactivates bone-lining cells into matrix-making osteoblasts on quiescent surface (modeling-based
  formation without prior resorption: Kim 2012 J Bone Miner Res 27:2075; Lindsay 2006 J Bone Miner Res
  21:366; Dempster 2018 J Bone Miner Res 33:298);
- it delays osteoblast apoptosis, so each osteoblast works longer (Jilka 1999 J Clin Invest 104:439),
  and raises the number recruited to each cavity (more osteoblast precursors; also lower sclerostin,
  Keller & Kneissel 2005 Bone 37:148);
- and it raises RANKL expression by osteoblast-lineage cells (Ma 2001 Endocrinology 142:4047), which grows
  with the expanding osteoblast population: we let the RANKL effect follow the pulse with a first-order
  delay (`rankl_delay_days`). Resorption, through RANKL and the agents' rules, therefore rises months after
  formation: the "anabolic window" (P1NP up within a month, CTX later; McClung 2005 Arch Intern Med
  165:1762; Glover 2009 Bone 45:1053).
Effect sizes are given at full effect (E = 1); 20 µg gives E = 0.5 by the choice of AUC50.
"""

from __future__ import annotations

import math

from engine.parameters import Parameter, ParameterTable, with_overrides
from engine.pharmacology.registry import DrugModule, Readout, register

TERIPARATIDE_PK = ParameterTable(
    Parameter("bioavailability", "F", "1", 0.95, "Forteo label (absolute bioavailability ~95 %)", ""),
    Parameter("clearance_L_per_h", "CL", "L/h", 62.0, "Forteo label (~62 L/h in women, ~94 L/h in men)", ""),
    Parameter("anabolic_auc50_ng_h_per_ml", "AUC50", "ng·h/mL", 0.95 * 20.0 / 62.0,
              ("the day's AUC of 20 µg (so 20 µg gives half the maximal effect); with an Emax curve this makes "
               "40 µg ~1.3x as effective as 20 µg, as Neer 2001 found for spine BMD (+13 % vs +9 %, targets.md "
               "§6 'Teriparatide 20 µg/d BMD vs placebo')"), ""),
    Parameter("lining_activation_per_day_max", "-", "1/day", 0.004,
              ("Assumption: modeling-based formation on quiescent surface appears within weeks of starting "
               "teriparatide and makes a large share of its formation (Lindsay 2006 JBMR 21:366; Ma 2006 JBMR "
               "21:855; Dempster 2018 JBMR 33:298); rate sized so that it doubles formation within months"),
              "at 20 µg: 0.002/day, a lining cell is reactivated about once in 1.4 years"),
    Parameter("osteoblast_lifespan_fold_max", "-", "fold", 2.0,
              "Jilka 1999 J Clin Invest 104:439 (intermittent PTH halves osteoblast apoptosis in mice); from-memory",
              "at 20 µg: 1.5x"),
    Parameter("osteoblast_recruitment_fold_max", "-", "fold", 1.6,
              ("Assumption: more osteoblasts per cavity (PTH expands osteoprogenitors and lowers sclerostin; Jilka "
               "2007 Bone 40:1434; Keller & Kneissel 2005 Bone 37:148)"), "at 20 µg: 1.3x"),
    Parameter("rankl_fold_max", "-", "fold", 1.5,
              "Ma 2001 Endocrinology 142:4047 (PTH raises RANKL and lowers OPG expression); size: assumption",
              "at 20 µg: 1.25x"),
    Parameter("rankl_delay_days", "-", "day", 90.0,
              ("Assumption: the time for the osteoblast lineage to expand; places the CTX rise months after "
               "P1NP (McClung 2005 Arch Intern Med 165:1762; Glover 2009 Bone 45:1053)"), ""),
)


class TeriparatidePK:
    """Daily PTH pulses: today's AUC, its anabolic effect and the delayed RANKL effect."""

    def __init__(self, parameters: dict[str, float] | None = None):
        self.p = with_overrides(TERIPARATIDE_PK, parameters, "teriparatide")
        self.auc_ng_h_per_ml = 0.0  # pulses given since the last `end_day`
        self.anabolic_effect = 0.0  # E of the last completed day
        self.rankl_effect = 0.0  # delayed follower of E

    def state(self) -> dict[str, float]:
        return {"auc_ng_h_per_ml": self.auc_ng_h_per_ml, "anabolic_effect": self.anabolic_effect,
                "rankl_effect": self.rankl_effect}

    def dose(self, dose_mg: float, route: str) -> None:
        if route != "subcutaneous":
            raise ValueError(f"teriparatide route {route!r} is not modelled (subcutaneous)")
        self.auc_ng_h_per_ml += self.p["bioavailability"] * dose_mg * 1e3 / self.p["clearance_L_per_h"]

    def end_day(self) -> None:
        """Turn the pulses of the day just simulated into today's effects."""
        auc, self.auc_ng_h_per_ml = self.auc_ng_h_per_ml, 0.0
        self.anabolic_effect = auc / (auc + self.p["anabolic_auc50_ng_h_per_ml"]) if auc > 0 else 0.0
        self.rankl_effect += (self.anabolic_effect - self.rankl_effect) * (1.0 - math.exp(-1.0 / self.p["rankl_delay_days"]))

    def fold(self, name: str, effect: float) -> float:
        """1 + (fold at full effect − 1) · effect, for a `*_fold_max` parameter."""
        return 1.0 + (self.p[name] - 1.0) * effect

    def systemic_fold(self, name: str) -> float:
        """Today's factor on a systemic quantity (`DrugExposure.fold`): the RANKL fold follows the delayed
        effect, the osteoblast folds today's pulse; 1 for a factor this drug does not change."""
        if name not in self.p:
            return 1.0
        return self.fold(name, self.rankl_effect if name == "rankl_fold_max" else self.anabolic_effect)


register(DrugModule(
    name="teriparatide",
    description="PTH 1-34, daily SC pulses: reactivates lining cells, longer-lived and more osteoblasts, delayed RANKL",
    routes=("subcutaneous",),
    dose_mg_range=(0.005, 0.1),
    usual_dose="0.02 mg (20 µg) SC daily (Neer 2001)",
    parameters=TERIPARATIDE_PK,
    make_pk=lambda overrides, body_weight_kg: TeriparatidePK(overrides),
    bone_processes=("lining_cell_reactivation",),
    readouts={
        "pth_anabolic_effect": Readout("1", "today's teriparatide effect on the osteoblast lineage, 0..1",
                                       lambda model: model.exposure.pth_anabolic_effect),
        "pth_rankl_fold": Readout("1", "RANKL expression factor from teriparatide (delayed)",
                                  lambda model: model.exposure.fold("rankl_fold_max")),
    },
    view_presets={"teriparatide 20 µg SC daily (2 years)": (
        {"drug": "teriparatide", "dose_mg": 0.02, "route": "subcutaneous", "start_day": 0, "interval_days": 1,
         "number_of_doses": 730},)},
))

"""Patient physiology: systemic modifiers of bone cells that follow from who the patient is.

Implemented now — estrogen deficiency raises RANKL expression:
    Early postmenopausal women express 2-3 times more RANKL per bone-marrow cell than premenopausal
    women or estrogen-treated postmenopausal women (Eghbali-Fatourechi 2003 J Clin Invest 111:1221).
    We take the low end, a factor of 2 at full estrogen deficiency, and reach it as serum estradiol
    falls after the final menstrual period, with time constant ~1 year (estradiol falls over the two
    years around the final period: Randolph 2011 JCEM 96:746, SWAN). Both numbers are biology
    parameters (`estrogen_deficiency_rankl_fold`, `estradiol_fall_time_constant_years`). The excess
    persists: activation frequency stays about doubled in older postmenopausal women (targets.md §8b
    'Activation frequency').
    Premenopausal women: factor 1.

Men: no menopause, but their skeleton runs on estradiol too (aromatised from testosterone; estrogen, not
testosterone, restrains bone resorption in older men: Falahati-Nini 2000 J Clin Invest 106:1553), and
bioavailable estradiol falls with age, by ~47 % between 25 and 85 years (Khosla 1998 J Clin Endocrinol Metab
83:2266). A man's estrogen deficiency is that loss, (age − 25 y) × `male_bioavailable_estradiol_loss_per_year`,
on the same 0..1 scale whose 1 is a postmenopausal woman; it drives the same RANKL, osteoclast, osteoblast and
precursor effects, so age-related loss in men is slower than after menopause and starts later.

Glucocorticoid therapy (condition `glucocorticoid_therapy`, prednisolone ≥ 7.5 mg/day or equivalent):
- osteoblasts die earlier (glucocorticoids induce osteoblast apoptosis; Weinstein 1998 J Clin Invest
  102:274): working lifespan × `glucocorticoid_osteoblast_lifespan_fold`, which shows as the thinner
  walls of glucocorticoid-treated bone (Dalle Carbonare 2001 J Bone Miner Res 16:97);
- osteocytes die earlier (Weinstein 1998; O'Brien 2004 Endocrinology 145:1835): lifespan ×
  `glucocorticoid_osteocyte_lifespan_fold` (more targeted remodeling, fewer RANKL/OPG sources);
- resorption rises early: RANKL expression up and OPG down (Hofbauer 1999 Endocrinology 140:4382), by
  `glucocorticoid_early_rankl_fold` and `glucocorticoid_early_opg_fold` at the start of therapy, fading
  with `glucocorticoid_early_phase_days` (bone loss and fracture risk rise fastest in the first 3-6 months,
  van Staa 2002 Osteoporos Int 13:777). `patient.glucocorticoid_years_of_use` says how long the patient
  has taken them at day 0 (0 = starting now).
Each effect composes with any regimen: drugs act on the cells, the condition on their rates.

Estrogen deficiency also prolongs osteoclast life (estrogen promotes osteoclast apoptosis: Hughes 1996
Nat Med 2:1132; Nakamura 2007 Cell 130:811) and shortens the working life of osteoblasts (estrogen is
anti-apoptotic for osteoblasts: Kousteni 2001 Cell 104:719; Manolagas 2000 Endocr Rev 21:115), and
expands the osteoclast precursor supply (Jilka 1992 Science 257:88; D'Amelio 2008 Bone 43:92). Each
effect scales linearly with the estrogen deficiency from 1 to its fold at full deficiency. Activation
frequency is not set here: it rises through RANKL (more RANK occupancy on precursors).

"""

from __future__ import annotations

from engine.units import DAYS_PER_YEAR

import math
from dataclasses import dataclass

from engine.scenario.biology import BiologyParameters
from engine.scenario.schema import Patient

MALE_REFERENCE_AGE_YEARS = 25.0  # Khosla 1998: the young men against whom the age-related loss is measured


@dataclass
class PatientState:
    """The patient on a given simulated day."""

    patient: Patient
    biology: BiologyParameters
    day: int = 0

    def advance(self, day: int) -> None:
        self.day = day

    @property
    def age_years(self) -> float:
        return self.patient.age_years + self.day / DAYS_PER_YEAR

    @property
    def years_since_menopause(self) -> float | None:
        ysm = self.patient.years_since_menopause
        return None if ysm is None else ysm + self.day / DAYS_PER_YEAR

    @property
    def estrogen_deficiency(self) -> float:
        """0 (premenopausal woman, young man) .. 1 (full postmenopausal estrogen deficiency)."""
        if self.patient.sex == "male":
            loss = (self.age_years - MALE_REFERENCE_AGE_YEARS) * self.biology.male_bioavailable_estradiol_loss_per_year
            return min(max(loss, 0.0), 1.0)
        ysm = self.years_since_menopause
        if ysm is None:
            return 0.0
        return 1.0 - math.exp(-ysm / self.biology.estradiol_fall_time_constant_years)

    @property
    def on_glucocorticoids(self) -> bool:
        return "glucocorticoid_therapy" in self.patient.conditions

    @property
    def _glucocorticoid_early_phase(self) -> float:
        """1 at the start of glucocorticoid therapy, fading exponentially; 0 without it."""
        if not self.on_glucocorticoids:
            return 0.0
        days_on = self.patient.glucocorticoid_years_of_use * DAYS_PER_YEAR + self.day
        return math.exp(-days_on / self.biology.glucocorticoid_early_phase_days)

    @property
    def rankl_expression_factor(self) -> float:
        """Multiplier of osteocyte RANKL secretion relative to a premenopausal woman."""
        early = 1.0 + (self.biology.glucocorticoid_early_rankl_fold - 1.0) * self._glucocorticoid_early_phase
        return self._fold(self.biology.estrogen_deficiency_rankl_fold) * early

    @property
    def opg_expression_factor(self) -> float:
        """Multiplier of osteocyte OPG secretion (glucocorticoids lower it early in therapy)."""
        return 1.0 + (self.biology.glucocorticoid_early_opg_fold - 1.0) * self._glucocorticoid_early_phase

    @property
    def osteocyte_lifespan_factor(self) -> float:
        return self.biology.glucocorticoid_osteocyte_lifespan_fold if self.on_glucocorticoids else 1.0

    def _fold(self, fold_at_full_deficiency: float) -> float:
        return 1.0 + (fold_at_full_deficiency - 1.0) * self.estrogen_deficiency

    @property
    def osteoclast_lifespan_factor(self) -> float:
        """Multiplier of the osteoclast lifespan relative to a premenopausal woman."""
        return self._fold(self.biology.estrogen_deficiency_osteoclast_lifespan_fold)

    @property
    def osteoblast_lifespan_factor(self) -> float:
        """Multiplier of the osteoblast working lifespan relative to a premenopausal woman."""
        gc = self.biology.glucocorticoid_osteoblast_lifespan_fold if self.on_glucocorticoids else 1.0
        return self._fold(self.biology.estrogen_deficiency_osteoblast_lifespan_fold) * gc

    @property
    def precursor_supply_factor(self) -> float:
        """Multiplier of the osteoclast precursor supply relative to a premenopausal woman."""
        return self._fold(self.biology.estrogen_deficiency_precursor_supply_fold)

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
    Men and premenopausal women: factor 1.

Not yet implemented (issue: BMU cell biology): estrogen effects on osteoclast lifespan and
activation frequency; glucocorticoid effects. `conditions` are validated but do not act yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.scenario.biology import BiologyParameters
from engine.scenario.schema import Patient

DAYS_PER_YEAR = 365.25


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
        """0 (premenopausal or male) .. 1 (full postmenopausal estrogen deficiency)."""
        ysm = self.years_since_menopause
        if self.patient.sex != "female" or ysm is None:
            return 0.0
        return 1.0 - math.exp(-ysm / self.biology.estradiol_fall_time_constant_years)

    @property
    def rankl_expression_factor(self) -> float:
        """Multiplier of osteocyte RANKL secretion relative to a premenopausal woman."""
        return 1.0 + (self.biology.estrogen_deficiency_rankl_fold - 1.0) * self.estrogen_deficiency

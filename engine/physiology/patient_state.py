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

Estrogen deficiency also prolongs osteoclast life (estrogen promotes osteoclast apoptosis: Hughes 1996
Nat Med 2:1132; Nakamura 2007 Cell 130:811) and shortens the working life of osteoblasts (estrogen is
anti-apoptotic for osteoblasts: Kousteni 2001 Cell 104:719; Manolagas 2000 Endocr Rev 21:115), and
expands the osteoclast precursor supply (Jilka 1992 Science 257:88; D'Amelio 2008 Bone 43:92). Each
effect scales linearly with the estrogen deficiency from 1 to its fold at full deficiency. Activation
frequency is not set here: it rises through RANKL (more RANK occupancy on precursors).

Not yet implemented: glucocorticoid effects. `conditions` are validated but do not act yet.
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
        return self._fold(self.biology.estrogen_deficiency_rankl_fold)

    def _fold(self, fold_at_full_deficiency: float) -> float:
        return 1.0 + (fold_at_full_deficiency - 1.0) * self.estrogen_deficiency

    @property
    def osteoclast_lifespan_factor(self) -> float:
        """Multiplier of the osteoclast lifespan relative to a premenopausal woman."""
        return self._fold(self.biology.estrogen_deficiency_osteoclast_lifespan_fold)

    @property
    def osteoblast_lifespan_factor(self) -> float:
        """Multiplier of the osteoblast working lifespan relative to a premenopausal woman."""
        return self._fold(self.biology.estrogen_deficiency_osteoblast_lifespan_fold)

    @property
    def precursor_supply_factor(self) -> float:
        """Multiplier of the osteoclast precursor supply relative to a premenopausal woman."""
        return self._fold(self.biology.estrogen_deficiency_precursor_supply_fold)

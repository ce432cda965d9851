"""Patient state over time (sex, age, menopause, conditions) and the systemic modifiers it implies."""

from engine.physiology.patient_state import PatientState

__all__ = ["PatientState"]

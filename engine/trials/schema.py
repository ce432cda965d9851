"""Trial YAML: a base scenario, arms, a population to sample virtual patients from, inter-individual
variability, the published rows to compare with, and a trial seed. Validated like scenarios (pydantic,
unknown keys refused, errors at file:line with the YAML path, the value and what is allowed).

Example (scenarios/trials/freedom_3y.yaml):

    name: freedom_3y
    base_scenario: ../freedom_patient.yaml
    seed: 2009
    patients_per_arm: 16
    duration_days: 1095
    resolution: {voxel_size_um: 20}
    population: {sex: female, age_years: [60, 90], years_since_menopause: [10, 30], baseline_t_score: [-4.0, -2.5]}
    variability:
      - {parameter: pharmacokinetics.denosumab.linear_clearance_L_per_day, cv_pct: 30, source: "..."}
    arms:
      placebo: {regimen: []}
      denosumab_60mg_q6m: {regimen: [{drug: denosumab, dose_mg: 60, ...}]}
    published:
      file: ../../../shared/validation/targets.md
      rows:
        - {arm: denosumab_60mg_q6m, readout: lumbar_spine_bmd_change_pct, month: 12, mean: 5.5, row: "§3 LS / TH BMD trajectory"}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from engine.scenario.schema import DoseEntry
from engine.units import MAX_DURATION_DAYS

ArmName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", max_length=60)]
#: readouts a trial summarises per arm and compares with published rows (names of /timeseries)
#: what a trial keeps per patient: the patient-level readouts (whole-skeleton layer) first, then the biopsy's
TRIAL_READOUTS = ("lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct", "serum_ctx_change_pct",
                  "serum_p1np_change_pct", "serum_ctx_ng_per_ml", "serum_p1np_ug_per_l", "serum_denosumab_ng_per_ml",
                  "biopsy_bmd_change_pct", "biopsy_ctx_change_pct", "biopsy_p1np_change_pct", "bv_tv")
#: readouts an assay reports at its lower limit of quantification when below it -> that limit's SERUM row
LLOQ_READOUTS = {"serum_ctx_ng_per_ml": "ctx_lloq_ng_per_ml", "serum_p1np_ug_per_l": "p1np_lloq_ug_per_l"}
#: patient keys a trial may vary (numbers the scenario may leave out: then the reference value is the typical one)
PATIENT_VARIABLES = ("patient.serum_ctx_ng_per_ml", "patient.serum_p1np_ug_per_l")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _range(what: str):
    return Field(None, description=f"[low, high] {what}, sampled uniformly per patient; omit to keep the base scenario's value.")


class Population(_Strict):
    sex: Literal["female", "male"] | None = Field(None, description="Overrides the base scenario's sex.")
    age_years: tuple[float, float] | None = _range("age at start (years)")
    years_since_menopause: tuple[float, float] | None = _range("years since menopause (women)")
    baseline_t_score: tuple[float, float] | None = Field(
        None, description=("[low, high] lumbar-spine T-score at baseline, sampled uniformly; sets the patient's "
                           "trabecular BV/TV (engine.trials.cohort.bv_tv_for_t_score)."))
    conditions: tuple[Literal["glucocorticoid_therapy"], ...] | None = Field(
        None, description="Conditions of every patient (overrides the base scenario's).")
    glucocorticoid_years_of_use: tuple[float, float] | None = _range("years on glucocorticoids at start")
    body_weight_kg: tuple[float, float] | None = _range("body weight (kg; scales denosumab PK)")

    @field_validator("age_years", "years_since_menopause", "baseline_t_score", "glucocorticoid_years_of_use",
                     "body_weight_kg")
    @classmethod
    def _ordered(cls, value):
        if value is not None and value[0] > value[1]:
            raise ValueError(f"low must not exceed high, got [{value[0]}, {value[1]}]")
        return value

    @field_validator("age_years")
    @classmethod
    def _adult(cls, value):
        if value is not None and (value[0] < 18 or value[1] > 110):
            raise ValueError("ages must lie within [18, 110] years")
        return value

    @field_validator("baseline_t_score")
    @classmethod
    def _plausible_t(cls, value):
        if value is not None and (value[0] < -6 or value[1] > 3):
            raise ValueError("T-scores must lie within [-6, 3]")
        return value


class Variability(_Strict):
    """Log-normal inter-individual variability: value_i = value × exp(eta_i), eta_i ~ N(0, ω²),
    ω² = ln(1 + CV²) (the usual NONMEM/mrgsolve convention)."""

    parameter: str = Field(description=("Dotted scenario path of a number: biology.<name>, "
                                         "pharmacokinetics.<drug>.<name> (denosumab, alendronate, zoledronate, "
                                         "teriparatide), or a patient's own marker baseline "
                                         "(patient.serum_ctx_ng_per_ml, patient.serum_p1np_ug_per_l)."))
    cv_pct: float = Field(gt=0, le=200, description="Coefficient of variation in % (log-normal).")
    source: str = Field(min_length=1, description="Where the CV comes from (citation, or 'assumption: why').")

    @field_validator("parameter")
    @classmethod
    def _known(cls, value: str) -> str:
        from engine.scenario.biology import numeric_parameters
        from engine.pharmacology.registry import parameter_tables as drug_parameter_tables
        biology = [f"biology.{n}" for n in numeric_parameters()]
        pk = [f"pharmacokinetics.{drug}.{p.name}" for drug, table in drug_parameter_tables().items() for p in table]
        known = biology + pk + list(PATIENT_VARIABLES)
        if value not in known:
            import difflib
            close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close else "allowed: biology.<parameter>, "
                    "pharmacokinetics.<drug>.<parameter> or " + ", ".join(PATIENT_VARIABLES))
            raise ValueError(f"unknown parameter; {hint}")
        return value


class Arm(_Strict):
    regimen: tuple[DoseEntry, ...] = Field((), description="Dosing lines of this arm ([] = placebo).")
    population: Population | None = Field(None, description="Overrides of the trial population for this arm.")


class PublishedRow(_Strict):
    arm: str = Field(description="Arm it compares with.")
    readout: Literal[TRIAL_READOUTS] = Field(description="Readout compared.")
    month: float = Field(ge=0, description="Timepoint (months since the first day; 1 month = 30.44 days).")
    mean: float = Field(description="Published arm value: the mean, or the median when `statistic: median`.")
    statistic: Literal["mean", "median", "peak", "below_lloq_pct"] = Field(
        "mean", description=("How the publication summarised the arm: mean (default) or median of the per-patient "
                             "values, summarised the same way in the simulated arm; 'peak': the largest arm mean "
                             "between `month` and `until_month` (e.g. the size of a rebound overshoot whose "
                             "timing the publication does not pin down), with its 95 % CI on that day; "
                             "'below_lloq_pct': the % of patients whose assay reports the readout at its lower "
                             "limit of quantification (serum_ctx_ng_per_ml, serum_p1np_ug_per_l), with a Wilson "
                             "95 % CI."))
    until_month: float | None = Field(None, ge=0, description="End of the window of a `statistic: peak` row (months).")
    versus: str | None = Field(None, description=("Another arm: the row is the difference arm − versus (e.g. a "
                                                  "'BMD vs placebo' row), compared with the simulated difference."))
    ci95: tuple[float, float] | None = Field(None, description="Published 95 % CI or range, if given.")
    row: str = Field(min_length=3, description="The row of the targets file (section and quantity) it comes from.")
    note: str = ""
    tolerance: float | None = Field(None, ge=0, description=(
        "How far (readout units) the simulated CI may lie outside the published interval and still pass; default: "
        "0 when the row gives a 95 % CI or range, else the readout kind's default (engine.trials.tolerance)."))
    tolerance_why: str = Field("", description="Why this tolerance (required in spirit whenever `tolerance` is set).")

    @model_validator(mode="after")
    def _peak_window(self):
        if self.statistic == "peak":
            if self.until_month is None or self.until_month <= self.month:
                raise ValueError("statistic 'peak' needs until_month after month (the window searched for the peak)")
            if self.versus:
                raise ValueError("statistic 'peak' compares one arm, not a difference 'versus' another arm")
        elif self.until_month is not None:
            raise ValueError("until_month is only used with statistic 'peak'")
        if self.statistic == "below_lloq_pct" and self.readout not in LLOQ_READOUTS:
            raise ValueError(f"statistic 'below_lloq_pct' needs a readout with an assay limit: {', '.join(LLOQ_READOUTS)}")
        if self.statistic == "below_lloq_pct" and self.versus:
            raise ValueError("statistic 'below_lloq_pct' is a share of one arm's patients, not a difference 'versus' "
                             "another arm")
        return self


class Published(_Strict):
    file: str = Field(description="Targets file the rows come from (relative to the trial file).")
    rows: tuple[PublishedRow, ...] = ()


class Resolution(_Strict):
    voxel_size_um: float | None = Field(None, gt=0, description="Overrides the base scenario's voxel size (coarser = faster).")
    volume_size_um: tuple[float, float, float] | None = Field(None, description="Overrides the simulated volume (z, y, x) in µm.")


class Trial(_Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Trial name (output folder).")
    description: str = ""
    base_scenario: str = Field(description="Scenario YAML every patient starts from (relative to the trial file).")
    seed: int = Field(ge=0, description="Trial seed: every patient's seed and characteristics derive from it.")
    patients_per_arm: int = Field(ge=1, le=100000, description="Virtual patients per arm.")
    duration_days: int | None = Field(None, gt=0, le=MAX_DURATION_DAYS, description="Overrides the base scenario's duration.")
    report_every_days: int = Field(7, ge=1, description="Spacing of the per-patient time series kept in trial.h5.")
    volumes_per_arm: int | None = Field(
        None, ge=0, description=("Patients per arm (the first ones) that also get an agent volume (the tissue-level, "
                                 "biopsy readouts); the others run the whole-skeleton layer alone, which gives every "
                                 "patient-level readout in well under a second a simulated year. Omit for all."))
    resolution: Resolution = Field(default_factory=Resolution)
    population: Population = Field(default_factory=Population)
    variability: tuple[Variability, ...] = ()
    arms: dict[ArmName, Arm] = Field(min_length=1, description="Trial arms by name.")
    published: Published | None = None

    @model_validator(mode="after")
    def _rows_name_arms(self):
        for i, row in enumerate(self.published.rows if self.published else ()):
            for key in ("arm", "versus"):
                name = getattr(row, key)
                if name is not None and name not in self.arms:
                    raise ValueError(f"published.rows[{i}].{key} = {name!r} is not an arm of this trial "
                                     f"({', '.join(self.arms)})")
        names = [v.parameter for v in self.variability]
        if len(set(names)) != len(names):
            raise ValueError("variability: a parameter is listed twice")
        return self

"""Typed scenario schema (pydantic v2). Every number carries its unit in its name.

Structure of a scenario file (all keys documented in `scenarios/README.md`):

    name, description, seed, duration_days
    geometry:  volume_size_um, voxel_size_um, structure (synthetic_trabecular | micro_ct)
    patient:   sex, age_years, years_since_menopause, conditions
    regimen:   [ {drug, dose_mg, route, start_day, interval_days, number_of_doses}, ... ]
    arms:      {name: [dosing lines], ...}  (alternative regimens; one run per arm)
    biology:   overrides of `BiologyParameters`
    numerics:  field-solver settings
    outputs:   folder, cadences, snapshot fields

Checks that involve several fields (route allowed for a drug, volume divisible into voxels, ...)
live in `engine.scenario.consistency`, which knows the exact YAML path of each value.
"""

from __future__ import annotations

from engine.units import MAX_DURATION_DAYS

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from engine.scenario.biology import BiologyParameters

SCHEMA_VERSION = 1

ROUTES = ("subcutaneous", "intravenous", "oral")
CONDITIONS = ("glucocorticoid_therapy",)
SNAPSHOT_FIELDS = ("bone_fraction", "mineral_fraction", "rankl_nM", "opg_nM", "rankl_opg_nM", "rank_occupancy",
                   "osteoid_fraction", "bmu_label")



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class SyntheticTrabecular(_Strict):
    """Synthetic trabecular bone: a thresholded band around the zero level set of smoothed noise."""

    type: Literal["synthetic_trabecular"]
    bv_tv: float = Field(gt=0.02, lt=0.6, description="Target bone volume fraction BV/TV (dimensionless).")
    trabecular_thickness_um: float = Field(gt=0, le=1000, description="Target mean trabecular thickness Tb.Th (µm).")
    seed: int = Field(0, ge=0, description="Seed of the geometry generator (independent of the run seed).")


class MicroCTVolume(_Strict):
    """A segmented or grey-value µCT volume (z, y, x): a numpy `.npy` array, a multi-page TIFF stack or a folder of
    TIFF slices (BoneJ/ImageJ exports; an ImageJ calibration in the file must match voxel_size_um)."""

    type: Literal["micro_ct"]
    path: str = Field(min_length=1, description=("Path of the .npy file, .tif/.tiff stack or folder of .tif slices, "
                                                 "relative to the scenario file."))
    bone_threshold: float = Field(
        0.5, description="Voxels with value >= this are bone (for boolean arrays, True is bone).")


Structure = Annotated[Union[SyntheticTrabecular, MicroCTVolume], Field(discriminator="type")]
EdgeUm = Annotated[float, Field(gt=0)]  # an edge length of the volume, µm


class Geometry(_Strict):
    volume_size_um: tuple[EdgeUm, EdgeUm, EdgeUm] | None = Field(
        None, description="Edge lengths of the simulated volume (z, y, x) in µm; for micro_ct, taken from the array if omitted.")
    voxel_size_um: float = Field(gt=0, le=1000, description="Edge length of one cubic voxel in µm.")
    structure: Structure
    drug_reach: Literal["reached", "out_of_reach", "sampled"] = Field(
        "reached", description=(
            "Whether a RANKL binder (denosumab) reaches this volume's marrow. A share of the skeleton's remodeling "
            "sites is out of its reach (its table's out_of_reach_fraction; the whole-skeleton layer always has "
            "both): 'reached' = a typical biopsy, where the drug acts (default); 'out_of_reach' = one of the sites "
            "it does not reach (remodels as untreated); 'sampled' = drawn with that share from the run's seed "
            "(virtual trials' biopsies). Without a RANKL binder in the regimen it changes nothing."))


class Patient(_Strict):
    sex: Literal["female", "male"]
    age_years: float = Field(ge=18, le=110, description="Age at the start of the simulation (years).")
    years_since_menopause: float | None = Field(
        None, ge=0, description="Years since the final menstrual period; omit (null) for premenopausal women and for men.")
    conditions: tuple[Literal["glucocorticoid_therapy"], ...] = Field(
        (), description=("Conditions that change bone biology; empty means none. glucocorticoid_therapy: "
                         "prednisolone >= 7.5 mg/day or equivalent (engine.physiology.patient_state)."))
    glucocorticoid_years_of_use: float = Field(
        0.0, ge=0, le=80, description=("Years on glucocorticoids at day 0 (0 = starting at day 0); only read with "
                                       "the glucocorticoid_therapy condition."))
    body_weight_kg: float | None = Field(
        None, gt=25, le=250, description=("Body weight (kg); scales denosumab clearances and volumes allometrically. "
                                          "Omit for the PK tables' reference adult (66 kg)."))
    serum_ctx_ng_per_ml: float | None = Field(
        None, gt=0, le=10, description=("Her own fasting serum beta-CTX before treatment (ng/mL): the serum CTX "
                                        "readouts scale her changes to it, and the assay reports values below its "
                                        "limit (0.049 ng/mL) at the limit. Omit for the reference of healthy women "
                                        "of the trials' age, 0.387 ng/mL (engine.skeleton.serum)."))
    serum_p1np_ug_per_l: float | None = Field(
        None, gt=0, le=1000, description=("Her own serum total P1NP before treatment (µg/L), as serum_ctx_ng_per_ml "
                                          "(assay limit 5 µg/L). Omit for the reference, 47.7 µg/L."))


class DoseEntry(_Strict):
    """One dosing line, in the NONMEM/mrgsolve vocabulary: start, interval (ii), number of doses (addl+1)."""

    drug: str = Field(description=("A registered drug (engine.pharmacology.registry): denosumab, alendronate, "
                                   "zoledronate, teriparatide; checked with its routes and dose range."))
    dose_mg: float = Field(gt=0, description="Amount per dose in mg (teriparatide 20 µg = 0.02 mg).")
    route: Literal["subcutaneous", "intravenous", "oral"]
    start_day: float = Field(0.0, ge=0, description="Day of the first dose (day 0 = start of the simulation).")
    interval_days: float | None = Field(
        None, gt=0, description="Days between doses; required when number_of_doses > 1.")
    number_of_doses: int = Field(1, ge=1, le=100000, description="How many doses are given.")


class Numerics(_Strict):
    field_cell_size_um: float | None = Field(
        None, gt=0, description=("Cell size of the grid on which RANKL/OPG diffusion is solved (µm); a multiple of "
                                 "voxel_size_um. Default: the smallest multiple of the voxel size >= 20 µm."))
    field_solver_rtol: float = Field(
        1e-3, gt=0, lt=1, description=("Estimated relative error (energy norm) at which the field solver stops: 1e-3 "
                                       "leaves field errors of ~0.1 % (rms), far below what changes a remodeling decision."))
    opg_solver_rtol: float = Field(
        3e-3, gt=0, lt=1, description=("field_solver_rtol for OPG. OPG reaches the osteoclasts only through the "
                                       "RANKL it binds: re-solved daily to 3e-3, its error moves the RANK occupancy "
                                       "less than RANKL's own 1e-3 does, and less than re-solving OPG every third "
                                       "day to 1e-3 did, at half the iterations (benchmarks/bench_field_cadence.py)."))
    field_solver_max_iterations: int = Field(5000, ge=1, description="Iteration cap of the field solver.")
    spin_up_days: int = Field(
        400, ge=0, description=("Days simulated before day 0 with the patient held at day 0, so that BMUs in all "
                                "phases are present when the run starts (a remodeling cycle is ~200 days; every "
                                "statistic of the default volume reaches its steady state by day ~200, and the marker "
                                "baselines average its last 182: benchmarks/bench_spin_up.py)."))
    field_update_days: int = Field(
        1, ge=1, description=("Every this many days RANKL/OPG transport is re-solved for the changed bone and cells "
                              "(binding to OPG and drugs is re-solved daily). Daily by default; 14 keeps every readout "
                              "within ~2.5 standard errors and costs a third (benchmarks/bench_field_cadence.py)."))
    spin_up_field_update_days: int = Field(
        14, ge=1, description=("field_update_days during the spin-up: it only has to reach the remodeling steady "
                               "state, which the cadence does not change, and 14 makes it ~3x cheaper."))
    opg_update_every: int = Field(
        1, ge=1, description=("OPG transport is re-solved at every this-many-th field update (OPG's decay length, "
                              "~1.6 mm, averages over the volume and changes slowly; 3 leaves OPG further from its "
                              "daily solution than re-solving it daily to opg_solver_rtol does (7-40x in rms on "
                              "three seeds; benchmarks/bench_field_cadence.py measures it)."))


class Outputs(_Strict):
    folder: str | None = Field(None, description="Output folder; default outputs/<scenario name>.")
    timeseries_every_days: int = Field(1, ge=1, description="Record /timeseries every this many days.")
    snapshot_every_days: int = Field(90, ge=1, description="Write 3-D /snapshots every this many days.")
    snapshot_fields: tuple[Literal["bone_fraction", "mineral_fraction", "rankl_nM", "opg_nM", "rankl_opg_nM",
                                   "rank_occupancy", "osteoid_fraction", "bmu_label"], ...] = Field(
        ("bone_fraction", "mineral_fraction", "rankl_nM"), description="Fields written at each snapshot.")
    checkpoint_every_days: int = Field(
        365, ge=1, description="Write checkpoint.h5 every this many days (also at the last day and on Ctrl-C/SIGTERM).")


def drug_parameter_tables() -> dict:
    """{drug: its parameter table} (PK and drug action), from the drug registry."""
    from engine.pharmacology.registry import parameter_tables
    return parameter_tables()


class Scenario(_Strict):
    name: str | None = Field(None, min_length=1, max_length=100, description="Run name; default: the file name without .yaml.")
    description: str = Field("", description="Free text shown by `bmu inspect`.")
    seed: int = Field(0, ge=0, description="Seed of the model's random generator (all stochastic decisions).")
    duration_days: int = Field(gt=0, le=MAX_DURATION_DAYS, description="Simulated days (at most 100 years).")
    geometry: Geometry
    patient: Patient
    regimen: tuple[DoseEntry, ...] = Field((), description="Dosing lines; empty means untreated.")
    arms: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", max_length=60)],
               tuple[DoseEntry, ...]] = Field(
        default_factory=dict,
        description=("Named alternative regimens (trial arms, e.g. the doses of a dose-ranging study), each a list "
                     "of dosing lines ([] = placebo). `bmu run --arm NAME` runs one arm; without --arm every arm "
                     "runs, into OUT/<arm>/. When arms are given, `regimen` must be empty."))
    biology: BiologyParameters = Field(default_factory=BiologyParameters)
    pharmacokinetics: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description=("Per-patient drug parameter values by drug and table name (e.g. sampled by a virtual trial), "
                     "e.g. {denosumab: {linear_clearance_L_per_day: 0.09}}; each must be > 0; empty = the cited "
                     "table values (engine.pharmacology, drug_parameter_tables())."))
    numerics: Numerics = Field(default_factory=Numerics)
    outputs: Outputs = Field(default_factory=Outputs)

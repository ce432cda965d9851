"""Virtual patients of a trial: characteristics sampled from the population, parameters with
inter-individual variability, and seeds, all derived from the trial seed.

Each patient's agent volume is a biopsy taken where it falls (`geometry.drug_reach: sampled`): a share of them
(a RANKL binder's `out_of_reach_fraction`) lies where the binder does not reach, as in the trial biopsies.

Patient i of every arm is the same virtual person (same seed, same uniform draws, hence the same age,
baseline T-score, geometry and parameter deviations, mapped through the arm's population if it has
its own): arms differ by their regimen only, as in a crossover of identical twins (common random
numbers make arm differences precise with few patients). Nothing depends on the number of workers or
the order in which patients finish.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from engine.parameters import values
from engine.scenario.loader import LoadedScenario, set_dotted
from engine.pharmacology.registry import parameter_tables as drug_parameter_tables
from engine.skeleton.serum import SERUM
from engine.trials.schema import Population, Trial

#: Lumbar-spine BMD: young-adult SD ≈ 10.5 % of the young-adult mean (NHANES III / Hologic reference:
#: 1.047 ± 0.110 g/cm²; Looker 1998 Osteoporos Int 8:468), so a T-score T means BMD ≈ mean × (1 + 0.105 T).
T_SCORE_SD_FRACTION = 0.105
#: Trabecular BV/TV of young adult (premenopausal) women, iliac crest ≈ 0.22–0.25 (Recker 2004 JBMR
#: 19:1628; Parfitt 1983). Assumption: spine BMD scales with trabecular BV/TV at fixed mineralization.
YOUNG_ADULT_BV_TV = 0.24


#: The value a patient key takes when the scenario omits it (engine.skeleton.serum): the cohort mean of a trial's
#: variability of that key (a population mean ± SD; `build_cohort`).
PATIENT_REFERENCES = {"patient.serum_ctx_ng_per_ml": SERUM.ctx_reference_ng_per_ml.value,
                      "patient.serum_p1np_ug_per_l": SERUM.p1np_reference_ug_per_l.value}


#: Natural menopause happens at ≥ 40 y (before 40 it is premature ovarian insufficiency; ESHRE 2016
#: guideline); sampled years since menopause are capped at age − 40.
MIN_MENOPAUSE_AGE_YEARS = 40.0


def bv_tv_for_t_score(t_score: float) -> float:
    """Trabecular BV/TV of a patient whose lumbar-spine T-score is `t_score` (clipped to 0.05–0.40)."""
    return float(np.clip(YOUNG_ADULT_BV_TV * (1.0 + T_SCORE_SD_FRACTION * t_score), 0.05, 0.40))


@dataclass(frozen=True)
class PatientSpec:
    """Everything a worker needs to simulate one patient (plain data: it travels to Dask workers)."""

    arm: str
    index: int                   # within the arm (the same person in every arm)
    patient_id: str              # "<arm>-<index:04d>"
    seed: int                    # model seed
    characteristics: dict        # sampled values, for trial.h5 and the report
    scenario: dict = field(repr=False)   # full scenario (JSON-able), validated on the worker
    volume: bool = True          # False: the whole-skeleton layer alone (no agent volume)
    also_days: tuple[int, ...] = ()  # days kept besides every report_every_days-th: the published rows' days


def published_days(trial: Trial) -> tuple[int, ...]:
    """The days the published rows compare (a row's month × 30.44 d, rounded): kept in every patient's series
    even off the report grid, so a day-3 row compares day 3 and not the nearest weekly day."""
    from engine.io.published import MONTH_DAYS
    rows = trial.published.rows if trial.published else ()
    return tuple(sorted({int(round(r.month * MONTH_DAYS)) for r in rows}))


def _uniform(u: float, bounds):
    return None if bounds is None else float(bounds[0] + u * (bounds[1] - bounds[0]))


def _get(data: dict, dotted: str):
    node = data
    for key in dotted.split("."):
        node = node[key]
    return node


def build_cohort(trial: Trial, base: LoadedScenario, patients_per_arm: int | None = None,
                 volumes_per_arm: int | None = None) -> list[PatientSpec]:
    """All patients of all arms, arm by arm (arm order of the YAML), index 0..n-1; the first
    `volumes_per_arm` (default: the trial's; None there: all) also get an agent volume."""
    n = trial.patients_per_arm if patients_per_arm is None else patients_per_arm
    volumes = trial.volumes_per_arm if volumes_per_arm is None else volumes_per_arm
    base_data = base.scenario.model_dump(mode="json")
    pk_tables = {drug: values(table) for drug, table in drug_parameter_tables().items()}
    row_days = published_days(trial)
    # person i: one generator per index, from the trial seed (SeedSequence spawn keys)
    draws = []
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence(trial.seed, spawn_key=(i,)))
        draws.append({
            "seed": int(rng.integers(0, 2**31 - 1)),
            "geometry_seed": int(rng.integers(0, 2**31 - 1)),
            "u_age": float(rng.random()), "u_ysm": float(rng.random()), "u_t": float(rng.random()),
            "z": rng.standard_normal(len(trial.variability)),
            "u_gc": float(rng.random()), "u_wt": float(rng.random()),  # drawn last: earlier draws stay as they were
        })
    cohort = []
    for arm_name, arm in trial.arms.items():
        population = _merge(trial.population, arm.population)
        for i, d in enumerate(draws):
            data = copy.deepcopy(base_data)
            data["arms"] = {}
            data["regimen"] = [line.model_dump(mode="json") for line in arm.regimen]
            data["seed"] = d["seed"]
            data["name"] = f"{trial.name}_{arm_name}-{i:04d}"
            if trial.duration_days is not None:
                data["duration_days"] = trial.duration_days
            if trial.resolution.voxel_size_um is not None:
                data["geometry"]["voxel_size_um"] = trial.resolution.voxel_size_um
            if trial.resolution.volume_size_um is not None:
                data["geometry"]["volume_size_um"] = list(trial.resolution.volume_size_um)
            # a trial's biopsies fall where they fall: a share of them where a RANKL binder does not reach
            data["geometry"]["drug_reach"] = "sampled"
            duration = data["duration_days"]
            data["outputs"].update(snapshot_every_days=duration, checkpoint_every_days=duration, timeseries_every_days=1)
            chars: dict = {}
            patient = data["patient"]
            if population.sex is not None:
                patient["sex"] = population.sex
            age = _uniform(d["u_age"], population.age_years)
            if age is not None:
                patient["age_years"] = chars["age_years"] = round(age, 2)
            ysm = _uniform(d["u_ysm"], population.years_since_menopause)
            if patient["sex"] == "male":
                patient["years_since_menopause"] = None
            elif ysm is not None:
                # menopause no earlier than 40 y (earlier is premature ovarian insufficiency, another population)
                ysm = min(ysm, max(patient["age_years"] - MIN_MENOPAUSE_AGE_YEARS, 0.0))
                patient["years_since_menopause"] = chars["years_since_menopause"] = round(ysm, 2)
            if population.conditions is not None:
                patient["conditions"] = list(population.conditions)
            for key, u in (("glucocorticoid_years_of_use", d["u_gc"]), ("body_weight_kg", d["u_wt"])):
                value = _uniform(u, getattr(population, key))
                if value is not None:
                    patient[key] = chars[key] = round(value, 2)
            t_score = _uniform(d["u_t"], population.baseline_t_score)
            structure = data["geometry"]["structure"]
            if structure.get("type") == "synthetic_trabecular":
                structure["seed"] = d["geometry_seed"]
                if t_score is not None:
                    chars["baseline_t_score"] = round(t_score, 3)
                    structure["bv_tv"] = chars["bv_tv"] = round(bv_tv_for_t_score(t_score), 4)
            for v, z in zip(trial.variability, d["z"]):
                omega = float(np.sqrt(np.log1p((v.cv_pct / 100.0) ** 2)))
                if v.parameter.startswith("pharmacokinetics."):
                    _, drug, name = v.parameter.split(".")
                    typical = data.get("pharmacokinetics", {}).get(drug, {}).get(name, pk_tables[drug][name])
                else:
                    typical = _get(data, v.parameter)
                    if typical is None:  # a patient key the scenario leaves at its reference (PATIENT_REFERENCES):
                        # a cited mean ± SD, so the log-normal's median is set where its mean is the reference
                        typical = PATIENT_REFERENCES[v.parameter] / np.sqrt(1.0 + (v.cv_pct / 100.0) ** 2)
                value = float(typical * np.exp(omega * z))
                set_dotted(data, v.parameter, value)
                chars[v.parameter] = value
            volume = volumes is None or i < volumes
            cohort.append(PatientSpec(arm=arm_name, index=i, patient_id=f"{arm_name}-{i:04d}", seed=d["seed"],
                                      characteristics=chars, scenario=data, volume=volume, also_days=row_days))
    return cohort


def _merge(trial_population: Population, arm_population: Population | None) -> Population:
    if arm_population is None:
        return trial_population
    update = {k: v for k, v in arm_population.model_dump().items() if v is not None}
    return trial_population.model_copy(update=update)

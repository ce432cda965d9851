"""The sweep YAML: a base scenario, the scenario keys to vary (with their ranges), the design and the outputs.

    name: rankl_drivers
    base_scenario: ../denosumab_60mg_q6m_3y.yaml     # relative to this file
    solver: skeleton          # whole-skeleton layer (deterministic, < 1 s a patient-year) or volume (agents)
    duration_days: 365        # optional: overrides the base scenario's
    method: morris            # morris (elementary effects), sobol (variance-based), grid (full factorial)
    samples: 10               # morris: trajectories; sobol: base samples N (N·(k+2) runs); grid: ignored
    seed: 1
    parameters:
      - {key: biology.osteocyte_rankl_secretion_molecules_per_day, low: 300, high: 900}
      - {key: pharmacokinetics.denosumab.linear_clearance_L_per_day, low: 0.04, high: 0.12}
    outputs: [lumbar_spine_bmd_change_pct, serum_ctx_change_pct]     # each run's value on its last day
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.units import MAX_DURATION_DAYS

#: runs a sweep may ask for (each is a whole patient; a volume run costs ~10 s a simulated year)
MAX_RUNS = 20000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def scenario_keys() -> list[str]:
    """Dotted numeric scenario keys a sweep may vary."""
    from engine.pharmacology.registry import parameter_tables
    from engine.scenario.biology import numeric_parameters

    keys = [f"biology.{n}" for n in numeric_parameters()]
    keys += [f"pharmacokinetics.{drug}.{p.name}" for drug, table in parameter_tables().items() for p in table]
    keys += ["patient.age_years", "patient.years_since_menopause", "patient.body_weight_kg",
             "patient.glucocorticoid_years_of_use", "geometry.structure.bv_tv",
             "geometry.structure.trabecular_thickness_um"]
    return keys


class SweepParameter(_Strict):
    key: str = Field(description="Dotted scenario key: biology.<name>, pharmacokinetics.<drug>.<name>, patient.<name>, "
                                 "geometry.structure.bv_tv or geometry.structure.trabecular_thickness_um.")
    low: float | None = Field(None, description="Lower end of the range (morris, sobol).")
    high: float | None = Field(None, description="Upper end of the range (morris, sobol).")
    values: tuple[float, ...] | None = Field(None, min_length=1, max_length=50, description="Values of a grid sweep.")

    @field_validator("key")
    @classmethod
    def _known(cls, value: str) -> str:
        keys = scenario_keys()
        if value not in keys:
            import difflib
            close = difflib.get_close_matches(value, keys, n=1, cutoff=0.6)
            raise ValueError("unknown scenario key; " + (f"did you mean '{close[0]}'?" if close else
                                                         "allowed: biology.<name>, pharmacokinetics.<drug>.<name>, "
                                                         "patient.<name>, geometry.structure.<bv_tv|trabecular_thickness_um>"))
        return value

    @model_validator(mode="after")
    def _range(self):
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError("give low and high (morris, sobol) or values (grid)")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


class Sweep(_Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="Sweep name (output folder).")
    description: str = ""
    base_scenario: str = Field(description="Scenario YAML every run starts from (relative to the sweep file).")
    solver: Literal["skeleton", "volume"] = Field(
        "skeleton", description=("skeleton: the whole-skeleton layer alone (patient-level readouts, deterministic, fast); "
                                 "volume: the agent volume and the layer, as `bmu run` (tissue readouts too)."))
    duration_days: int | None = Field(None, gt=0, le=MAX_DURATION_DAYS, description="Overrides the base scenario's.")
    method: Literal["morris", "sobol", "grid"] = Field(
        "morris", description="morris: elementary effects (ranking, k·(samples) ... runs); sobol: first-order and total "
                              "indices (samples·(k+2) runs); grid: every combination of `values`.")
    samples: int = Field(10, ge=2, le=4096, description="morris: trajectories; sobol: base samples (a power of 2 is best).")
    seed: int = Field(0, ge=0, description="Seed of the design (and of every run: common random numbers).")
    parameters: tuple[SweepParameter, ...] = Field(min_length=1, max_length=40)
    outputs: tuple[str, ...] = Field(min_length=1, description="Readouts whose last-day value each run reports.")

    @model_validator(mode="after")
    def _design(self):
        if self.method == "grid":
            missing = [p.key for p in self.parameters if p.values is None]
            if missing:
                raise ValueError(f"method grid needs `values` for every parameter (missing for {', '.join(missing)})")
        else:
            missing = [p.key for p in self.parameters if p.low is None]
            if missing:
                raise ValueError(f"method {self.method} needs low and high for every parameter (missing for "
                                 f"{', '.join(missing)})")
            if len(self.parameters) < 2 and self.method == "sobol":
                raise ValueError("method sobol needs at least 2 parameters")
        if len({p.key for p in self.parameters}) != len(self.parameters):
            raise ValueError("a key is listed twice in parameters")
        return self

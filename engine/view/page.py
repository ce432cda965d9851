"""Assemble the SolaraViz page for a scenario (live) or a results file (replay)."""

from __future__ import annotations

from pathlib import Path

from mesa.visualization import SolaraViz

from engine.scenario.loader import load_scenario
from engine.view.components import COMPONENTS
from engine.view.models import SCENARIO_REGIMEN, LiveBoneModel, ReplayModel, regimen_choices


def is_results_file(source: str | Path) -> bool:
    return Path(source).suffix.lower() in (".h5", ".hdf5")


def live_model_params(scenario_path: str | Path, spin_up_days: int | None = None) -> dict:
    """SolaraViz inputs of a live view: regimen, years since menopause and seed, from the scenario's values.

    Reset re-creates the model with these, so they are LiveBoneModel keyword arguments."""
    loaded = load_scenario(scenario_path)
    patient = loaded.scenario.patient
    params: dict = {
        "scenario_path": str(scenario_path),
        "spin_up_days": spin_up_days,
        "regimen": {"type": "Select", "value": SCENARIO_REGIMEN, "values": regimen_choices(loaded),
                    "label": "regimen"},
        "seed": {"type": "SliderInt", "value": int(loaded.scenario.seed), "min": 0, "max": 100, "step": 1,
                 "label": "seed"},
    }
    if patient.sex == "female":
        ysm = patient.years_since_menopause
        params["years_since_menopause"] = {
            "type": "SliderFloat", "value": float(ysm) if ysm is not None else -1.0, "min": -1.0, "max": 30.0,
            "step": 0.5, "label": "years since menopause (-1 = premenopausal)"}
    return params


def build_page(source: str | Path, spin_up_days: int | None = None):
    """The SolaraViz element for `source` (scenario YAML → live model; results.h5 → replay)."""
    if is_results_file(source):
        model = ReplayModel(results_path=str(source))
        return SolaraViz(model, components=COMPONENTS, model_params={"results_path": str(source)},
                         name=f"bmu view — replay of {model.run_name} ({Path(source).name})", play_interval=300)
    params = live_model_params(source, spin_up_days)
    initial = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    model = LiveBoneModel(**initial)
    # the title names the scenario, not its path (a screenshot must not carry the folder of the machine)
    return SolaraViz(model, components=COMPONENTS, model_params=params, name=f"bmu view — {model.loaded.name} "
                     f"({Path(source).name})",
                     play_interval=1)

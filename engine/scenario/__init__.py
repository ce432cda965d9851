"""Scenario YAML: typed schema, loading, and error messages that name the YAML path."""

from engine.scenario.loader import LoadedScenario, ScenarioError, load_scenario, scenario_from_dict, scenario_from_text
from engine.scenario.schema import SCHEMA_VERSION, Scenario

__all__ = ["LoadedScenario", "ScenarioError", "load_scenario", "scenario_from_dict", "scenario_from_text",
           "SCHEMA_VERSION", "Scenario"]

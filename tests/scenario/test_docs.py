"""scenarios/README.md documents every key the schema accepts, with the real defaults."""

from pydantic import BaseModel

from engine.scenario import schema
from engine.scenario.docs import BEGIN, END, biology_table_markdown
from tests.conftest import SCENARIOS

README = (SCENARIOS / "README.md").read_text(encoding="utf-8")


def test_biology_table_is_generated_from_the_code():
    table = README[README.index(BEGIN) + len(BEGIN):README.index(END)].strip()
    assert table == biology_table_markdown(), "run: python -m engine.scenario.docs --write"


def test_every_schema_key_is_documented():
    models = [schema.Scenario, schema.Geometry, schema.SyntheticTrabecular, schema.MicroCTVolume, schema.Patient,
              schema.DoseEntry, schema.Numerics, schema.Outputs]
    for model in models:
        assert issubclass(model, BaseModel)
        for key in model.model_fields:
            if key == "type":
                continue
            assert f"`{key}`" in README, f"{model.__name__}.{key} is not documented in scenarios/README.md"


def test_every_shipped_scenario_is_listed():
    for path in SCENARIOS.glob("*.yaml"):
        assert f"`{path.name}`" in README

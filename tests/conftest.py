"""Shared fixtures: small scenarios that build in well under a second."""

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"

SMALL_SCENARIO = textwrap.dedent("""\
    name: small
    seed: 3
    duration_days: 5
    geometry:
      volume_size_um: [240, 240, 240]
      voxel_size_um: 10
      structure: {type: synthetic_trabecular, bv_tv: 0.25, trabecular_thickness_um: 60, seed: 2}
    patient: {sex: female, age_years: 62, years_since_menopause: 10}
    outputs:
      snapshot_every_days: 2
      snapshot_fields: [bone_fraction, rankl_nM, opg_nM]
    """)


@pytest.fixture
def small_scenario_text() -> str:
    return SMALL_SCENARIO


@pytest.fixture
def small_scenario_file(tmp_path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SCENARIO)
    return path

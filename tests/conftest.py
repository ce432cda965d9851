"""Shared fixtures: small scenarios that build in well under a second.

SMALL_SCENARIO is a 240 µm cube: big enough for fields and I/O, far too small for BMU statistics (one
cavity is ~1 % of 1 mm³ of bone), so it has no spin-up; tests/validation uses larger volumes.
"""

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
    numerics:
      spin_up_days: 0
    """)


@pytest.fixture
def small_scenario_text() -> str:
    return SMALL_SCENARIO


@pytest.fixture
def small_scenario_file(tmp_path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SCENARIO)
    return path

"""A small scenario for the view: denosumab from day 0, so the drug and free RANKL change every day
(the browser test relies on a slice that changes when it presses Step), and a short spin-up."""

import pytest

from tests.conftest import SMALL_SCENARIO

VIEW_SCENARIO = SMALL_SCENARIO.replace("duration_days: 5", "duration_days: 60").replace(
    "spin_up_days: 0", "spin_up_days: 10") + """\
regimen:
  - {drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: 0}
"""


@pytest.fixture
def view_scenario_file(tmp_path):
    path = tmp_path / "view.yaml"
    path.write_text(VIEW_SCENARIO)
    return path

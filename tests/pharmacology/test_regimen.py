"""Regimen expansion: every administration, in order, from the scenario's dosing lines."""

import pytest

from engine.pharmacology import DoseEvent, doses_on_day, expand_regimen
from engine.scenario import load_scenario
from engine.scenario.schema import DoseEntry
from tests.conftest import SCENARIOS


def test_denosumab_q6m_for_three_years():
    regimen = load_scenario(SCENARIOS / "denosumab_60mg_q6m_3y.yaml").scenario.regimen
    events = expand_regimen(regimen)
    assert len(events) == sum(d.number_of_doses for d in regimen)
    first = regimen[0]
    assert [e.day for e in events[:2]] == [first.start_day, first.start_day + first.interval_days]
    assert all(e.drug == "denosumab" and e.dose_mg == 60.0 and e.route == "subcutaneous" for e in events)


def test_stop_and_restart_lines_interleave_sorted():
    """Four doses q182d, a gap (missed dose), then re-started: two lines, one sorted event list."""
    lines = [DoseEntry(drug="denosumab", dose_mg=60, route="subcutaneous", start_day=0, interval_days=182,
                       number_of_doses=4),
             DoseEntry(drug="zoledronate", dose_mg=5, route="intravenous", start_day=600),
             DoseEntry(drug="denosumab", dose_mg=60, route="subcutaneous", start_day=900.5, interval_days=182,
                       number_of_doses=2)]
    events = expand_regimen(lines)
    assert [e.day for e in events] == [0, 182, 364, 546, 600, 900.5, 1082.5]
    assert [e.line for e in events] == [0, 0, 0, 0, 1, 2, 2]
    assert events == sorted(events)
    assert doses_on_day(events, 900) == [DoseEvent(900.5, "denosumab", 60.0, "subcutaneous", 2)]
    assert doses_on_day(events, 600, drug="denosumab") == []
    assert doses_on_day(events, 601) == []


def test_untreated_has_no_events():
    assert expand_regimen(()) == []


@pytest.mark.parametrize("n", [1, 3, 40])
def test_single_line_count(n):
    entry = DoseEntry(drug="alendronate", dose_mg=70, route="oral", start_day=3, interval_days=7, number_of_doses=n)
    events = expand_regimen([entry])
    assert len(events) == n and events[-1].day == 3 + 7 * (n - 1)

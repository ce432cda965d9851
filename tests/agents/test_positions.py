"""PositionTable keeps exactly the positions of the agents present."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.agents.positions import PositionTable


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 30)), max_size=200))
def test_matches_a_dict_of_present_agents(operations):
    table, present = PositionTable(capacity=4), {}
    for add, agent in operations:
        if add and agent not in present:
            present[agent] = (agent, agent + 1, agent + 2)
            table.add(agent, present[agent])
        elif not add and agent in present:
            del present[agent]
            table.remove(agent)
    got = sorted(map(tuple, table.positions().tolist()))
    assert got == sorted(present.values()) and len(table) == len(present)


def test_model_table_follows_births_and_removals(small_scenario_text):
    from engine.model import BoneModel
    from engine.scenario.loader import scenario_from_text
    model = BoneModel(scenario_from_text(small_scenario_text).scenario)
    def same():
        return sorted(map(tuple, model.cells.osteocyte_voxels.positions().tolist())) == sorted(c.voxel for c in model.osteocytes)
    assert same()
    cell = next(iter(model.osteocytes))
    cell.remove()
    assert same()
    for _ in range(5):
        model.step()
    assert same()

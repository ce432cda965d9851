"""BMURegistry: labels, the label -> phase table, retiring finished BMUs, windows for readouts."""

from engine.agents.bmu import FORMATION, RESORPTION, REVERSAL
from engine.processes.bmu_registry import BMURegistry


def test_labels_phases_and_retirement():
    reg = BMURegistry()
    a = reg.new_bmu((0, 0, 0), clock=5, targeted=False)
    b = reg.new_bmu((1, 1, 1), clock=6, targeted=True)
    unit = reg.new_bmu((2, 2, 2), clock=7, targeted=False, modeling=True)
    assert (a.label, b.label, unit.label) == (1, 2, 3)
    assert reg.activation_clock_days == [5, 6]  # a modeling unit is not an activation
    b.enter_reversal(clock=10, delay_days=3)
    unit.start_modeling(7, __import__("numpy").arange(3), 500.0)
    table = reg.phase_table()
    assert table[:4].tolist() == [0, RESORPTION, REVERSAL, FORMATION]
    unit.formed(40.0)
    assert reg.modeling_formed_total_um3() == 40.0
    unit.finish(20)
    reg.retire(unit)
    assert reg.modeling_formed_um3 == 40.0 and reg.completed == []  # kept out of BMU histomorphometry
    assert reg.phase_table()[3] == 0
    assert reg.activations_within(1, clock=6) == 1 and reg.activations_within(10, clock=6) == 2


def test_phase_table_grows_with_labels():
    reg = BMURegistry()
    for i in range(3000):
        reg.new_bmu((0, 0, 0), clock=i, targeted=False)
    table = reg.phase_table()
    assert table.size > 3000 and table[2999] == RESORPTION

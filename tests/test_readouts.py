"""Readouts: the table has every registered drug's readouts and the record fills every name of it."""

import math

from engine.model import BoneModel
from engine.pharmacology import registry
from engine.readouts import CORE_READOUTS, readout_table, record
from engine.scenario import scenario_from_text
from tests.conftest import SMALL_SCENARIO


def test_table_and_record_agree():
    table = readout_table()
    assert set(CORE_READOUTS) <= set(table)
    assert set(registry.drug_readouts()) <= set(table)
    model = BoneModel(scenario_from_text(SMALL_SCENARIO).scenario)
    model.step()
    row = record(model)
    assert set(row) == set(table)
    assert row["day"] == 1 and 0 < row["bv_tv"] < 1 and row["serum_denosumab_ng_per_ml"] == 0.0
    assert all(isinstance(v, (int, float)) for v in row.values())
    assert math.isfinite(row["free_rankl_nM"]) and row["n_osteocytes"] > 0

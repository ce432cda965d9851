"""SourceTable: the arrays equal the dict-of-rows twin (insertion order kept) through births, deaths, secretion
changes, compactions and growth."""

import numpy as np

from engine.agents.source_table import SourceTable


def test_arrays_equal_an_ordered_dict_through_random_changes():
    rng = np.random.default_rng(3)
    table = SourceTable(capacity=8)
    twin: dict[int, tuple] = {}
    next_id = 0
    for _ in range(2000):
        action = rng.random()
        if action < 0.45 or not twin:
            voxel = tuple(int(v) for v in rng.integers(0, 50, 3))
            row = (*voxel, float(rng.random()), float(rng.random()))
            table.set(next_id, voxel, row[3], row[4])
            twin[next_id] = row
            next_id += 1
        elif action < 0.8:
            uid = int(rng.choice(list(twin)))
            table.remove(uid)
            del twin[uid]
        else:  # a secretion change keeps the cell's place in the order
            uid = int(rng.choice(list(twin)))
            voxel = twin[uid][:3]
            row = (*voxel, float(rng.random()), float(rng.random()))
            table.set(uid, voxel, row[3], row[4])
            twin[uid] = row
        positions, rankl, opg, ids = table.arrays()
        expected = np.array(list(twin.values()), dtype=np.float64).reshape(-1, 5)
        assert len(table) == len(twin)
        np.testing.assert_array_equal(ids, np.array(list(twin), dtype=np.int64))
        np.testing.assert_array_equal(table.ids(), ids)
        np.testing.assert_array_equal(positions, expected[:, :3].astype(np.int64))
        np.testing.assert_array_equal(rankl, expected[:, 3])
        np.testing.assert_array_equal(opg, expected[:, 4])
        assert positions.dtype == np.int64 and rankl.flags.c_contiguous and opg.flags.c_contiguous
    assert table._alive.size < 4 * 2000  # compaction reclaims dead rows instead of growing without end

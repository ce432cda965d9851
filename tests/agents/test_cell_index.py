"""CellIndex: one index of resident cells; osteocytes in creation order for the field sources."""

import mesa
import numpy as np

from engine.agents.cell_index import CellIndex
from engine.agents.osteoblast import LINING, Osteoblast
from engine.agents.osteocyte import Osteocyte


class Host(mesa.Model):
    def __init__(self):
        super().__init__(rng=1)
        self.cells = CellIndex((4, 5, 6))


def test_cells_register_themselves_and_leave_on_removal():
    host = Host()
    a = Osteocyte(host, (0, 1, 2), 10.0, 1.0)
    b = Osteocyte(host, (3, 4, 5), 20.0, 2.0)
    lining = Osteoblast(host, (0, 1, 2), state=LINING)
    idx = host.cells
    assert idx.flat((3, 4, 5)) == np.ravel_multi_index((3, 4, 5), (4, 5, 6))
    assert idx.occupants[idx.flat((0, 1, 2))] == [a, lining]
    positions, rankl, opg, ids = idx.sources()
    assert positions.tolist() == [[0, 1, 2], [3, 4, 5]] and rankl.tolist() == [10.0, 20.0] and ids.tolist() == [
        a.unique_id, b.unique_id]
    b.rankl_secretion_molecules_per_day = 30.0
    assert idx.sources()[1].tolist() == [10.0, 30.0]  # rebuilt after a change
    a.remove()
    lining.remove()
    assert idx.osteocyte_ids().tolist() == [b.unique_id]
    assert idx.occupants[idx.flat((0, 1, 2))] == []
    assert sorted(map(tuple, idx.osteocyte_voxels.positions().tolist())) == [(3, 4, 5)]
    assert idx.take_occupants(idx.flat((3, 4, 5))) == [b] and idx.take_occupants(idx.flat((3, 4, 5))) == []


def test_lining_cells_at_ranks_equal_the_sorted_list():
    """Selection by rank gives the cells the full creation-ordered list has there, whatever order they became
    lining cells in."""
    host = Host()
    cells = [Osteoblast(host, (i % 4, i % 5, i % 6)) for i in range(30)]
    for cell in np.random.default_rng(2).permutation(cells):
        cell.become_lining()
    ranks = np.array([0, 3, 17, 29])
    full = [host.cells.lining[k] for k in sorted(host.cells.lining)]  # the twin: sort them all
    assert [c.unique_id for c in full] == sorted(c.unique_id for c in cells)
    assert host.cells.lining_cells_at(ranks) == [full[i] for i in ranks]
    assert host.cells.lining_cells_at(np.array([], np.int64)) == []

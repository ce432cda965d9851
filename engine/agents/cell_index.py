"""CellIndex: the one place that knows where the resident cells are.

Osteocytes live in lacunae and lining cells on the quiescent surface; both are in a voxel and both go
when a BMU resorbs that voxel. The index holds, for the model:
- the cells in each voxel (flat index -> cells), so resorption evicts what it excavated;
- the osteocytes in creation order with their secretion, as arrays for the field solver
  (`sources()`: positions, RANKL, OPG, ids; rebuilt only after a change), and
- their positions in a `PositionTable`, so the browser view's frame costs no walk over the agents.

Cells register themselves (`Osteocyte.__init__`, `Osteoblast.become_lining`) and unregister on removal;
nothing else writes here.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from engine.agents.positions import PositionTable
from engine.agents.source_table import SourceTable


class CellIndex:
    def __init__(self, shape: tuple[int, int, int]):
        self.shape = tuple(int(n) for n in shape)
        self.occupants: dict[int, list] = defaultdict(list)  # flat voxel -> osteocytes / lining cells
        # cells per voxel as an array, so resorption finds the occupied voxels of a cavity without a dict lookup
        # per voxel
        self.occupied = np.zeros(int(np.prod(self.shape)), np.int16)
        self.lining: dict[int, object] = {}  # unique_id -> lining cell (lining-cell reactivation draws from them)
        self.osteocytes: dict[int, object] = {}  # unique_id -> osteocyte, in creation order
        self.osteocyte_voxels = PositionTable()
        # per osteocyte (z, y, x, RANKL, OPG), kept as cells come, go and change their secretion, so the source
        # arrays are one selection instead of a walk over every osteocyte's attributes
        self._source_rows = SourceTable()
        self._sources = None  # cached (positions, rankl, opg, ids); None = rebuild

    def flat(self, voxel) -> int:
        _, ny, nx = self.shape
        return (int(voxel[0]) * ny + int(voxel[1])) * nx + int(voxel[2])

    # --- registration (called by the cells themselves) ---------------------------------------------
    def add_occupant(self, cell) -> None:
        flat = self.flat(cell.voxel)
        self.occupants[flat].append(cell)
        self.occupied[flat] += 1

    def remove_occupant(self, cell) -> None:
        flat = self.flat(cell.voxel)
        cells = self.occupants.get(flat)
        if cells and cell in cells:
            cells.remove(cell)
            self.occupied[flat] -= 1

    def add_lining(self, cell) -> None:
        self.add_occupant(cell)
        self.lining[cell.unique_id] = cell

    def remove_lining(self, cell) -> None:
        self.remove_occupant(cell)
        self.lining.pop(cell.unique_id, None)

    def add_osteocyte(self, cell) -> None:
        self.osteocytes[cell.unique_id] = cell
        self.osteocyte_voxels.add(cell.unique_id, cell.voxel)
        self.add_occupant(cell)
        self.secretion_changed(cell)

    def remove_osteocyte(self, cell) -> None:
        del self.osteocytes[cell.unique_id]
        self._source_rows.remove(cell.unique_id)
        self.osteocyte_voxels.remove(cell.unique_id)
        self.remove_occupant(cell)
        self._sources = None

    def secretion_changed(self, cell) -> None:
        self._source_rows.set(cell.unique_id, cell.voxel, cell.rankl_secretion_molecules_per_day,
                              cell.opg_secretion_molecules_per_day)
        self._sources = None

    # --- reading ---------------------------------------------------------------------------------
    def take_occupants(self, flat_voxel: int) -> list:
        """The cells in a voxel, forgotten here (the caller removes them: their voxel was resorbed)."""
        self.occupied[flat_voxel] = 0
        return self.occupants.pop(flat_voxel, [])

    def lining_cells_at(self, ranks: np.ndarray) -> list:
        """The lining cells at these ranks of creation order (unique ids grow with creation, as Mesa's agent
        sets), found by selection (O(n)) instead of sorting them all: lining-cell reactivation takes a few a
        day out of tens of thousands in a large volume."""
        if len(ranks) == 0:
            return []
        ids = np.fromiter(self.lining.keys(), dtype=np.int64, count=len(self.lining))
        ranks = np.asarray(ranks, dtype=np.int64)
        return [self.lining[int(k)] for k in np.partition(ids, ranks)[ranks]]

    def sources(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(positions (n, 3), RANKL and OPG secretion (molecules/day), unique ids) of the osteocytes, in
        creation order."""
        if self._sources is None:
            self._sources = self._source_rows.arrays()
        return self._sources

    def osteocyte_positions(self) -> np.ndarray:
        """(n, 3) int array of osteocyte voxels (z, y, x), in creation order."""
        return self.sources()[0]

    def osteocyte_ids(self) -> np.ndarray:
        """Unique ids of the osteocytes, in the order of `osteocyte_positions()` (read off the index, without
        rebuilding the source arrays: osteocyte turnover asks for them every day)."""
        if self._sources is not None:
            return self._sources[3]
        return self._source_rows.ids()

"""SourceTable: the osteocytes' field sources (voxel, RANKL and OPG secretion) as rows of one numpy array.

Why: the field solver reads every osteocyte's source each day (~3,000 in the default 1 mm³, 8× that in 8 mm³),
and a few of them change every day (births, deaths, secretion that follows age and drug). Rebuilding the
arrays from a dict of tuples cost ~1.4 ms a day, 7 % of a simulated day at 1 mm³; here a change writes one
row and `arrays()` is one boolean selection.

Rows are kept in creation order (a new osteocyte takes the next row; a removed one leaves a dead row that a
compaction, in order, reclaims), so the arrays come out in the osteocytes' creation order, as the
solver's source order has always been.
"""

from __future__ import annotations

import numpy as np

#: columns of a row
Z, Y, X, RANKL, OPG = range(5)


class SourceTable:
    def __init__(self, capacity: int = 1024):
        self._rows = np.zeros((capacity, 5))  # voxel indices are exact in float64
        self._ids = np.zeros(capacity, np.int64)
        self._alive = np.zeros(capacity, bool)
        self._slot: dict[int, int] = {}  # unique_id -> row
        self._used = 0

    def __len__(self) -> int:
        return len(self._slot)

    def set(self, unique_id: int, voxel, rankl_molecules_per_day: float, opg_molecules_per_day: float) -> None:
        """Write a cell's row (a new cell takes the next row: creation order)."""
        slot = self._slot.get(unique_id)
        if slot is None:
            if self._used == self._alive.size:
                self._make_room()
            slot = self._used
            self._used += 1
            self._slot[unique_id] = slot
            self._ids[slot] = unique_id
            self._alive[slot] = True
        row = self._rows[slot]
        row[Z], row[Y], row[X] = voxel
        row[RANKL] = rankl_molecules_per_day
        row[OPG] = opg_molecules_per_day

    def remove(self, unique_id: int) -> None:
        self._alive[self._slot.pop(unique_id)] = False

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(positions (n, 3) int64, RANKL, OPG (molecules/day), unique ids) of the cells, in creation order."""
        alive = self._alive[:self._used]
        rows = self._rows[:self._used][alive]
        return (rows[:, :3].astype(np.int64), np.ascontiguousarray(rows[:, RANKL]),
                np.ascontiguousarray(rows[:, OPG]), self._ids[:self._used][alive])

    def ids(self) -> np.ndarray:
        return self._ids[:self._used][self._alive[:self._used]]

    def _make_room(self) -> None:
        """Compact in order when at least half the rows are dead, else double the capacity."""
        alive = self._alive[:self._used]
        n = int(alive.sum())
        if 2 * n <= self._used:
            self._rows[:n] = self._rows[:self._used][alive]
            self._ids[:n] = self._ids[:self._used][alive]
            self._alive[:n] = True
            self._alive[n:] = False
            self._slot = {int(uid): slot for slot, uid in enumerate(self._ids[:n])}
            self._used = n
            return
        self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
        self._ids = np.concatenate([self._ids, np.zeros_like(self._ids)])
        self._alive = np.concatenate([self._alive, np.zeros_like(self._alive)])

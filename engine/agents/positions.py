"""PositionTable: voxel positions of a changing set of agents, kept as one numpy array.

Osteocytes are born and resorbed a few at a time, but there are ~20,000 of them in 1 mm³; collecting
their positions from the Mesa AgentSet costs milliseconds, too much for a browser frame that must cost
less than a simulated day. The table gives each agent a row when it appears and frees the row when it
goes, so `positions()` is one boolean selection.
"""

from __future__ import annotations

import numpy as np


class PositionTable:
    def __init__(self, capacity: int = 1024):
        self._voxels = np.zeros((capacity, 3), np.int64)
        self._alive = np.zeros(capacity, bool)
        self._row: dict[int, int] = {}
        self._free: list[int] = []
        self._used = 0

    def add(self, agent_id: int, voxel) -> None:
        if self._free:
            row = self._free.pop()
        else:
            if self._used == len(self._alive):
                self._voxels = np.concatenate([self._voxels, np.zeros_like(self._voxels)])
                self._alive = np.concatenate([self._alive, np.zeros_like(self._alive)])
            row = self._used
            self._used += 1
        self._voxels[row] = voxel
        self._alive[row] = True
        self._row[agent_id] = row

    def remove(self, agent_id: int) -> None:
        row = self._row.pop(agent_id)
        self._alive[row] = False
        self._free.append(row)

    def __len__(self) -> int:
        return len(self._row)

    def positions(self) -> np.ndarray:
        """(n, 3) voxels of the agents present (row order, not creation order)."""
        return self._voxels[:self._used][self._alive[:self._used]]

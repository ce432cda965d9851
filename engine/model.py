"""BoneModel: a Mesa model that builds the voxel grid, the cells and the signalling, and steps days.

One step is one day (DESIGN.md, "Data flow of one day"):
    physiology (estrogen deficiency) -> drug exposure (regimen -> PK -> free drug in the marrow)
    -> osteocytes (Mesa agents) secrete RANKL/OPG -> fields solved quasi-steady -> local binding of RANKL
       to OPG and drug
    -> remodeling (`engine.remodeling`): precursors, BMU activation, osteoclasts resorb, osteoblasts form,
       mineralization

Time: `clock` counts every simulated day, including the spin-up (`spin_up()`, run before day 0 with the
patient held at day 0 so that BMUs in all phases exist when the run starts); `day` is the patient's day
(0 = start of the scenario, negative during the spin-up).

Every random draw comes from the model's generator `self.rng` (seeded from the scenario's `seed`,
or the `rng` argument), so a run is reproducible; the geometry has its own seed in the scenario.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import mesa
import numpy as np

from engine.agents.osteocyte import Osteocyte
from engine.agents.positions import PositionTable
from engine.grid.voxel_grid import VoxelGrid, build_grid
from engine.kernels.surfaces import BONE_LEVEL
from engine.pharmacology import DrugExposure
from engine.physiology import PatientState
from engine.remodeling import Remodeling
from engine.scenario.consistency import field_cell_factor
from engine.scenario.schema import Scenario
from engine.signalling import SignallingFields


#: CTX/P1NP baselines: mean daily fluxes over the last half year of the spin-up (a BMU lives ~200 days, so
#: a shorter window would make the baseline depend on which few BMUs happen to be active).
MARKER_BASELINE_DAYS = 182


class BoneModel(mesa.Model):
    """A small volume of bone, stepped one day at a time.

    Args:
        scenario: a validated Scenario.
        base_dir: folder that relative paths in the scenario (µCT file) are resolved against.
        rng: seed or numpy Generator; defaults to the scenario's `seed`.
        grid: an already built VoxelGrid (skips geometry generation; used by tests and resume).
    """

    def __init__(self, scenario: Scenario, base_dir: Path | str = ".", rng=None, grid: VoxelGrid | None = None):
        super().__init__(rng=scenario.seed if rng is None else rng)
        self.scenario = scenario
        self.biology = scenario.biology
        self.day = 0
        self.clock = 0
        self._osteocyte_sources = None  # cached (positions, rankl, opg) arrays; None = rebuild
        self.osteocyte_voxels = PositionTable()  # every osteocyte's voxel, kept up to date (browser view)
        self._grid_fields_day = None
        self.grid = grid if grid is not None else build_grid(scenario, base_dir)
        self.physiology = PatientState(scenario.patient, self.biology)
        self.exposure = DrugExposure(scenario.regimen, scenario.pharmacokinetics.by_drug(),
                                     scenario.patient.body_weight_kg)
        n = scenario.numerics
        self.signalling = SignallingFields(self.grid, self.biology, field_cell_factor(scenario),
                                           n.field_solver_rtol, n.field_solver_max_iterations)
        self.remodeling = Remodeling(self)
        self._place_osteocytes()
        self.remodeling.seed_mineral_by_tissue_age()
        self.remodeling.seed_lining_cells()
        self.baseline_mineral = float(self.grid.mineral_fraction.sum(dtype=np.float64))
        self._update_fields()

    # --- construction ---------------------------------------------------------------------------
    def _place_osteocytes(self) -> None:
        """Osteocytes at a literature density (per mm³ of bone), in uniformly random bone voxels."""
        bone_voxels = np.flatnonzero(self.grid.bone_fraction.ravel() >= BONE_LEVEL)
        bone_mm3 = float(self.grid.bone_fraction.sum(dtype=np.float64)) * self.grid.voxel_volume_mm3
        n = min(len(bone_voxels), int(round(self.biology.osteocyte_density_per_mm3_bone * bone_mm3)))
        chosen = np.sort(self.rng.choice(bone_voxels, size=n, replace=False)) if n else np.empty(0, np.int64)
        voxels = [tuple(int(v) for v in idx) for idx in zip(*np.unravel_index(chosen, self.grid.shape))]
        cells = Osteocyte.create_agents(
            self, n, voxel=voxels, rankl_secretion_molecules_per_day=self.biology.osteocyte_rankl_secretion_molecules_per_day,
            opg_secretion_molecules_per_day=self.biology.osteocyte_opg_secretion_molecules_per_day)
        for cell in cells:
            self.remodeling.register_occupant(cell)

    # --- checkpoints (pickle) -------------------------------------------------------------------
    def __getstate__(self) -> dict:
        """Mesa 3 counts agent ids in a class-level dict keyed by model (`mesa.Agent._ids`), outside the
        model; the next id is stored with the state so a resumed model gives the same ids."""
        counter = mesa.Agent._ids[self]
        next_id = next(counter)
        mesa.Agent._ids[self] = itertools.count(next_id)
        state = self.__dict__.copy()
        state["_next_agent_id"] = next_id
        return state

    def __setstate__(self, state: dict) -> None:
        next_id = state.pop("_next_agent_id")
        self.__dict__.update(state)
        mesa.Agent._ids[self] = itertools.count(next_id)

    # --- views ----------------------------------------------------------------------------------
    @property
    def osteocytes(self) -> mesa.agent.AgentSet:
        return self.agents_by_type.get(Osteocyte, mesa.agent.AgentSet([], random=self.random))

    @property
    def precursors(self):
        return self.remodeling.precursors

    def local_rank_occupancy(self, voxel) -> float:
        """RANK occupancy on precursors in the marrow at this voxel (its field cell)."""
        return self.signalling.local_rank_occupancy(voxel)

    def osteocytes_changed(self) -> None:
        """Called by osteocytes when one is born, removed or changes its secretion."""
        self._osteocyte_sources = None

    def _sources(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._osteocyte_sources is None:
            cells = list(self.osteocytes)
            positions = np.array([c.voxel for c in cells], dtype=np.int64).reshape(-1, 3)
            rankl = np.array([c.rankl_secretion_molecules_per_day for c in cells], dtype=np.float64)
            opg = np.array([c.opg_secretion_molecules_per_day for c in cells], dtype=np.float64)
            ids = np.array([c.unique_id for c in cells], dtype=np.int64)
            self._osteocyte_sources = (positions, rankl, opg, ids)
        return self._osteocyte_sources

    def osteocyte_positions(self) -> np.ndarray:
        """(n, 3) int array of osteocyte voxels (z, y, x)."""
        return self._sources()[0]

    def osteocyte_ids(self) -> np.ndarray:
        """Unique ids of the osteocytes, in the order of `osteocyte_positions()`."""
        return self._sources()[3]

    # --- the day ------------------------------------------------------------------------------
    def _update_fields(self, solve_opg: bool = True) -> None:
        positions, rankl, opg, _ = self._sources()
        # systemic modifiers act on every cell's own (basal) secretion: the patient's physiology and the
        # delayed RANKL rise under teriparatide
        rankl_factor = self.physiology.rankl_expression_factor * self.exposure.pth_fold("rankl_fold_max")
        self.signalling.update(positions, rankl * rankl_factor, opg * self.physiology.opg_expression_factor,
                               solve_opg)
        self._grid_fields_day = None

    def sync_grid_fields(self) -> None:
        """Bring the VoxelGrid's field arrays up to today (they are refreshed only when read)."""
        if self._grid_fields_day != self.day:
            self.signalling.write_grid_fields()
            self._grid_fields_day = self.day

    def step(self) -> None:
        """Advance one day."""
        self.clock += 1
        self.day += 1
        self.physiology.advance(max(self.day, 0))
        if self.day > 0:
            self.exposure.advance_to(self.day)
        self.signalling.drug_total_nM.fill(self.exposure.marrow_rankl_binder_nM)
        n = self.scenario.numerics
        if self.clock % n.field_update_days == 0:
            self.signalling.refresh_geometry()
            self._update_fields(solve_opg=self.clock % (n.field_update_days * n.opg_update_every) == 0)
        else:
            self.signalling.rebind()
            self._grid_fields_day = None
        self.remodeling.step()

    def spin_up(self, days: int | None = None, progress=None) -> None:
        """Simulate `days` (default: numerics.spin_up_days) before day 0, then make the present day 0.

        The patient is held at day 0 (physiology does not age). At the end, the bone the model did not
        form gets the tissue-age mix of the turnover the patient showed over the spin-up's last half year
        (mean age = 1 / turnover), so mineral starts in balance with her own remodeling rate. BMD and
        marker baselines are then today's state: a run starts in the remodeling steady state of its
        patient, as a trial participant does, instead of on bone without any BMU.
        """
        days = self.scenario.numerics.spin_up_days if days is None else days
        self.day = -days
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(1)
        window = min(days, MARKER_BASELINE_DAYS)
        turnover = self.remodeling.turnover_per_year(window) if window else 0.0
        if turnover > 0:
            self.remodeling.seed_mineral_by_tissue_age(mean_age_years=1.0 / turnover)
        self.day = 0
        self.baseline_mineral = float(self.grid.mineral_fraction.sum(dtype=np.float64))
        self.remodeling.set_marker_baseline(min(days, MARKER_BASELINE_DAYS))

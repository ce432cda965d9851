"""BoneModel: a Mesa model that builds the voxel grid, the cells and the day's processes, and steps days.

One step is one day, an ordered list of processes (DESIGN.md, "Data flow of one day"; each is a small
class in `engine.processes` or its own package, with a docstring naming what it reads and writes):

    physiology          estrogen deficiency, glucocorticoids -> systemic factors      (engine.physiology)
    drug exposure       the regimen's doses through each drug's PK -> what bone sees  (engine.pharmacology)
    signalling          osteocyte RANKL/OPG -> fields (quasi-steady) -> binding       (engine.signalling)
    surface census      bone surface by remodeling phase                             (processes.surface_census)
    precursors          precursor pool and commitment chain at today's RANK occupancy (agents.precursor_pool);
                        recycling osteoclasts' osteomorphs (rebound 'osteomorph_recycling', agents.osteomorphs)
    drug held in bone   bisphosphonate uptake onto the surface                       (processes.bone_drug)
    osteocyte turnover  osteocyte deaths flag the surface above them                 (processes.osteocyte_turnover)
    activation          new BMUs; teriparatide's reactivated lining cells            (processes.activation)
    osteoclasts         decide, resorb and move; drug released to them               (processes.resorption)
    BMU phases          reversal, osteoblast recruitment, formation, finish          (processes.bmu_phases)
    osteoblast fates    osteocyte / lining cell / apoptosis                          (processes.osteoblast_fates)
    marker fluxes       the day's resorbed and formed matrix (CTX, P1NP proxies)     (processes.markers)
    young osteocytes    OPG-making osteocytes follow formation (rebound 'osteocyte_opg', agents.osteocyte_opg)
    mineralization      primary and secondary mineralization of every voxel          (processes.mineralization)
    whole skeleton      the same rules in their expected-value limit, per compartment (engine.skeleton)
Readouts (`engine.readouts`) are taken by the runner after the step.

Time: `clock` counts every simulated day, including the spin-up (`spin_up()`, run before day 0 with the
patient held at day 0 so that BMUs in all phases exist when the run starts); `day` is the patient's day
(0 = start of the scenario, negative during the spin-up).

Every random draw comes from the model's generator `self.rng` (seeded from the scenario's `seed`,
or the `rng` argument), so a run is reproducible; the geometry has its own seed in the scenario.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from engine.agents.cell_index import CellIndex
from engine.agents.osteoblast import Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.agents.osteocyte import Osteocyte, seeded_osteocytes_per_mm3_bone
from engine.agents.osteocyte_opg import YoungOsteocyteOPG
from engine.agents.osteomorphs import Osteomorphs
from engine.agents.precursor_pool import PrecursorPool
from engine.grid.voxel_grid import VoxelGrid, build_grid
from engine.kernels.surfaces import BONE_LEVEL, count_marrow_neighbours
from engine.pharmacology import DrugExposure
from engine.physiology import PatientState
from engine.processes import systemic
from engine.processes.activation import Activation, LiningCellReactivation
from engine.processes.bmu_phases import BMUPhases
from engine.processes.bmu_registry import BMURegistry
from engine.processes.bone_drug import BisphosphonatesInBone
from engine.processes.markers import MarkerFluxes
from engine.processes.mineralization import Mineralization
from engine.processes.osteoblast_fates import OsteoblastFates
from engine.processes.osteocyte_turnover import OsteocyteTurnover
from engine.processes.resorption import Resorption
from engine.processes.surface_census import SurfaceCensus
from engine.processes.tissue_age import missing_young_tissue
from engine.scenario.consistency import field_cell_factor
from engine.scenario.schema import Scenario
from engine.signalling import SignallingFields
from engine.skeleton.patient import PatientSkeleton, cancellous_structure
from engine.units import DAYS_PER_YEAR


#: CTX/P1NP baselines: mean daily fluxes over the last half year of the spin-up (a BMU lives ~200 days, so
#: a shorter window would make the baseline depend on which few BMUs happen to be active).
MARKER_BASELINE_DAYS = 182


#: spawn key of the draw that decides whether a 'sampled' volume is out of a RANKL binder's reach (any number)
REACH_STREAM = 0x5EAC


def volume_out_of_reach(mode: str, out_of_reach_fraction: float, rng: np.random.Generator) -> bool:
    """`geometry.drug_reach` for this run: 'sampled' draws with the binder's share from a generator derived from the
    model's seed and drawing nothing from it, so the model's own stream is the same with or without a binder (arms
    of a virtual trial with the same seed share their spin-up). False without a binder (share 0)."""
    if out_of_reach_fraction <= 0.0 or mode == "reached":
        return False
    if mode == "out_of_reach":
        return True
    seq = getattr(rng.bit_generator, "seed_seq", None)
    seed = (np.random.SeedSequence(seq.entropy, spawn_key=tuple(seq.spawn_key) + (REACH_STREAM,)) if seq is not None
            else np.random.SeedSequence(REACH_STREAM))
    draw = np.random.default_rng(seed)
    return bool(draw.random() < out_of_reach_fraction)


class BoneModel(mesa.Model):
    """A small volume of bone, stepped one day at a time.

    Args:
        scenario: a validated Scenario.
        base_dir: folder that relative paths in the scenario (µCT file) are resolved against.
        rng: seed or numpy Generator; defaults to the scenario's `seed`.
        grid: an already built VoxelGrid (skips geometry generation; used by tests and resume).
        whole_skeleton: also step the patient's whole-skeleton layer (the patient-level readouts). It is
            deterministic and does not depend on the seed, so an ensemble of volumes of one patient needs
            it once; the others pass False (their patient-level readouts are then NaN).
    """

    def __init__(self, scenario: Scenario, base_dir: Path | str = ".", rng=None, grid: VoxelGrid | None = None,
                 whole_skeleton: bool = True):
        super().__init__(rng=scenario.seed if rng is None else rng)
        self.scenario = scenario
        self.biology = scenario.biology
        self.day = 0
        self.clock = 0
        self._grid_fields_day = None
        self.grid = grid if grid is not None else build_grid(scenario, base_dir)
        self.cells = CellIndex(self.grid.shape)
        self.physiology = PatientState(scenario.patient, self.biology)
        self.exposure = DrugExposure(scenario.regimen, scenario.pharmacokinetics,
                                     scenario.patient.body_weight_kg)
        n = scenario.numerics
        # is this volume one of the sites the regimen's RANKL binder does not reach? (geometry.drug_reach)
        self.volume_out_of_reach = volume_out_of_reach(scenario.geometry.drug_reach,
                                                       self.exposure.rankl_binder_out_of_reach_fraction, self.rng)
        self.signalling = SignallingFields(self.grid, self.biology, field_cell_factor(scenario),
                                           n.field_solver_rtol, n.field_solver_max_iterations,
                                           drug_kd_nM=self.exposure.rankl_binder_kd_nM,
                                           opg_rtol=n.opg_solver_rtol)
        # the day's processes, in the order `step` runs them
        marrow_mm3 = float(self.grid.marrow_fraction().sum(dtype=np.float64)) * self.grid.voxel_volume_mm3
        self.precursors = PrecursorPool(self.biology, marrow_mm3)
        self.precursors.osteomorphs = Osteomorphs(self.biology)
        self.bmus = BMURegistry()
        self.census = SurfaceCensus(self.grid, self.bmus)
        self.bone_drug = BisphosphonatesInBone(self.grid, self.exposure.bone_seeking)
        self.osteocyte_turnover = OsteocyteTurnover(self.grid, self.biology, self.cells, self.signalling)
        self.activation = Activation(self, self.census, self.precursors, self.osteocyte_turnover, self.bmus)
        self.osteoblast_fates = OsteoblastFates(self)
        # modeling-based formation: lining cells reactivated at the base rate and by teriparatide
        self.lining_reactivation = LiningCellReactivation(self, self.bmus, self.osteoblast_fates)
        self.resorption = Resorption(self, self.bmus, self.bone_drug, self.cells)
        self.bmu_phases = BMUPhases(self, self.bmus, self.osteoblast_fates)
        self.markers = MarkerFluxes()
        self.young_osteocytes = YoungOsteocyteOPG(self.biology)
        self.mineralization = Mineralization(self.grid, self.biology)
        # the patient's whole skeleton, in the expected-value limit of the same rules (deterministic)
        self.skeleton = (PatientSkeleton(self.biology, self.physiology, self.exposure,
                                         *cancellous_structure(scenario, base_dir)) if whole_skeleton else None)
        self._place_osteocytes()
        self.mineralization.seed_by_tissue_age(self.rng, self.bmu_phases.formed_in_model)
        self._place_lining_cells()
        self.baseline_mineral = float(self.grid.mineral_fraction.sum(dtype=np.float64))
        self._update_fields()

    # --- construction ---------------------------------------------------------------------------
    def _place_osteocytes(self) -> None:
        """Living osteocytes at the lacunar density × the living share of the seeded tissue-age mix
        (`agents.osteocyte.seeded_osteocytes_per_mm3_bone`), in uniformly random bone voxels."""
        bone_voxels = np.flatnonzero(self.grid.bone_fraction.ravel() >= BONE_LEVEL)
        bone_mm3 = float(self.grid.bone_fraction.sum(dtype=np.float64)) * self.grid.voxel_volume_mm3
        n = min(len(bone_voxels), int(round(seeded_osteocytes_per_mm3_bone(self.biology) * bone_mm3)))
        chosen = np.sort(self.rng.choice(bone_voxels, size=n, replace=False)) if n else np.empty(0, np.int64)
        voxels = [tuple(int(v) for v in idx) for idx in zip(*np.unravel_index(chosen, self.grid.shape))]
        Osteocyte.create_agents(
            self, n, voxel=voxels, rankl_secretion_molecules_per_day=self.biology.osteocyte_rankl_secretion_molecules_per_day,
            opg_secretion_molecules_per_day=self.biology.osteocyte_opg_secretion_molecules_per_day)

    def _place_lining_cells(self) -> None:
        """Cover the quiescent surface with lining cells at `lining_cell_area_um2` each."""
        neighbours = np.zeros(self.grid.shape, np.int8)
        count_marrow_neighbours(self.grid.bone_fraction, neighbours)
        surface = np.flatnonzero(neighbours.ravel() > 0)
        area_um2 = surface.size * self.grid.voxel_size_um**2
        n = min(surface.size, int(round(area_um2 / self.biology.lining_cell_area_um2)))
        chosen = np.sort(self.rng.choice(surface, size=n, replace=False))
        for voxel in zip(*np.unravel_index(chosen, self.grid.shape)):
            Osteoblast(self, voxel, state="lining")

    # --- views ----------------------------------------------------------------------------------
    @property
    def osteocytes(self) -> mesa.agent.AgentSet:
        return self.agents_by_type.get(Osteocyte, mesa.agent.AgentSet([], random=self.random))

    def local_rank_occupancy(self, voxel) -> float:
        """RANK occupancy on precursors in the marrow at this voxel (its field cell)."""
        return self.signalling.local_rank_occupancy(voxel)

    def osteocyte_positions(self) -> np.ndarray:
        """(n, 3) int array of osteocyte voxels (z, y, x)."""
        return self.cells.osteocyte_positions()

    def osteocyte_ids(self) -> np.ndarray:
        """Unique ids of the osteocytes, in the order of `osteocyte_positions()`."""
        return self.cells.osteocyte_ids()

    def osteoclast_nuclei(self) -> int:
        """Nuclei of all osteoclasts in the volume."""
        return int(sum(c.nuclei for c in self.agents_by_type.get(Osteoclast, ())))

    def osteoblast_working_life_days(self) -> float:
        """Today's mean osteoblast working life (`processes.systemic`)."""
        return systemic.osteoblast_working_life_days(self.biology, self.physiology, self.exposure)

    # --- the day ------------------------------------------------------------------------------
    def field_sources(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Today's field sources: (osteocyte voxels (n, 3), their ids, RANKL and OPG secretion in molecules/day).
        Systemic modifiers act on every cell's own (basal) secretion: the patient's physiology and the delayed
        RANKL rise under teriparatide (RANKL), the physiology and the young osteocytes (OPG)."""
        positions, rankl, opg, ids = self.cells.sources()
        rankl_factor = systemic.rankl_factor(self.physiology, self.exposure)
        opg_factor = self.physiology.opg_expression_factor * self.young_osteocytes.opg_factor
        return positions, ids, rankl * rankl_factor, opg * opg_factor

    def _update_fields(self, solve_opg: bool = True) -> None:
        self.signalling.update(*self.field_sources(), solve_opg)
        self._grid_fields_day = None

    def sync_grid_fields(self) -> None:
        """Bring the VoxelGrid's field arrays up to today (they are refreshed only when read)."""
        if self._grid_fields_day != self.day:
            self.signalling.write_grid_fields()
            self._grid_fields_day = self.day

    def _signal(self) -> None:
        """Signalling: the drug field from today's exposure; transport re-solved every `field_update_days`
        (`spin_up_field_update_days` during the spin-up; OPG every `opg_update_every` of those), local binding
        every day."""
        self.signalling.drug_total_nM.fill(0.0 if self.volume_out_of_reach else self.exposure.marrow_rankl_binder_nM)
        n = self.scenario.numerics
        every = n.spin_up_field_update_days if self.day <= 0 else n.field_update_days
        if self.clock % every == 0:
            self.signalling.refresh_geometry()
            self._update_fields(solve_opg=self.clock % (every * n.opg_update_every) == 0)
        else:
            self.signalling.rebind()
            self._grid_fields_day = None

    def step(self) -> None:
        """Advance one day: the processes in order (module docstring)."""
        self.clock += 1
        self.day += 1
        self.physiology.advance(max(self.day, 0))
        if self.day > 0:
            self.exposure.advance_to(self.day)
        self._signal()
        self.census.run_step()
        self.precursors.advance(self.signalling.marrow_mean("rank_occupancy"),
                                self.physiology.precursor_supply_factor)
        if self.precursors.osteomorphs.active:
            self.precursors.osteomorphs.advance(self.osteoclast_nuclei(), self.precursors.rank_occupancy,
                                                self.precursors.committed_relative, holding=self.day <= 0)
        self.bone_drug.run_step(self.census.surface_voxels)
        self.osteocyte_turnover.run_step(self.rng, self.physiology.osteocyte_lifespan_factor)
        self.activation.run_step(holding=self.day <= 0)
        self.lining_reactivation.run_step(systemic.lining_activation_per_day(self.biology, self.exposure),
                                          self.osteoblast_working_life_days())
        self.resorption.run_step()
        self.bmu_phases.run_step(self.osteoblast_working_life_days(),
                                 self.exposure.fold("osteoblast_recruitment_fold_max"))
        self.osteoblast_fates.run_step()
        self.markers.run_step(self.resorption.resorbed_um3, self.bmu_phases.formed_um3)
        self.young_osteocytes.advance(self.bmu_phases.formed_um3, holding=self.day <= 0)
        self.mineralization.run_step()
        if self.skeleton is not None:
            self.skeleton.run_step(holding=self.day <= 0)

    def spin_up(self, days: int | None = None, progress=None) -> None:
        """Simulate `days` (default: numerics.spin_up_days) before day 0, then make the present day 0.

        The patient is held at day 0 (physiology does not age). At the end, the bone the model did not
        form gets the tissue-age mix of the turnover the patient showed over the spin-up's last half year
        (resorbed per year / bone, the rate at which tissue of every age is removed; mean age = 1 / turnover),
        and the part of it standing in for young tissue the spin-up (which starts
        without BMUs) did not form gets those young ages (`processes.tissue_age`), so mineral starts in
        balance with her own remodeling rate. BMD and marker baselines are then today's state: a run starts
        in the remodeling steady state of its patient, as a trial participant does, instead of on bone
        without any BMU.
        """
        days = self.scenario.numerics.spin_up_days if days is None else days
        self.day = -days
        formed = []  # the volume's formation on each spin-up day (processes.tissue_age; the layer keeps its own)
        for _ in range(days):
            self.step()
            formed.append(self.markers.history[-1][1])
            if progress is not None:
                progress(1)
        window = min(days, MARKER_BASELINE_DAYS)
        bone_um3 = float(self.grid.bone_fraction.sum(dtype=np.float64)) * self.grid.voxel_size_um**3
        turnover = self.markers.turnover_per_year(window, bone_um3) if window else 0.0
        if turnover > 0:
            missing = missing_young_tissue(np.array(formed), self.markers.mean_flux(window)[1], turnover)
            self.mineralization.seed_by_tissue_age(self.rng, self.bmu_phases.formed_in_model,
                                                   mean_age_years=1.0 / turnover,
                                                   older_than_years=days / DAYS_PER_YEAR, missing_um3=missing)
        self.day = 0
        self.baseline_mineral = float(self.grid.mineral_fraction.sum(dtype=np.float64))
        self.markers.set_baseline(min(days, MARKER_BASELINE_DAYS))
        if self.skeleton is not None:
            self.skeleton.finish_spin_up(days)

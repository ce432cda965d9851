"""RANKL/OPG signalling: from cell secretion to the free RANKL that osteoclast precursors see.

Each day:
1. Sources. Each osteocyte secretes RANKL and OPG (molecules/day). The secretion reaches the marrow
   at the bone surface nearest to the osteocyte, through its lacuno-canalicular network (assumption;
   osteocyte RANKL acting at the surface: Nakashima 2011 Nat Med 17:1231, Xiong 2011 Nat Med 17:1235).
   On the field grid it enters the cell of that voxel, or, when that cell is less than half marrow
   (`SOURCE_CELL_MIN_MARROW`: a cavity just opened in bone), the neighbouring cell with the most marrow,
   the open marrow the sliver drains into (item 4 says why).
   Marrow means the marrow that reaches a face of the volume (and through it the rest of the skeleton's
   marrow and blood): pockets that remodeling closed off inside bone (`enclosed_marrow`) count as bone for
   sources and transport. Why: a pocket exchanges with nothing, so a source that lands in it piles up there
   (up to 170× the marrow mean after the default spin-up) and vanishes from the rest of the marrow; those
   pockets made the converged field move 9 % a day and 360 % in 14 days (rms over the marrow), against
   4-5 % and 29 % without them (`benchmarks/bench_field_cadence.py`, seed 1).
2. Transport. Total RANKL and total OPG each obey the quasi-steady screened diffusion equation
   D∇²c − k·c + s = 0 in marrow (`engine.kernels.fields`), solved on a *field grid* whose cells are
   `factor` voxels wide (fields vary over diffusion lengths √(D/k) ≈ 290 µm for RANKL and ≈ 1.6 mm
   for OPG, so 20 µm cells resolve them; at factor 1 the field grid is the voxel grid). A coarse
   cell's marrow fraction is the mean of its voxels'. Complexes are assumed to share the free
   ligand's diffusivity and clearance (totals are transported). The solver is CG preconditioned by a
   multigrid V-cycle (`engine.kernels.multigrid`), warm-started from the last solution; its iterations
   do not grow with the diffusion length. OPG is solved on the next coarser level (cells 2× wider).
   How often transport is re-solved is `numerics.field_update_days` (the model's `_signal`).
3. Binding. RANKL partitions between free, OPG-bound and drug-bound at local equilibrium
   (`engine.kernels.binding`), and RANK occupancy on precursors follows from free RANKL. Totals are
   uniform within a field cell, so binding is solved once per field cell: identical to solving it
   per voxel, and factor³ times cheaper.
4. Reading. Cells at the bone (osteoclasts fusing precursors, activation choosing a site) read the RANK
   occupancy of the marrow around them: the marrow-weighted mean over the 3×3×3 field cells around theirs
   (`occupancy_at`, `local_rank_occupancy`; `kernels.fields`), not their own cell's value.
   Why, with item 1's sources: a field cell that a cavity has just opened holds a sliver of marrow whose
   concentration scales as 1/φ (its face conductances shrink with φ), and an osteoclast digging into bone
   sits in cells that were bone at the last solve. Read in its own cell, the osteoclast saw 0 (a stale
   field) or a spike made by the osteocytes whose nearest marrow it had just dug (a daily field), so the
   biology depended on how often the fields were solved: osteoclasts' RANKL 1.2× vs 2.2× the marrow mean,
   formation +3.5 standard errors when solved daily. Read in the marrow around it, with sources in open
   cells, it is 2.2–2.5× the mean either way and no readout moves more than ~2.5 standard errors
   (`benchmarks/bench_field_cadence.py`).

The bound/free fields live on the field grid (`self.coarse`); `write_grid_fields` copies them into the
VoxelGrid's voxel-resolution arrays (zero in bone voxels) when those are read (snapshots, the view).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.grid.voxel_grid import VoxelGrid
from engine.kernels.binding import bind_rankl
from engine.kernels.connectivity import enclosed_runs
from engine.kernels.fields import (coarse_marrow_fraction, dot, marrow_weighted_mean_around,
                                   marrow_weighted_mean_at, move_to_open_cells, source_density)
from engine.kernels.multigrid import Hierarchy, prolong_into_marrow, restrict, solve_mgcg
from engine.kernels.remodeling import nearest_marrow
from engine.kernels.source_cache import blocks_shape, look_up_sources, update_marrow_mask
from engine.pharmacology.registry import NO_BINDER_KD_NM
from engine.scenario.biology import BiologyParameters
from engine.scratch import HasScratch
from engine.units import AVOGADRO_PER_MOL, SECONDS_PER_DAY, UM3_PER_LITRE

NEAREST_MARROW_SEARCH_VOXELS = 12
#: a source whose field cell has less marrow than this enters the neighbouring cell with the most marrow
#: (`kernels.fields.move_to_open_cells`; module docstring, item 1)
SOURCE_CELL_MIN_MARROW = 0.5
_NO_MASK = np.zeros((0, 0, 0), np.bool_)  # `kernels.remodeling.nearest_marrow`'s "no enclosed pockets"


@dataclass
class SolveStats:
    """Iterations and achieved accuracy of the last transport solves (the `*_relative_residual` fields hold
    the solver's stopping measure: the estimated relative error in the energy norm, `kernels.multigrid`)."""

    rankl_iterations: int = 0
    opg_iterations: int = 0
    rankl_relative_residual: float = 0.0
    opg_relative_residual: float = 0.0


def enclosed_marrow(bone_fraction: np.ndarray) -> np.ndarray:
    """Voxels with some marrow (bone fraction < 1) whose face-connected marrow region touches no face of the
    volume: pockets closed off inside bone. If no region reaches a face (a volume wrapped in bone), the
    largest region is kept open instead.

    Runs of marrow joined by union-find (`kernels.connectivity.enclosed_runs`), cheap enough for the fields
    to follow the bone daily."""
    enclosed = np.empty(bone_fraction.shape, np.bool_)
    enclosed_runs(bone_fraction, enclosed)
    return enclosed


def upsample(arr: np.ndarray, factor: int, out: np.ndarray) -> None:
    """Write the coarse array into the fine array `out`, each cell filling its factor³ block."""
    if factor == 1:
        out[...] = arr
        return
    nz, ny, nx = arr.shape
    view = out.reshape(nz, factor, ny, factor, nx, factor)
    view[...] = arr[:, None, :, None, :, None]


class SignallingFields(HasScratch):
    """Owns the field-grid state (warm starts) and updates the grid's signalling arrays."""

    _scratch_hierarchy = None  # the multigrid levels, reused from day to day (not state: `engine.scratch`)
    _scratch_rhs = None  # {diffusivity: right-hand side buffer}, reused from day to day

    def __init__(self, grid: VoxelGrid, biology: BiologyParameters, factor: int, rtol: float, max_iterations: int,
                 drug_kd_nM: float = NO_BINDER_KD_NM, opg_rtol: float | None = None):
        self.grid = grid
        self.biology = biology
        self.factor = factor
        self.rtol = rtol
        # OPG's own stopping error (default: RANKL's); why it may be looser: `numerics.opg_solver_rtol`
        self.opg_rtol = rtol if opg_rtol is None else opg_rtol
        self.max_iterations = max_iterations
        self.drug_kd_nM = drug_kd_nM  # K_D of the regimen's RANKL binder (engine.pharmacology.registry)
        self.cell_size_um = grid.voxel_size_um * factor
        coarse_shape = tuple(n // factor for n in grid.shape)
        self.rankl_total_nM = np.zeros(coarse_shape)  # per marrow volume, warm start for the next day
        self.opg_total_nM = np.zeros(coarse_shape)
        # OPG is solved on cells twice as wide (its decay length, ~1.6 mm, is 40 such cells); warm start
        self.opg_total_2x_nM = np.zeros(tuple((n + 1) // 2 for n in coarse_shape))
        self.drug_total_nM = np.zeros(coarse_shape)  # free RANKL binder from the drug exposure, each day
        self.coarse = {name: np.zeros(coarse_shape) for name in
                       ("rankl_nM", "opg_nM", "rankl_opg_nM", "rankl_drug_nM", "rank_occupancy")}
        self.stats = SolveStats()
        self._bound_drug = None
        self._source_voxels = np.empty((0, 3), np.int64)
        # the last source placement: today's marrow mask and each osteocyte's nearest marrow voxel, by osteocyte id
        self._marrow_mask = np.zeros(grid.shape, np.bool_)
        self._gained_blocks = np.zeros(blocks_shape(grid.shape), np.uint8)
        self._placed_ids = np.empty(0, np.int64)
        self._placed_voxels = np.empty((0, 3), np.int64)
        self._has_marrow = False
        self.refresh_geometry()

    def refresh_geometry(self) -> None:
        """Recompute the field grid's marrow fractions (call after bone changes; sources follow the bone
        when placed): the enclosed pockets first (`enclosed_marrow`, counted as bone until the next refresh),
        then one pass over the voxels (`kernels.fields.coarse_marrow_fraction`)."""
        self.enclosed = enclosed_marrow(self.grid.bone_fraction)
        self.enclosed_any = bool(self.enclosed.any())
        marrow = np.empty(tuple(n // self.factor for n in self.grid.shape))
        coarse_marrow_fraction(self.grid.bone_fraction, self._pocket_mask, self.factor, marrow)
        self.marrow = marrow
        self._means = {}

    @property
    def _pocket_mask(self) -> np.ndarray:
        """The enclosed pockets of the last refresh as the kernels take them: the mask, or an empty array when
        there are none (the kernels then skip the lookup)."""
        return self.enclosed if self.enclosed_any else _NO_MASK

    def nearest_marrow_voxels(self, positions: np.ndarray) -> np.ndarray:
        """(n, 3) nearest voxel less than half bone, outside enclosed pockets, for each voxel in positions (n, 3);
        itself if it is such marrow.

        A local search (numba, `NEAREST_MARROW_SEARCH_VOXELS`) covers osteocytes near a surface; the few
        deeper ones are searched again over the whole volume.
        """
        positions = np.ascontiguousarray(positions, dtype=np.int64).reshape(-1, 3)
        out = np.empty_like(positions)
        # the enclosed pockets are passed as a mask, not folded into a copy of the bone: a copy of the whole
        # grid per call made each osteocyte death cost O(voxels) (14 ms at 8·10⁶ voxels, 3 deaths a day)
        bone = self.grid.bone_fraction
        enclosed = self._pocket_mask
        nearest_marrow(bone, enclosed, positions, NEAREST_MARROW_SEARCH_VOXELS, out)
        missing = np.flatnonzero(out[:, 0] < 0)
        if missing.size:
            # the few deeper ones: the same shell search over the whole volume (it stops at the nearest
            # marrow voxel; a distance transform of the whole volume cost ~1.5 s at 8·10⁶ voxels)
            deep = np.empty((missing.size, 3), np.int64)
            nearest_marrow(bone, enclosed, positions[missing], max(self.grid.shape), deep)
            none = deep[:, 0] < 0  # no marrow anywhere: the source stays at the cell
            deep[none] = positions[missing][none]
            out[missing] = deep
        return out

    def source_voxels(self, positions: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """`nearest_marrow_voxels(positions)` for the osteocytes' sources (ids: their unique ids, as many), searched
        again only for osteocytes new since the last call or whose answer today's bone may have changed
        (`kernels.source_cache`); the rest keep theirs, which is still exact. The cache is kept by osteocyte id
        (an osteocyte never moves), in ascending order: the order the osteocytes come in (creation order), so
        it needs no sorting."""
        positions = np.ascontiguousarray(positions, dtype=np.int64).reshape(-1, 3)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        # a source can land only if some voxel is less than half bone
        self._has_marrow = update_marrow_mask(self.grid.bone_fraction, self._pocket_mask, self._marrow_mask,
                                              self._gained_blocks) > 0
        out = np.empty_like(positions)
        search = np.empty(len(positions), np.bool_)
        look_up_sources(positions, ids, self._placed_ids, self._placed_voxels, self._marrow_mask, self._gained_blocks,
                        NEAREST_MARROW_SEARCH_VOXELS, out, search)
        missing = np.flatnonzero(search)
        if missing.size:
            out[missing] = self.nearest_marrow_voxels(positions[missing])
        if ids.size > 1 and not np.all(ids[1:] > ids[:-1]):  # not in creation order: sort the cache
            order = np.argsort(ids)
            self._placed_ids, self._placed_voxels = ids[order], out[order]
        else:
            self._placed_ids, self._placed_voxels = ids.copy(), out
        return out

    def place_sources(self, positions: np.ndarray, ids: np.ndarray) -> None:
        """Where today's sources enter the field grid (module docstring, item 1): the field cell of each
        osteocyte's nearest marrow voxel, or its neighbour with the most marrow when that cell is a sliver."""
        self._source_voxels = self.source_voxels(positions, ids)
        self._source_cells = self._source_voxels // self.factor
        move_to_open_cells(self._source_cells, self.marrow, SOURCE_CELL_MIN_MARROW)

    def nearest_marrow_voxel(self, voxel) -> tuple[int, int, int]:
        """The marrow voxel nearest to a voxel (itself if it is marrow)."""
        return tuple(int(v) for v in self.nearest_marrow_voxels(np.array([voxel]))[0])

    def occupancy_at(self, z: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """RANK occupancy in the marrow around the field cells of voxels (z, y, x) (arrays): what a cell at the
        bone there reads (module docstring, item 4), as `marrow_weighted_mean_around` gives it. Computed for these
        cells only: activation reads the quiescent surface on each day it starts a BMU, and in a large volume
        that is most days, so a pass over the whole grid per read made its cost grow as the volume squared."""
        f = self.factor
        out = np.empty(np.size(z))
        marrow_weighted_mean_at(self.coarse["rank_occupancy"], self.marrow, np.asarray(z, np.int64).ravel() // f,
                                np.asarray(y, np.int64).ravel() // f, np.asarray(x, np.int64).ravel() // f, out)
        return out.reshape(np.shape(z))

    def local_rank_occupancy(self, voxel) -> float:
        """`occupancy_at` for one voxel (an osteoclast's daily read: one cell's neighbourhood, not the grid)."""
        f = self.factor
        return float(marrow_weighted_mean_around(self.coarse["rank_occupancy"], self.marrow, int(voxel[0]) // f,
                                                 int(voxel[1]) // f, int(voxel[2]) // f))

    def _alpha(self, decay_per_day: float, diffusivity_um2_per_s: float) -> float:
        return decay_per_day * self.cell_size_um**2 / (diffusivity_um2_per_s * SECONDS_PER_DAY)

    def _rhs(self, positions: np.ndarray, molecules_per_day: np.ndarray, diffusivity_um2_per_s: float) -> np.ndarray:
        """h²/D times the source density (nM/day per total cell volume) on the field grid."""
        if len(positions) == 0 or not self._has_marrow:
            return np.zeros(self.marrow.shape)
        # one buffer per diffusivity (RANKL's and OPG's right-hand sides are alive at once), reused daily
        buffers = self._scratch_rhs
        if buffers is None:
            buffers = self._scratch_rhs = {}
        rhs = buffers.get(diffusivity_um2_per_s)
        if rhs is None or rhs.shape != self.marrow.shape:
            rhs = buffers[diffusivity_um2_per_s] = np.empty(self.marrow.shape)
        cell_litre = self.cell_size_um**3 / UM3_PER_LITRE
        source_density(self._source_cells, np.ascontiguousarray(molecules_per_day, dtype=np.float64),
                       1e9 / AVOGADRO_PER_MOL / cell_litre * self.cell_size_um**2
                       / (diffusivity_um2_per_s * SECONDS_PER_DAY), rhs)
        return rhs

    def update(self, positions: np.ndarray, ids: np.ndarray, rankl_molecules_per_day: np.ndarray,
               opg_molecules_per_day: np.ndarray, solve_opg: bool = True) -> SolveStats:
        """Solve RANKL (and OPG unless solve_opg is False) for today's sources (osteocytes ids at voxels
        positions), then bind.

        OPG is solved to its own tolerance (`opg_rtol`, `numerics.opg_solver_rtol`) and may be re-solved less
        often (`numerics.opg_update_every`): its decay length √(D/k) ≈ 1.6 mm exceeds typical volumes, so it
        averages sources over the whole volume and changes slowly.
        The multigrid levels are rebuilt in place for today's marrow (`Hierarchy.set_geometry`); they are
        scratch (`_scratch_hierarchy`), left out of checkpoints, which hold only the fields."""
        b = self.biology
        self.place_sources(positions, ids)
        hierarchy = self._scratch_hierarchy
        if hierarchy is None or tuple(hierarchy.shapes[0]) != self.marrow.shape:
            hierarchy = self._scratch_hierarchy = Hierarchy(self.marrow)
        else:
            hierarchy.set_geometry(self.marrow)
        rhs_l = self._rhs(positions, rankl_molecules_per_day, b.rankl_diffusivity_um2_per_s)
        it_l, res_l = solve_mgcg(hierarchy, self.rankl_total_nM, rhs_l,
                                 self._alpha(b.rankl_decay_per_day, b.rankl_diffusivity_um2_per_s),
                                 self.rtol, self.max_iterations)
        it_o, res_o = self.stats.opg_iterations, self.stats.opg_relative_residual
        if solve_opg:
            it_o, res_o = self._solve_opg(hierarchy, positions, opg_molecules_per_day)
        self.stats = SolveStats(int(it_l), int(it_o), float(res_l), float(res_o))
        self._bind()
        return self.stats

    def _solve_opg(self, hierarchy: Hierarchy, positions: np.ndarray, molecules_per_day: np.ndarray):
        """OPG on the next coarser level of the multigrid hierarchy (cells 2× wider, the same equation
        re-discretised), then copied to the field grid (piecewise constant). Why: OPG's decay length
        √(D/k) ≈ 1.6 mm spans ~40 of those cells, so they resolve it, and the solve costs ~8× less.
        The total over the volume (what binding sees on average) is conserved exactly."""
        b = self.biology
        rhs = self._rhs(positions, molecules_per_day, b.opg_diffusivity_um2_per_s)
        if hierarchy.levels < 2:  # a field grid too small to coarsen: solve it where it is
            return solve_mgcg(hierarchy, self.opg_total_nM, rhs,
                              self._alpha(b.opg_decay_per_day, b.opg_diffusivity_um2_per_s),
                              self.opg_rtol, self.max_iterations)
        coarse = hierarchy.coarser(1)
        rhs_2x = np.empty(self.opg_total_2x_nM.shape)
        restrict(rhs, rhs_2x)
        result = solve_mgcg(coarse, self.opg_total_2x_nM, rhs_2x,
                            self._alpha(b.opg_decay_per_day, b.opg_diffusivity_um2_per_s),
                            self.opg_rtol, self.max_iterations)
        prolong_into_marrow(self.opg_total_2x_nM, self.marrow, self.opg_total_nM)
        return result

    def rebind(self) -> None:
        """Re-solve only the local binding for today's drug, keeping the transported totals.

        Without a drug, or with the same drug field as at the last binding, nothing changes."""
        if self._bound_drug is not None and np.array_equal(self._bound_drug, self.drug_total_nM):
            return
        self._bind()

    def _bind(self) -> None:
        self._bound_drug = self.drug_total_nM.copy()
        self._means = {}
        b = self.biology
        c = self.coarse
        bind_rankl(self.rankl_total_nM, self.opg_total_nM, self.drug_total_nM, self.marrow, b.rankl_opg_kd_nM,
                   self.drug_kd_nM, b.rankl_rank_kd_nM,
                   c["rankl_nM"], c["opg_nM"], c["rankl_opg_nM"], c["rankl_drug_nM"], c["rank_occupancy"])

    def write_grid_fields(self) -> None:
        """Fill the VoxelGrid's field arrays (voxel resolution, 0 in pure bone voxels) from the field grid."""
        in_marrow = self.grid.bone_fraction < 1.0  # voxels with any marrow
        fine = self.grid.fields
        arrays = dict(self.coarse, drug_nM=self.drug_total_nM)
        for name, coarse in arrays.items():
            upsample(coarse, self.factor, fine[name])
            fine[name] *= in_marrow

    def field_plane(self, name: str, axis: int, index: int) -> np.ndarray:
        """One voxel-resolution plane of a field (as `write_grid_fields` would give it), without
        upsampling the whole volume: the browser view draws a slice per frame."""
        coarse = self.drug_total_nM if name == "drug_nM" else self.coarse[name]
        f = self.factor
        plane = np.take(coarse, index // f, axis=axis)
        if f > 1:
            plane = np.repeat(np.repeat(plane, f, axis=0), f, axis=1)
        return plane * (np.take(self.grid.bone_fraction, index, axis=axis) < 1.0)  # voxels with any marrow

    def marrow_mean(self, name: str) -> float:
        """Marrow-volume-weighted mean of a field over the volume (equal to the mean over voxels). Kept until
        the fields or the marrow change (the step and the readouts ask for the same means each day)."""
        means = self._means
        if name not in means:
            marrow = self.marrow.reshape(-1)
            if "marrow_total" not in means:
                means["marrow_total"] = float(marrow.sum())
            total = means["marrow_total"]
            # a compiled dot product: no temporary the size of the field grid (5 means a day cost ~1 ms as
            # sum(a * b)), and not BLAS's, whose threads would compete with the kernels' for the cores
            means[name] = float(dot(self.coarse[name], self.marrow) / total) if total else 0.0
        return means[name]

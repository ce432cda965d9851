"""SurfaceCensus on a 16³ grid: surface counted as its numpy twin does, phases from the registry's BMUs."""

import numpy as np

from engine.agents.bmu import FORMATION, REVERSAL
from engine.processes.surface_census import SurfaceCensus
from tests.processes.conftest import SURFACE_Z, surface_voxels_reference


def test_flat_surface_all_quiescent(host):
    census = SurfaceCensus(host.grid, host.bmus)
    expected = int(surface_voxels_reference(host.grid.bone_fraction).sum())
    assert expected == 16 * 16  # the z = 7 plane
    assert census.surface_voxels == expected and census.quiescent_voxels == expected
    assert census.eroded_surface_voxels == 0


def test_cavities_take_their_bmus_phase(host):
    g = host.grid
    eroding = host.bmus.new_bmu((SURFACE_Z - 1, 2, 2), clock=0, targeted=False)
    forming = host.bmus.new_bmu((SURFACE_Z - 1, 10, 10), clock=0, targeted=False)
    g.bone_fraction[SURFACE_Z - 1, 1:4, 1:4] = 0.0
    g.bmu_label[SURFACE_Z - 1, 1:4, 1:4] = eroding.label
    g.bone_fraction[SURFACE_Z - 1, 9:12, 9:12] = 0.0
    g.bmu_label[SURFACE_Z - 1, 9:12, 9:12] = forming.label
    eroding.enter_reversal(clock=1, delay_days=5)
    forming.enter_reversal(clock=1, delay_days=1)
    forming.start_formation(clock=2, osteoblasts=2)
    census = SurfaceCensus(host.grid, host.bmus)
    assert census.surface_voxels == int(surface_voxels_reference(g.bone_fraction).sum())
    # surface in or bordering a labelled cavity: its floor (3x3 below) and its walls (4 sides x 3)
    assert census.counts[REVERSAL] == 9 + 12 and census.counts[FORMATION] == 9 + 12
    assert census.eroded_surface_voxels == 21
    forming.finish(clock=3)
    host.bmus.retire(forming)
    census.run_step()
    assert census.counts[FORMATION] == 0

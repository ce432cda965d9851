"""BMUPhases on a 16³ grid: reversal after the osteoclasts, coupled recruitment, formation, finish."""

import numpy as np

from engine.agents.bmu import FORMATION, REVERSAL
from engine.agents.osteoblast import Osteoblast
from engine.processes.bmu_phases import BMUPhases
from engine.processes.osteoblast_fates import OsteoblastFates
from tests.processes.conftest import SURFACE_Z


def _excavated_bmu(host):
    g = host.grid
    bmu = host.bmus.new_bmu((SURFACE_Z - 1, 8, 8), clock=0, targeted=False)
    cavity = np.ravel_multi_index(np.nonzero(np.ones((3, 6, 6), bool)), (3, 6, 6))
    zz, yy, xx = np.unravel_index(cavity, (3, 6, 6))
    flat = np.ravel_multi_index((zz + SURFACE_Z - 3, yy + 5, xx + 5), g.shape)
    g.bone_fraction.ravel()[flat] = 0.0
    g.bmu_label.ravel()[flat] = bmu.label
    bmu.resorbed(flat.astype(np.int64), flat.size * 1000.0, 36 * 100.0)
    return bmu, flat


def test_a_bmu_goes_through_reversal_formation_and_finishes(host):
    bmu, flat = _excavated_bmu(host)
    fates = OsteoblastFates(host)
    phases = BMUPhases(host, host.bmus, fates)
    phases.run_step(mean_working_life_days=20.0, coupling_fold=1.0)
    assert bmu.phase == REVERSAL and bmu.formation_due_clock > host.clock
    formed_total = 0.0
    for day in range(1, 400):
        host.clock = day
        phases.run_step(mean_working_life_days=20.0, coupling_fold=1.0)
        fates.run_step()
        formed_total += phases.formed_um3
        if bmu.phase == FORMATION and bmu.formation_started_clock == day:
            expected = host.biology.osteoblasts_per_1e6_um3_resorbed * bmu.resorbed_um3 / 1e6
            assert abs(bmu.osteoblasts_recruited - expected) < 4 * np.sqrt(expected) + 1
            working = [a for a in host.agents_by_type.get(Osteoblast, []) if a.bmu is bmu]
            assert len(working) == bmu.osteoblasts_recruited
            assert all(host.grid.bmu_label.ravel()[host.cells.flat(o.voxel)] == bmu.label for o in working)
        if bmu.label not in host.bmus.bmus:
            break
    assert bmu.label not in host.bmus.bmus, "the BMU never finished"
    record = host.bmus.completed[-1]
    assert record["formed_um3"] == bmu.formed_um3 and abs(formed_total - bmu.formed_um3) < 1e-6 * formed_total
    assert 0 < bmu.formed_um3 <= bmu.resorbed_um3 * 1.001
    assert np.all(host.grid.bmu_label.ravel()[flat] == 0)  # the cavity is released
    assert phases.formed_in_model.ravel()[flat].any()

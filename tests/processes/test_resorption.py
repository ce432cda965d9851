"""Resorption on a 16³ grid: one BMU's osteoclast excavates at the per-nucleus rate and evicts resident cells."""

import numpy as np

from engine.agents.osteoblast import LINING, Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.agents.osteocyte import Osteocyte
from engine.processes.bone_drug import BisphosphonatesInBone
from engine.processes.resorption import Resorption
from tests.processes.conftest import SURFACE_Z


def test_an_osteoclast_excavates_its_cavity_and_evicts_cells(host):
    g = host.grid
    bmu = host.bmus.new_bmu((SURFACE_Z - 1, 8, 8), clock=0, targeted=False)
    oc = Osteoclast(host, bmu, nuclei=8, position=np.array([SURFACE_Z - 1.0, 8.0, 8.0]), heading=np.array([0, 1.0, 0]))
    bmu.osteoclasts.append(oc)
    ocy = Osteocyte(host, (SURFACE_Z - 1, 8, 8), 1.0, 1.0)
    lining = Osteoblast(host, (SURFACE_Z - 1, 8, 9), state=LINING)
    process = Resorption(host, host.bmus, BisphosphonatesInBone(g, {}), host.cells)
    bone_before = float(g.bone_fraction.sum(dtype=np.float64))
    process.run_step()
    removed_um3 = (bone_before - float(g.bone_fraction.sum(dtype=np.float64))) * process.voxel_um3
    if oc.nuclei:  # it survived its own decisions: it resorbed at its nuclei's rate (within the kernel's passes)
        assert removed_um3 > 0
        assert abs(process.resorbed_um3 - removed_um3) < 1e-6 * removed_um3
        assert bmu.resorbed_um3 == process.resorbed_um3 and bmu.cavity.size > 0
        assert np.all(g.bmu_label.ravel()[bmu.cavity] == bmu.label)
    for _ in range(5):
        process.run_step()
    resorbed = g.bone_fraction[SURFACE_Z - 1, 8, 8] < 0.5
    if resorbed:
        assert ocy.unique_id not in host.cells.osteocytes and ocy not in host.agents
    if g.bone_fraction[SURFACE_Z - 1, 8, 9] < 0.5:
        assert lining not in host.agents
    assert resorbed, "the osteoclast did not reach the voxel it started on"

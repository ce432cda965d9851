"""OsteoblastFates: on its fate day an osteoblast becomes an osteocyte in new bone, a lining cell, or dies."""

from engine.agents.osteoblast import ACTIVE, LINING, Osteoblast
from engine.agents.osteocyte import Osteocyte
from engine.processes.osteoblast_fates import OsteoblastFates
from tests.processes.conftest import SURFACE_Z


def test_each_fate_on_its_day(host):
    g = host.grid
    bmu = host.bmus.new_bmu((SURFACE_Z - 1, 4, 4), clock=0, targeted=False)
    new_bone = host.cells.flat((SURFACE_Z - 1, 4, 4))
    bmu.add_cavity(__import__("numpy").array([new_bone]))
    bmu.start_formation(clock=0, osteoblasts=3)
    fates = OsteoblastFates(host)
    cells = {fate: Osteoblast(host, (SURFACE_Z, 4, 4), bmu=bmu, state=ACTIVE, fate=fate, fate_day=5)
             for fate in ("osteocyte", "lining", "apoptosis")}
    for cell in cells.values():
        fates.schedule(cell)
    host.clock = 4
    fates.run_step()
    assert bmu.active_osteoblasts == 3
    host.clock = 5
    fates.run_step()
    assert bmu.active_osteoblasts == 0
    assert cells["osteocyte"] not in host.agents and cells["apoptosis"] not in host.agents
    buried = list(host.agents_by_type[Osteocyte])
    assert len(buried) == 1 and buried[0].voxel == (SURFACE_Z - 1, 4, 4) and g.bone_fraction[SURFACE_Z - 1, 4, 4] >= 0.5
    assert cells["lining"].state == LINING and cells["lining"].bmu is None
    assert cells["lining"] in host.cells.occupants[host.cells.flat((SURFACE_Z, 4, 4))]


def test_an_osteocyte_fate_without_new_bone_becomes_a_lining_cell(host):
    bmu = host.bmus.new_bmu((SURFACE_Z, 4, 4), clock=0, targeted=False)
    bmu.add_cavity(__import__("numpy").array([host.cells.flat((SURFACE_Z, 4, 4))]))  # marrow: nothing formed
    bmu.start_formation(clock=0, osteoblasts=1)
    fates = OsteoblastFates(host)
    ob = Osteoblast(host, (SURFACE_Z, 4, 4), bmu=bmu, state=ACTIVE, fate="osteocyte", fate_day=1)
    fates.schedule(ob)
    host.clock = 1
    fates.run_step()
    assert ob.state == LINING and ob.fate == "lining" and Osteocyte not in host.agents_by_type

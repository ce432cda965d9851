"""BisphosphonatesInBone: uptake binds the surface, released drug exposes osteoclasts and is recycled."""

import numpy as np

from engine.pharmacology.bisphosphonates import BisphosphonatePK, SKELETAL_SURFACE_MM2, UMOL_TO_FMOL
from engine.processes.bone_drug import BisphosphonatesInBone
from engine.processes.surface_census import SurfaceCensus
from tests.processes.conftest import SURFACE_Z


def test_uptake_binds_the_volumes_share_on_the_surface(host):
    pk = BisphosphonatePK("zoledronate")
    pk.dose(5.0, "intravenous")
    process = BisphosphonatesInBone(host.grid, {"zoledronate": pk})
    pending_umol = pk.to_bone_umol
    surface = SurfaceCensus(host.grid, host.bmus).surface_voxels
    process.run_step(surface)
    bound = process.bound_drug_fmol[0]
    share = surface * process.voxel_area_mm2 / SKELETAL_SURFACE_MM2
    assert np.isclose(bound.sum(dtype=np.float64), pending_umol * UMOL_TO_FMOL * share, rtol=1e-5)
    assert bound[SURFACE_Z - 1].sum() > 0.99 * bound.sum()  # on the exposed surface
    assert process.bound_drug_uM("zoledronate") > 0 and process.bound_drug_uM("alendronate") == 0.0


def test_released_drug_sets_osteoclast_exposure_and_is_recycled(host):
    pk = BisphosphonatePK("alendronate")
    process = BisphosphonatesInBone(host.grid, {"alendronate": pk})

    class Clast:
        bisphosphonate_exposure = 0.0

        def take_up_bisphosphonate(self, x, follow):
            self.bisphosphonate_exposure += (x - self.bisphosphonate_exposure) * follow
    clasts = [Clast(), Clast()]
    released = np.array([[1000.0], [0.0]])  # fmol released by each today
    removed_voxels = np.array([2.0, 0.0])
    process.expose(clasts, released, removed_voxels)
    conc_uM = 1000.0 / (2.0 * process.voxel_um3) * 1e6
    follow = 1 - np.exp(-1 / process.action["exposure_memory_days"])
    assert np.isclose(clasts[0].bisphosphonate_exposure, conc_uM / pk.p["osteoclast_ec50_uM"] * follow)
    assert clasts[1].bisphosphonate_exposure == 0.0
    assert process.released_fmol[0] == 1000.0

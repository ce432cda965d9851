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


def test_released_buried_drug_sets_osteoclast_exposure_and_all_released_drug_is_recycled(host):
    """The kernel's columns: adsorbed per drug, then buried per drug. Only the buried drug acts on resorbing
    osteoclasts (the surface drug decided at their BMU's founding); both go back to the circulation."""
    pk = BisphosphonatePK("alendronate")
    process = BisphosphonatesInBone(host.grid, {"alendronate": pk})

    class Clast:
        bisphosphonate_exposure = 0.0

        def take_up_bisphosphonate(self, x, follow):
            self.bisphosphonate_exposure += (x - self.bisphosphonate_exposure) * follow
    clasts = [Clast(), Clast(), Clast()]
    released = np.array([[0.0, 1000.0], [0.0, 0.0], [500.0, 0.0]])  # fmol (adsorbed, buried) released today
    removed_voxels = np.array([2.0, 0.0, 2.0])
    process.expose(clasts, released, removed_voxels)
    conc_uM = 1000.0 / (2.0 * process.voxel_um3) * 1e6
    follow = 1 - np.exp(-1 / process.action["exposure_memory_days"])
    assert np.isclose(clasts[0].bisphosphonate_exposure, conc_uM / pk.p["osteoclast_ec50_uM"] * follow)
    assert clasts[1].bisphosphonate_exposure == 0.0 and clasts[2].bisphosphonate_exposure == 0.0
    assert process.released_fmol[0] == 1500.0


def test_founding_effect_is_the_emax_of_the_site_surface_drug(host):
    pk = BisphosphonatePK("alendronate")
    process = BisphosphonatesInBone(host.grid, {"alendronate": pk})
    site = (SURFACE_Z - 1, 3, 4)
    assert process.founding_effect(site) == 0.0
    process.adsorbed_fmol[0][site] = 50.0
    process.buried_fmol[0][site] = 5000.0  # buried drug is not what a founding osteoclast meets
    x = 50.0 / process.voxel_um3 * 1e6 / pk.p["osteoclast_ec50_uM"]
    assert np.isclose(process.founding_effect(site), process.action["max_founding_effect"] * x / (1 + x), rtol=1e-6)


def test_covered_drug_is_buried(host):
    """`kernels.adsorption.bury_covered` against its numpy twin: drug on voxels that no longer touch marrow
    moves to the buried field; exposed voxels keep theirs."""
    from engine.kernels.adsorption import bury_covered
    from engine.kernels.remodeling import is_exposed
    rng = np.random.default_rng(4)
    bone = (rng.random((12, 12, 12)) < 0.7).astype(np.float32)
    adsorbed = (rng.random(bone.shape) * bone).astype(np.float32)
    buried = (rng.random(bone.shape) * bone).astype(np.float32)
    exposed = np.array([[[is_exposed(bone, z, y, x) for x in range(12)] for y in range(12)] for z in range(12)])
    want_adsorbed = np.where(exposed | (adsorbed <= 0), adsorbed, 0.0)
    want_buried = buried + np.where(exposed, 0.0, adsorbed)
    bury_covered(bone, adsorbed, buried)
    np.testing.assert_allclose(adsorbed, want_adsorbed, rtol=1e-6)
    np.testing.assert_allclose(buried, want_buried, rtol=1e-6)
    assert adsorbed[~exposed].sum() == 0.0

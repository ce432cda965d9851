"""BoneModel: osteocytes at literature density, fields consistent with the mass balance."""

import numpy as np
import pytest

from engine.agents import Osteocyte
from engine.kernels.surfaces import BONE_LEVEL
from engine.model import BoneModel
from engine.scenario import scenario_from_text
from engine.units import AVOGADRO_PER_MOL


@pytest.fixture(scope="module")
def model():
    from tests.conftest import SMALL_SCENARIO
    return BoneModel(scenario_from_text(SMALL_SCENARIO).scenario)


def test_osteocytes_at_density_in_bone(model):
    """Living osteocytes: lacunar density × the living share L/(L + A) of the seeded tissue ages."""
    grid = model.grid
    bone_mm3 = grid.bone_fraction.sum() * grid.voxel_volume_mm3
    b = model.biology
    share = b.osteocyte_lifespan_years / (b.osteocyte_lifespan_years + b.existing_bone_mean_tissue_age_years)
    expected = b.osteocyte_density_per_mm3_bone * share * bone_mm3
    assert len(model.osteocytes) == pytest.approx(expected, abs=1)
    pos = model.osteocyte_positions()
    assert np.all(grid.bone_fraction[tuple(pos.T)] >= BONE_LEVEL)
    assert len({tuple(p) for p in pos}) == len(pos)  # one per voxel
    assert all(isinstance(a, Osteocyte) for a in model.osteocytes)


def test_mean_fields_obey_the_whole_volume_mass_balance(model):
    """At steady state, production = clearance: mean total = N·P / (k·V_marrow·N_A), whatever diffusion does."""
    b = model.biology
    grid = model.grid
    marrow_litre = grid.marrow_fraction().sum(dtype=np.float64) * grid.voxel_size_um**3 * 1e-15
    n = len(model.osteocytes)
    sig = model.signalling
    for total, secretion, decay in [
        (sig.rankl_total_nM, b.osteocyte_rankl_secretion_molecules_per_day * model.physiology.rankl_expression_factor,
         b.rankl_decay_per_day),
        (sig.opg_total_nM, b.osteocyte_opg_secretion_molecules_per_day, b.opg_decay_per_day),
    ]:
        expected_nM = n * secretion / (decay * marrow_litre * AVOGADRO_PER_MOL) * 1e9
        mean = float(np.sum(total * sig.marrow) / sig.marrow.sum())
        # the solver stops at an estimated relative error (energy norm) of numerics.field_solver_rtol; the mean
        # is the field's smoothest mode, whose relative error is at most that
        assert mean == pytest.approx(expected_nM, rel=model.scenario.numerics.field_solver_rtol)


def test_free_rankl_below_total_and_bone_voxels_empty(model):
    model.sync_grid_fields()
    f = model.grid.fields
    assert np.all(f["rankl_nM"] >= 0) and np.all(f["rankl_nM"] <= model.signalling.rankl_total_nM.max() + 1e-12)
    bone = model.grid.bone_fraction >= 1.0
    assert np.all(f["rankl_nM"][bone] == 0) and np.all(f["opg_nM"][bone] == 0)
    assert np.all((f["rank_occupancy"] >= 0) & (f["rank_occupancy"] < 1))


def test_field_grid_coarsening_changes_means_little():
    """20 µm field cells against solving at the 10 µm voxels: marrow means agree within 1 %."""
    from tests.conftest import SMALL_SCENARIO
    means = []
    for cell in (10, 20):
        m = BoneModel(scenario_from_text(SMALL_SCENARIO + f"  field_cell_size_um: {cell}\n").scenario)
        means.append((m.signalling.marrow_mean("rankl_nM"), m.signalling.marrow_mean("rank_occupancy")))
    np.testing.assert_allclose(means[0], means[1], rtol=0.01)


def test_same_seed_same_model_other_seed_other_cells():
    from tests.conftest import SMALL_SCENARIO
    s = scenario_from_text(SMALL_SCENARIO).scenario
    a, b, c = BoneModel(s), BoneModel(s), BoneModel(s, rng=99)
    assert np.array_equal(a.osteocyte_positions(), b.osteocyte_positions())
    assert not np.array_equal(a.osteocyte_positions(), c.osteocyte_positions())


def test_postmenopausal_rankl_exceeds_premenopausal_by_the_expression_factor():
    """Same bone and cells; only menopause differs. RANKL total scales with expression, OPG does not."""
    from tests.conftest import SMALL_SCENARIO
    post = BoneModel(scenario_from_text(SMALL_SCENARIO).scenario)
    pre = BoneModel(scenario_from_text(SMALL_SCENARIO.replace("years_since_menopause: 10", "")).scenario)
    factor = post.physiology.rankl_expression_factor
    assert factor == pytest.approx(2.0, rel=1e-3)  # 10 years after menopause: full deficiency (τ = 1 y)
    assert pre.physiology.rankl_expression_factor == 1.0
    ratio = post.signalling.rankl_total_nM.sum() / pre.signalling.rankl_total_nM.sum()
    assert ratio == pytest.approx(factor, rel=1e-5)
    np.testing.assert_allclose(post.signalling.opg_total_nM, pre.signalling.opg_total_nM, rtol=1e-6, atol=1e-15)
    assert post.signalling.marrow_mean("rank_occupancy") > pre.signalling.marrow_mean("rank_occupancy")


def test_source_cache_follows_osteocyte_changes(model):
    before = model.signalling.marrow_mean("rankl_nM")
    cell = next(iter(model.osteocytes))
    cell.rankl_secretion_molecules_per_day *= 1000
    for _ in range(model.scenario.numerics.field_update_days):  # transport is re-solved at the next update
        model.step()
    assert model.signalling.marrow_mean("rankl_nM") > before
    cell.remove()
    assert len(model.osteocyte_positions()) == len(model.osteocytes)


def test_young_osteocytes_scale_the_agents_opg_field():
    """rebound_mechanism 'osteocyte_opg': every osteocyte's OPG secretion × the young osteocytes' factor
    (`engine.agents.osteocyte_opg`), RANKL untouched; other mechanisms leave the factor at 1."""
    from tests.conftest import SMALL_SCENARIO
    model = BoneModel(scenario_from_text(SMALL_SCENARIO + "biology: {rebound_mechanism: osteocyte_opg}\n").scenario)
    opg, rankl = model.signalling.opg_total_nM.sum(), model.signalling.rankl_total_nM.sum()
    model.young_osteocytes.relative = 0.4
    model._update_fields()
    n = model.scenario.numerics  # each field is solved to its own tolerance
    assert model.signalling.opg_total_nM.sum() == pytest.approx(0.4 * opg, rel=n.opg_solver_rtol)
    assert model.signalling.rankl_total_nM.sum() == pytest.approx(rankl, rel=n.field_solver_rtol)
    assert BoneModel(scenario_from_text(SMALL_SCENARIO).scenario).young_osteocytes.opg_factor == 1.0


def test_osteomorphs_are_fed_by_the_agents_osteoclast_nuclei():
    """rebound_mechanism 'osteomorph_recycling': the volume's osteoclast nuclei feed the pool each day (held
    while the spin-up holds the patient), and the osteoclasts' fusion reads the precursors plus re-fusing
    osteomorphs (`PrecursorPool.fusing_relative`), activation the precursors alone."""
    from tests.conftest import SMALL_SCENARIO
    model = BoneModel(scenario_from_text(SMALL_SCENARIO + "biology: {rebound_mechanism: osteomorph_recycling}\n")
                      .scenario)
    morphs = model.precursors.osteomorphs
    assert morphs.active
    model.spin_up(3)
    assert morphs.held[0].days == 3 and morphs.untreated is None
    model.step()
    assert morphs.untreated is not None and morphs.last_nuclei == model.osteoclast_nuclei()
    pool = model.precursors
    s = model.biology.osteomorph_share_of_fusion
    assert pool.fusing_relative == pytest.approx((1 - s) * pool.committed_relative
                                                 + s * morphs.untreated[2] * morphs.refusing, rel=1e-12)
    assert not BoneModel(scenario_from_text(SMALL_SCENARIO).scenario).precursors.osteomorphs.active

"""The whole-skeleton layer: each rule is the agents' rule in expectation, and the layer is deterministic."""

import numpy as np
import pytest

from engine.kernels.remodeling import mineralize
from engine.scenario import scenario_from_text
from engine.scenario.biology import BiologyParameters
from engine.skeleton.compartments import Compartment
from engine.kernels.cohorts import tissue_day, working_probability
from engine.skeleton.layer import SkeletonLayer, _reversal_pmf
from engine.skeleton.patient import SkeletonModel
from engine.units import DAYS_PER_YEAR

POSTMENOPAUSAL = dict(rankl_factor=2.0, opg_factor=1.0, binder_nM=0.0, binder_kd_nM=0.003, supply_factor=1.5,
                      osteoclast_lifespan_factor=1.5, working_life_days=72.0, coupling_fold=1.0)
PATIENT = """\
name: skeleton
seed: 1
duration_days: 400
geometry:
  volume_size_um: [600, 600, 600]
  voxel_size_um: 10
  structure: {type: synthetic_trabecular, bv_tv: 0.2, trabecular_thickness_um: 130, seed: 1}
patient: {sex: female, age_years: 72, years_since_menopause: 22}
"""


def one_compartment(bs_bv=12.6):
    return SkeletonLayer(BiologyParameters(), 0.2, parts=(Compartment("t", "trabecular", 10.0, bs_bv, 1.0, "rest"),))


def test_reversal_delay_is_the_agents_rounded_gamma():
    b = BiologyParameters()
    pmf = _reversal_pmf(b.reversal_shape, b.reversal_days)
    draws = np.maximum(1, np.round(np.random.default_rng(0).gamma(b.reversal_shape, b.reversal_days / b.reversal_shape,
                                                                   200_000)))
    empirical = np.bincount(draws.astype(int), minlength=pmf.size)[:pmf.size] / draws.size
    assert pmf[0] == 0 and abs(pmf.sum() - 1) < 1e-12
    np.testing.assert_allclose(pmf, empirical, atol=3e-3)  # 200,000 draws: SE of a bin ≤ 1.1e-3


def test_osteoblasts_work_until_their_rounded_gamma_fate_day():
    b = BiologyParameters()
    life = np.random.default_rng(1).gamma(b.osteoblast_lifespan_shape, 72.0 / b.osteoblast_lifespan_shape, 200_000)
    fate = np.maximum(1, np.round(life))  # the agents: fate day = start + max(1, round(L)); it works on its fate day
    for age in (0, 1, 30, 60, 72, 90, 140):
        expected = float(np.mean(fate >= age))
        assert abs(working_probability(b.osteoblast_lifespan_shape, 72.0, float(age)) - expected) < 4e-3


def test_tissue_cohorts_mineralize_by_the_agents_voxel_rule():
    """A cohort of fresh osteoid, followed for 200 days, has the mineral the voxel kernel gives one voxel."""
    b = BiologyParameters()
    # slot 0: the cohort; slot 1: the slot the kernel refills each day (with nothing)
    tissue = [np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]])]
    old = [np.zeros(1), np.zeros(1), np.zeros(1)]
    totals = [np.zeros(1), np.zeros(1)]
    rates = (1.0 - np.exp(-1.0 / b.mineralization_lag_days), 1.0 - np.exp(-1.0 / b.primary_mineralization_time_constant_days),
             1.0 - np.exp(-1.0 / (b.secondary_mineralization_time_constant_years * DAYS_PER_YEAR)))
    voxel = [np.ones((1, 1, 1), np.float32), np.ones((1, 1, 1), np.float32), np.zeros((1, 1, 1), np.float32)]
    for _ in range(200):
        tissue_day(*tissue, *old, np.ones(1), 1, np.zeros(1), *rates, b.primary_mineral_fraction_of_final, *totals)
        mineralize(voxel[0], voxel[1], voxel[2], 1.0, b.mineralization_lag_days, b.primary_mineral_fraction_of_final,
                   b.primary_mineralization_time_constant_days, b.secondary_mineralization_time_constant_years * DAYS_PER_YEAR,
                   1.0)
    assert totals[1][0] == pytest.approx(tissue[2][0, 0])
    assert tissue[2][0, 0] == pytest.approx(float(voxel[2][0, 0, 0]), rel=1e-5)  # float32 kernel
    assert tissue[1][0, 0] == pytest.approx(float(voxel[1][0, 0, 0]), rel=1e-4, abs=1e-6)


def test_activation_is_the_agents_poisson_mean():
    """New BMUs a day = activation_per_mm2_per_year / 365.25 × quiescent surface × committed precursors ×
    the activation sites' factor (the agents' `Activation` rule)."""
    b = BiologyParameters()
    layer = one_compartment()
    for _ in range(300):
        layer.run_step(**POSTMENOPAUSAL)
    quiescent = layer.surface_mm2 - layer.eroded_surface_mm2 - layer.osteoid_surface_mm2
    layer.run_step(**POSTMENOPAUSAL)
    expected = (b.activation_per_mm2_per_year / DAYS_PER_YEAR * quiescent * layer.committed
                * layer.sites.activation_factor)
    assert np.all(layer.sites.activation_factor != 1.0)  # not held: c₀ = 1 ≠ c, so the factor is in play
    np.testing.assert_allclose(layer.activations, expected, rtol=2e-3)  # the surface moved by one day


def test_untreated_remodeling_is_near_balance_and_cortical_bone_turns_over_slower():
    layer = SkeletonLayer(BiologyParameters(), 0.2, 2000.0 / 130)
    for _ in range(500):
        layer.run_step(**POSTMENOPAUSAL)
    turnover = layer.turnover_per_year(182)
    kinds = np.array([p.kind for p in layer.parts])
    trab, cort = turnover[kinds == "trabecular"], turnover[kinds == "cortical"]
    assert np.all((trab > 0.10) & (trab < 0.60))  # targets.md §10: trabecular ~25 %/y (the agents: ~30 %/y)
    assert np.all(cort < trab.min() / 4)          # cortical ~3 %/y: several times slower
    _, resorbed, formed = layer.mean_over(182)
    # remodeling alone (no modeling-based formation here): a BMU refills coupling × rate × working life of its
    # cavity, 1/1.03 in a premenopausal woman (cancellous MBF makes up the rest) × 0.96 (estrogen-deficient
    # osteoblast life)
    b = BiologyParameters()
    expected = b.osteoblasts_per_1e6_um3_resorbed / 1e6 * b.osteoblast_matrix_um3_per_day * 72.0
    assert np.all(np.abs(formed / resorbed - expected) < 0.03), (formed / resorbed, expected)


def test_modeling_based_formation_persists_when_resorption_stops():
    """MBF needs no RANKL (targets.md §9: AVA, Ominsky 2015): with RANKL fully blocked remodeling formation
    ends within a BMU lifetime while the lining cells' modeling units keep forming at their base rate (× the
    compartment's fold: cortical envelopes model more than cancellous bone)."""
    b = BiologyParameters()
    layer = SkeletonLayer(b, 0.2, 2000.0 / 130)
    rate = b.modeling_formation_lining_activation_per_day
    base = dict(POSTMENOPAUSAL, lining_activation_per_day=rate, untreated_lining_activation_per_day=rate)
    for _ in range(400):
        layer.run_step(**base)
    untreated = layer.mean_over(91)[2]
    blocked = dict(base, binder_nM=50.0)  # denosumab at its serum peak: free RANKL ~1e-4 of untreated
    for _ in range(400):
        layer.run_step(**blocked)
    on_drug = layer.mean_over(91)[2]
    quiescent_share = 1.0 - (layer.eroded_surface_mm2 + layer.osteoid_surface_mm2) / layer.surface_mm2
    units_per_day = layer.surface_mm2 * quiescent_share * 1e6 / b.lining_cell_area_um2 * (
        1.0 - np.exp(-rate * layer.modeling_fold))
    assert np.any(layer.modeling_fold > 1.0) and np.any(layer.modeling_fold == 1.0)
    mbf_um3_per_day = units_per_day * b.osteoblast_matrix_um3_per_day * 72.0   # one osteoblast per unit
    assert np.all(on_drug < 0.3 * untreated)                                     # remodeling formation is gone
    assert np.all(np.abs(on_drug / mbf_um3_per_day - 1.0) < 0.1), on_drug / mbf_um3_per_day  # MBF is what is left


def test_the_layer_is_deterministic_and_the_same_with_or_without_agents():
    scenario = scenario_from_text(PATIENT + "regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous}]\n").scenario
    runs = []
    for _ in range(2):
        model = SkeletonModel(scenario)
        model.spin_up(200)
        for _ in range(60):
            model.step()
        runs.append(model.skeleton.readouts())
    assert runs[0] == runs[1]


def _denosumab_rows(days: int, pharmacokinetics: str = "") -> list[dict]:
    scenario = scenario_from_text(PATIENT + "regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous}]\n"
                                  + pharmacokinetics).scenario
    model = SkeletonModel(scenario)
    model.spin_up(300)
    rows = []
    for _ in range(days):
        model.step()
        rows.append(model.skeleton.readouts())
    return rows


def test_ctx_below_the_assay_floor_is_reported_at_it():
    """With every site in the antibody's reach resorption falls ~99.9 % between doses: below the LLOQ."""
    rows = _denosumab_rows(60, "pharmacokinetics: {denosumab: {out_of_reach_fraction: 0.0}}\n")
    assert min(r["serum_ctx_ng_per_ml"] for r in rows) == pytest.approx(0.049)


def test_denosumab_suppresses_markers_and_raises_bmd():
    rows = _denosumab_rows(120)
    ctx = [r["serum_ctx_ng_per_ml"] for r in rows]
    assert min(ctx) >= 0.049  # never below the LLOQ
    # what out_of_reach_fraction was calibrated on (denosumab table): resorption 84-89 % lower at months 1-3
    assert all(-89.0 <= r["serum_ctx_change_pct"] <= -84.0 for r in rows[30:91])
    assert rows[2]["serum_ctx_change_pct"] < -50  # within days (§2 'Serum CTX fall')
    assert rows[10]["serum_p1np_change_pct"] > -25 and rows[-1]["serum_p1np_change_pct"] < -50  # P1NP lags (coupling)
    assert rows[-1]["lumbar_spine_bmd_change_pct"] > 1.0 and rows[-1]["total_hip_bmd_change_pct"] > 1.0


def test_parts_out_of_the_binders_reach_are_the_untreated_layer_at_their_share():
    """split_by_drug_reach: with a share s out of reach, every extensive quantity is (1 − s) × the layer where the
    drug reaches everything + s × the same layer without the drug (each part is its own state; only the RANKL
    totals are shared, and the drug does not change them)."""
    s, blocked = 0.13, dict(POSTMENOPAUSAL, binder_nM=5.0)
    parts = (Compartment("t", "trabecular", 10.0, 12.6, 1.0, "rest"), Compartment("c", "cortical", 30.0, 2.3, 1.0, "rest"))
    split = SkeletonLayer(BiologyParameters(), 0.2, parts=parts, out_of_reach_fraction=s)
    reached = SkeletonLayer(BiologyParameters(), 0.2, parts=parts)
    untreated = SkeletonLayer(BiologyParameters(), 0.2, parts=parts)
    assert split.names == ("t", "c", "t_out_of_reach", "c_out_of_reach") and split.base_names == ("t", "c")
    np.testing.assert_allclose(split.by_compartment(split.bone_mm3), reached.bone_mm3)
    for day in range(300):
        drug = blocked if day >= 200 else POSTMENOPAUSAL
        split.run_step(**drug)
        reached.run_step(**drug)
        untreated.run_step(**POSTMENOPAUSAL)
    for name in ("resorbed_um3", "formed_um3", "mineral", "bone_mm3"):
        expected = (1 - s) * getattr(reached, name) + s * getattr(untreated, name)
        np.testing.assert_allclose(split.by_compartment(getattr(split, name)), expected, rtol=1e-9, err_msg=name)
    assert reached.resorbed_um3.sum() < 0.05 * untreated.resorbed_um3.sum()  # the drug does block where it reaches

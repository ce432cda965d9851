"""The whole-skeleton layer's cohort kernels against numpy twins that spell out the same rules array-wise
(the layer's own numpy code before the kernels), on random cohort states."""

import math

import numpy as np
import pytest
from scipy.special import gammaincc

from engine.kernels.cohorts import form_cohorts, gamma_q, resorb_cohorts, spread_over_delays, tissue_day, \
    working_probability

K, SLOTS = 4, 50


@pytest.mark.parametrize("a", [1.0, 2.0, 4.0, 8.0, 2.5, 7.3, 0.6, 30.0])
def test_gamma_q_is_scipys_gammaincc(a):
    x = np.concatenate([[0.0, 1e-8], np.linspace(0.01, 4 * a + 30, 400)])
    ours = np.array([gamma_q(a, float(v)) for v in x])
    np.testing.assert_allclose(ours, gammaincc(a, x), rtol=1e-11, atol=1e-15)


def numpy_working(shape, mean_days, age_days):
    scale = mean_days / shape
    p = gammaincc(shape, np.clip(age_days - 0.5, 0.0, None) / np.where(scale > 0, scale, 1.0))
    return np.where(age_days <= 1, 1.0, p)


def test_working_probability_is_the_rounded_gamma_survival():
    ages = np.arange(0.0, 300.0)
    ours = np.array([working_probability(8.0, 72.0, a) for a in ages])
    np.testing.assert_allclose(ours, numpy_working(8.0, 72.0, ages), rtol=1e-11, atol=1e-15)


def _resorption_state(rng):
    bmus = np.where(rng.random((K, SLOTS)) < 0.7, rng.uniform(0, 50, (K, SLOTS)), 0.0)
    survival = np.where(bmus > 0, rng.uniform(0.01, 1, (K, SLOTS)), 0.0)
    fraction = np.where(bmus > 0, 1 - (1 - survival) ** 3 + rng.uniform(0, 0.01, (K, SLOTS)), 0.0)
    fraction[0, :5] = rng.uniform(0, 1, 5)  # retired cohorts (bmus 0) with a share left
    return [bmus, survival, rng.uniform(1, 9, (K, SLOTS)), np.minimum(fraction, 1.0),
            rng.uniform(0, 1e6, (K, SLOTS)), rng.uniform(0, 1e4, (K, SLOTS))]


def numpy_resorb(bmus, survival, nuclei, fraction, volume, footprint, fusion, nucleus_keep, hazard, n_oc, per_nucleus,
                 per_cell):
    live = bmus > 0
    n = nuclei + fusion[:, None]
    n -= n * (1.0 - nucleus_keep)
    surv = survival * np.exp(-hazard)[:, None]
    nuclei = np.where(live, n, 0.0)
    survival = np.where(live, surv, 0.0)
    cells = bmus * n_oc * survival
    resorbed = cells * nuclei * per_nucleus[:, None]
    swept = cells * per_cell
    volume = volume + resorbed
    footprint = footprint + swept
    now = np.where(live, 1.0 - (1.0 - survival) ** n_oc, 0.0)
    ending = np.clip(np.where(fraction > 0, (fraction - now) / np.where(fraction > 0, fraction, 1.0), 0.0), 0.0, 1.0)
    leaving = (bmus * (fraction - now)).sum(1), (volume * ending).sum(1), (footprint * ending).sum(1)
    return ([bmus, survival, nuclei, now, volume * (1 - ending), footprint * (1 - ending)],
            [resorbed.sum(1), swept.sum(1), *leaving])


def test_resorb_cohorts_matches_numpy_twin():
    rng = np.random.default_rng(1)
    state = _resorption_state(rng)
    fusion, hazard, per_nucleus = rng.uniform(0, 1, K), rng.uniform(0, 0.5, K), rng.uniform(10, 100, K)
    args = (fusion, math.exp(-0.1), hazard, 3, per_nucleus, 60.0)
    expected_state, expected_out = numpy_resorb(*[a.copy() for a in state], *args)
    out = [np.empty(K) for _ in range(5)]
    resorb_cohorts(*state, *args, *out)
    for ours, ref in zip(state + out, expected_state + expected_out):
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-9)


def test_spread_over_delays_matches_numpy_twin():
    rng = np.random.default_rng(2)
    due = [rng.uniform(0, 5, (K, 16)) for _ in range(3)]
    new = [rng.uniform(0, 5, K) for _ in range(3)]
    new[0][1] = new[1][1] = new[2][1] = 0.0
    pmf = rng.dirichlet(np.ones(16))
    shift = 11
    idx = (shift + np.arange(16)) % 16
    expected = [d.copy() for d in due]
    for d, n in zip(expected, new):
        d[:, idx] += n[:, None] * pmf
    spread_over_delays(*due, *new, pmf, shift)
    for ours, ref in zip(due, expected):
        np.testing.assert_allclose(ours, ref, rtol=1e-14)


def numpy_form(bmus, osteoblasts, capacity, footprint, life, age, share, working, shape, rate):
    active = age < np.inf
    a = np.where(active, age, 0.0)
    w = np.where(active, working, 0.0)
    laid = np.where(active, np.minimum(capacity, osteoblasts * w * rate), 0.0)
    capacity = np.where(active, capacity - laid, 0.0)
    tomorrow = np.zeros_like(w)
    tomorrow[active] = numpy_working(shape, life[active], a[active] + 1.0)
    finished = np.where(active, osteoblasts * (w - tomorrow), 0.0).sum(1)
    age = np.where(active, age + 1.0, np.inf)
    per_bmu = np.where(bmus > 0, osteoblasts / np.where(bmus > 0, bmus, 1.0), 0.0)
    share = np.where(active, 1.0 - (1.0 - tomorrow) ** np.maximum(per_bmu, 1.0), 0.0)
    done = active & ((share < 1e-6) | (osteoblasts <= 0))
    for array in (bmus, osteoblasts, capacity, footprint, share):
        array[done] = 0.0
    age[done] = np.inf
    return [bmus, osteoblasts, capacity, footprint, life, age, share, tomorrow], [laid.sum(1), finished]


def test_form_cohorts_matches_numpy_twin():
    rng = np.random.default_rng(3)
    # a slot starts on one day in every compartment with one working life (the layer's cohorts); some rows of
    # a slot are finished, and one slot's rows differ in age (the kernel must not assume they agree)
    age = np.repeat(rng.integers(0, 330, SLOTS)[None, :], K, axis=0).astype(float)
    age[rng.random((K, SLOTS)) < 0.2] = np.inf
    age[2, 7] += 3.0
    life = np.repeat(rng.uniform(60, 90, SLOTS)[None, :], K, axis=0)
    bmus = rng.uniform(0, 20, (K, SLOTS))
    bmus[0, 3] = 0.0
    osteoblasts = bmus * rng.uniform(1, 40, (K, SLOTS))
    osteoblasts[1, 4] = 0.0
    capacity = rng.uniform(0, 1e6, (K, SLOTS))
    capacity[3, :10] = np.inf  # modeling units
    working = numpy_working(8.0, life, np.where(np.isfinite(age), age, 0.0))
    state = [bmus, osteoblasts, capacity, rng.uniform(0, 1e4, (K, SLOTS)), life, age,
             rng.uniform(0, 1, (K, SLOTS)), working]
    for array in state[:4] + state[6:7]:  # an empty slot holds nothing (the layer's invariant)
        array[~np.isfinite(age)] = 0.0
    expected_state, expected_out = numpy_form(*[a.copy() for a in state], 8.0, 120.0)
    out = [np.empty(K), np.empty(K)]
    form_cohorts(*state, 8.0, 120.0, *out)
    for ours, ref in zip(state + out, expected_state + expected_out):
        np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-12)


def test_tissue_day_matches_numpy_twin():
    rng = np.random.default_rng(4)
    tissue = [rng.uniform(0.5, 1, (K, 30)) for _ in range(3)]
    tissue[1] *= rng.uniform(0, 1, (K, 30))
    tissue[2] = (tissue[0] - tissue[1]) * rng.uniform(0, 1, (K, 30))
    old = [rng.uniform(5, 10, K), rng.uniform(0, 0.1, K), rng.uniform(3, 4, K)]
    keep, new, slot = rng.uniform(0.99, 1, K), rng.uniform(0, 0.01, K), 17
    mature, fast, slow, primary = 0.07, 0.2, 0.0002, 0.7
    ref_t = [t.copy() for t in tissue]
    ref_o = [o.copy() * keep for o in old]
    for t in ref_t:
        t *= keep[:, None]
    for r, t in zip(ref_o, ref_t):
        r += t[:, slot]
    ref_t[0][:, slot] = new
    ref_t[1][:, slot] = new
    ref_t[2][:, slot] = 0.0
    for bone, osteoid, mineral in (ref_t, ref_o):
        osteoid -= osteoid * mature
        matrix = bone - osteoid
        mineral += np.where(mineral < primary * matrix, (primary * matrix - mineral) * fast, 0.0)
        mineral += np.where(mineral < matrix, (matrix - mineral) * slow, 0.0)
    totals = [np.empty(K), np.empty(K)]
    tissue_day(*tissue, *old, keep, slot, new, mature, fast, slow, primary, *totals)
    for ours, ref in zip(tissue + old, ref_t + ref_o):
        np.testing.assert_allclose(ours, ref, rtol=1e-13)
    np.testing.assert_allclose(totals[0], ref_o[0] + ref_t[0].sum(1), rtol=1e-13)
    np.testing.assert_allclose(totals[1], ref_o[2] + ref_t[2].sum(1), rtol=1e-13)


def test_advance_pools_is_the_agents_precursor_pool():
    """The layer's compiled pools follow `PrecursorPool.advance` (the agents' class) pool by pool."""
    from engine.agents.precursor_pool import PrecursorPool
    from engine.kernels.cohorts import advance_pools
    from engine.scenario.biology import BiologyParameters

    b = BiologyParameters()
    rng = np.random.default_rng(5)
    sizes = rng.uniform(0.5, 3.0, K)
    agents = [PrecursorPool(b, 1.0, float(s)) for s in sizes]
    layer = PrecursorPool(b, 1.0, sizes)
    committed = np.empty(K)
    for day in range(60):
        theta = rng.uniform(0.0, 2.0 * b.reference_rank_occupancy, K)
        supply = 1.0 + 0.5 * (day % 2)
        for pool, t in zip(agents, theta):
            pool.advance(float(t), supply)
        advance_pools(layer.relative_size, layer.committed_stages, layer._day_propagator, layer._rate, theta,
                      b.reference_rank_occupancy, b.precursor_lifespan_days, b.precursor_differentiation_per_day,
                      supply, committed)
        np.testing.assert_allclose(layer.relative_size, [p.relative_size for p in agents], rtol=1e-12)
        np.testing.assert_allclose(committed, [p.committed_relative for p in agents], rtol=1e-12)


def test_marrow_signal_is_the_binding_closed_form_on_osteocyte_totals():
    from engine.kernels.binding import free_ligand_competitive
    from engine.kernels.cohorts import marrow_signal

    rng = np.random.default_rng(6)
    bone, initial = rng.uniform(50, 100, K), rng.uniform(50, 100, K)
    osteocytes = rng.uniform(1e6, 1e7, K)
    signal_from = np.array([0, 1, 0, 0])
    access = rng.uniform(0, 1, K)
    occupancy = np.empty(K)
    opg_factor = 0.8 * rng.uniform(0.2, 1.0, K)  # systemic × each compartment's young osteocytes
    # K_D(OPG) 0.001 nM: OPG binds a good share of the RANKL here, so a wrong compartment's factor shows
    marrow_signal(bone, initial, 0.2, osteocytes, 3e-7, 5e-7, 2.0, opg_factor, signal_from, 0.01, access, 0.001,
                  0.003, 0.5, occupancy)
    bv_tv = np.clip(0.2 * bone / initial, 1e-6, 1 - 1e-6)
    per_litre = osteocytes / (bone * (1 - bv_tv) / bv_tv * 1e-6)
    rankl, opg = per_litre * 3e-7 * 2.0, per_litre * 5e-7 * opg_factor
    for c in range(K):
        j = signal_from[c]
        free = free_ligand_competitive(rankl[j], opg[j], 0.01 * access[c], 0.001, 0.003)
        assert occupancy[c] == pytest.approx(free / (0.5 + free), rel=1e-12)


def test_surfaces_are_the_footprint_sums():
    from engine.kernels.cohorts import surfaces_mm2

    rng = np.random.default_rng(7)
    res_fp, res_frac = rng.uniform(0, 1e5, (K, 20)), np.where(rng.random((K, 20)) < 0.5, 0.0, 0.5)
    rev_fp, form_fp, share = rng.uniform(0, 1e5, (K, 8)), rng.uniform(0, 1e5, (K, 30)), rng.uniform(0, 1, (K, 30))
    eroded, osteoid = np.empty(K), np.empty(K)
    surfaces_mm2(res_fp, res_frac, rev_fp, form_fp, share, eroded, osteoid)
    np.testing.assert_allclose(eroded, ((res_fp * (res_frac > 0)).sum(1) + rev_fp.sum(1)) / 1e6, rtol=1e-12)
    np.testing.assert_allclose(osteoid, (form_fp * share).sum(1) / 1e6, rtol=1e-12)

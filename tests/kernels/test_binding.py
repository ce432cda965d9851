"""Closed-form competitive binding against a numpy bisection reference."""

import numpy as np
import pytest

from engine.kernels.binding import bind_rankl, free_ligand_competitive


def numpy_free_rankl(lt, at, bt, ka, kb, iterations=200):
    """Reference: bisection on the mass balance L + A_T L/(K_A+L) + B_T L/(K_B+L) = L_T (monotone in L)."""
    lo = np.zeros_like(lt)
    hi = lt.copy()
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        f = mid + at * mid / (ka + mid) + bt * mid / (kb + mid) - lt
        lo = np.where(f < 0, mid, lo)
        hi = np.where(f < 0, hi, mid)
    return 0.5 * (lo + hi)


def log_uniform(rng, low, high, n):
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


def test_scalar_closed_form_matches_bisection_over_many_magnitudes():
    rng = np.random.default_rng(0)
    n = 2000
    lt = log_uniform(rng, 1e-6, 10.0, n)
    at = log_uniform(rng, 1e-6, 10.0, n)
    bt = np.where(rng.random(n) < 0.3, 0.0, log_uniform(rng, 1e-6, 500.0, n))
    ka = log_uniform(rng, 1e-3, 10.0, n)
    kb = log_uniform(rng, 1e-4, 1.0, n)
    ours = np.array([free_ligand_competitive(*args) for args in zip(lt, at, bt, ka, kb)])
    ref = numpy_free_rankl(lt, at, bt, ka, kb)
    # float64 closed form + Newton polish: relative agreement to 1e-9 of the total
    np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-12 * lt.max())


def test_no_competitors_leaves_all_rankl_free():
    assert free_ligand_competitive(0.7, 0.0, 0.0, 1.0, 0.003) == pytest.approx(0.7, rel=1e-12)


def test_excess_high_affinity_drug_binds_nearly_all_rankl():
    # 50 nM drug against K_D 3 pM: free fraction ≈ K_D / (K_D + B_T) ≈ 6e-5
    free = free_ligand_competitive(0.001, 0.004, 50.0, 1.0, 0.003)
    assert free / 0.001 == pytest.approx(0.003 / 50.003, rel=1e-3)


@pytest.mark.parametrize("drug", [True, False], ids=["with drug", "without drug (the branch-free path)"])
def test_array_kernel_outputs_satisfy_mass_balance_and_match_reference(drug):
    rng = np.random.default_rng(1)
    shape = (6, 7, 8)
    lt = log_uniform(rng, 1e-5, 1.0, np.prod(shape)).reshape(shape).astype(np.float32)
    at = log_uniform(rng, 1e-4, 1.0, np.prod(shape)).reshape(shape).astype(np.float32)
    bt = log_uniform(rng, 1e-4, 100.0, np.prod(shape)).reshape(shape).astype(np.float32)
    if not drug:
        bt[...] = 0.0
        lt.ravel()[::7] = 0.0  # cells without RANKL
    marrow = rng.random(shape).astype(np.float32)
    marrow[marrow < 0.2] = 0.0
    outs = [np.empty(shape, np.float32) for _ in range(5)]
    ka, kb, kr = 1.0, 0.003, 0.0293
    bind_rankl(lt, at, bt, marrow, ka, kb, kr, *outs)
    free_l, free_a, la, lb, occ = outs
    ref = numpy_free_rankl(lt.astype(np.float64), at.astype(np.float64), bt.astype(np.float64), ka, kb)
    m = marrow > 0
    # outputs are float32: 1e-6 relative
    np.testing.assert_allclose(free_l[m], ref[m], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose((free_l + la + lb)[m], lt[m], rtol=1e-5)
    np.testing.assert_allclose((free_a + la)[m], at[m], rtol=1e-5)
    np.testing.assert_allclose(occ[m], (ref / (ref + kr))[m], rtol=1e-5)
    for arr in outs:
        assert np.all(arr[~m] == 0)

"""Multigrid kernels against numpy twins, and the preconditioned solver against a direct sparse solve."""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from engine.kernels import multigrid as mg
from tests.kernels.test_fields import direct_solution, numpy_operator, random_marrow, sparse_matrix


def numpy_restrict(fine):
    """Pᵀ: sums over 2×2×2 blocks, the last block smaller when a size is odd."""
    padded = np.zeros(tuple(n + n % 2 for n in fine.shape))
    padded[: fine.shape[0], : fine.shape[1], : fine.shape[2]] = fine
    nz, ny, nx = padded.shape
    return padded.reshape(nz // 2, 2, ny // 2, 2, nx // 2, 2).sum(axis=(1, 3, 5))


def numpy_prolong(coarse, shape):
    """P: each fine cell takes its block's value."""
    full = coarse.repeat(2, 0).repeat(2, 1).repeat(2, 2)
    return full[: shape[0], : shape[1], : shape[2]]


def numpy_diagonal(phi, alpha):
    """Diagonal of the fine operator: A applied to unit vectors, read off with the numpy twin."""
    ones = np.ones_like(phi)
    # A·1 = α φ (fluxes cancel), and the off-diagonal sum is the conductance sum: diag = α φ + Σ g
    conductance_sum = np.zeros_like(phi)
    for axis in range(3):
        n = phi.shape[axis]
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(0, n - 1), slice(1, n)
        g = 2 * phi[tuple(lo)] * phi[tuple(hi)] / (phi[tuple(lo)] + phi[tuple(hi)] + 1e-30)
        conductance_sum[tuple(lo)] += g
        conductance_sum[tuple(hi)] += g
    np.testing.assert_allclose(numpy_operator(ones, phi, alpha), alpha * phi, atol=1e-12)
    return alpha * phi + conductance_sum


def _fine(phi, alpha):
    h = mg.Hierarchy(phi)
    h.set_alpha(alpha)
    return h, [h.level(a, 0) for a in (h.gx, h.gy, h.gz, h.diag, h.inv_diag)]


@pytest.mark.parametrize("shape", [(9, 11, 13), (8, 8, 8)])
def test_fine_level_operator_and_diagonal_match_the_field_operator(shape):
    phi = random_marrow(shape, 1)
    c = np.random.default_rng(0).random(shape)
    h, (gx, gy, gz, diag, inv_diag) = _fine(phi, 0.05)
    out = np.empty_like(c)
    h.apply(c, out)
    np.testing.assert_allclose(out, numpy_operator(c, phi, 0.05) * (phi > 0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(diag, numpy_diagonal(phi, 0.05), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(inv_diag > 0, phi > 0)


def test_jacobi_sweep_matches_numpy():
    phi = random_marrow((7, 9, 10), 2)
    rng = np.random.default_rng(3)
    c, rhs = rng.random(phi.shape) * (phi > 0), rng.random(phi.shape) * (phi > 0)  # 0 in bone, as in the solver
    _, (gx, gy, gz, diag, inv_diag) = _fine(phi, 0.02)
    out = np.empty_like(c)
    mg.jacobi_sweep(c, rhs, gx, gy, gz, inv_diag, 0.9, out)
    expected = c + 0.9 * inv_diag * (rhs - numpy_operator(c, phi, 0.02))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    mg.jacobi_from_zero(rhs, inv_diag, 0.9, out)
    np.testing.assert_allclose(out, 0.9 * inv_diag * rhs, rtol=1e-15)


@pytest.mark.parametrize("shape", [(8, 6, 10), (7, 9, 5)])
def test_restrict_prolong_and_residual_restrict_match_numpy(shape):
    rng = np.random.default_rng(4)
    fine = rng.random(shape)
    coarse = np.empty(tuple((n + 1) // 2 for n in shape))
    mg.restrict(fine, coarse)
    np.testing.assert_allclose(coarse, numpy_restrict(fine), rtol=1e-14)
    out = np.empty(shape)
    marrow = np.where(rng.random(shape) < 0.3, 0.0, rng.random(shape))
    mg.prolong_into_marrow(coarse, marrow, out)
    np.testing.assert_array_equal(out, numpy_prolong(coarse, shape) * (marrow > 0))
    # prolong-and-add leaves cells without an equation alone
    diag = np.where(rng.random(shape) < 0.3, 0.0, 1.0)
    base = rng.random(shape)
    added = base.copy()
    mg.prolong_add(coarse, added, diag)
    np.testing.assert_allclose(added, base + numpy_prolong(coarse, shape) * (diag > 0), rtol=1e-15)
    # fused residual + restriction = Pᵀ(rhs − A·c), 0 outside the marrow
    phi = random_marrow(shape, 5)
    c, rhs = rng.random(shape), rng.random(shape)
    _, (gx, gy, gz, diag, _) = _fine(phi, 0.03)
    mg.residual_restrict(c, rhs, gx, gy, gz, diag, coarse)
    residual = (rhs - numpy_operator(c, phi, 0.03)) * (phi > 0)
    np.testing.assert_allclose(coarse, numpy_restrict(residual), rtol=1e-12, atol=1e-12)


def test_coarse_operator_is_the_halved_galerkin_product():
    """Coarse faces = ½ Σ of the fine conductances across them; the reaction term sums αφ over the block, so
    the constant vector sees only reaction on every level (Pᵀ A P·1 = Pᵀ A·1 = Pᵀ αφ)."""
    phi = random_marrow((8, 10, 6), 6)
    h = mg.Hierarchy(phi)
    h.set_alpha(0.04)
    gx = h.level(h.gx, 0)
    expected_x = 0.5 * gx[:, :, 1::2].reshape(8, 10, 3)
    expected_x = expected_x.reshape(4, 2, 5, 2, 3).sum(axis=(1, 3))
    np.testing.assert_allclose(h.level(h.gx, 1), expected_x, rtol=1e-14)
    for k in range(h.levels):
        ones = np.ones(tuple(h.shapes[k]))
        out = np.empty_like(ones)
        mg.stencil_apply(ones, *(h.level(a, k) for a in (h.gx, h.gy, h.gz, h.diag)), out)
        np.testing.assert_allclose(out, 0.04 * h.level(h.phi_sum, k), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h.level(h.phi_sum, 1), numpy_restrict(phi), rtol=1e-14)


def test_v_cycle_is_a_symmetric_positive_definite_preconditioner():
    phi = random_marrow((12, 10, 14), 7)
    h = mg.Hierarchy(phi)
    h.set_alpha(0.01)
    rng = np.random.default_rng(8)
    u, v = (rng.random(phi.shape) * (phi > 0) for _ in range(2))
    mu, mv = np.empty_like(u), np.empty_like(v)
    h.v_cycle(u, mu)
    h.v_cycle(v, mv)
    # symmetric up to the rounding of its float32 levels (LEVEL_DTYPE, ~6e-8 per operation); unequal smoothing
    # before and after the coarse correction is an asymmetry of the operator itself, not of its rounding
    assert np.dot(mu.ravel(), v.ravel()) == pytest.approx(np.dot(u.ravel(), mv.ravel()), rel=1e-6)
    assert np.dot(u.ravel(), mu.ravel()) > 0


@pytest.mark.parametrize("alpha", [0.05, 1e-4])
def test_mgcg_matches_direct_sparse_solve(alpha):
    phi = random_marrow((10, 9, 11), 9)
    rhs = np.random.default_rng(10).random(phi.shape) * (phi > 0)
    c = np.zeros_like(phi)
    iterations, error = mg.solve_mgcg(mg.Hierarchy(phi), c, rhs, alpha, 1e-10, 200)
    assert error <= 1e-10 and 0 < iterations < 200
    expected = direct_solution(phi, alpha, rhs)
    # energy-norm error 1e-10 bounds the max-norm error by ~κ^½·1e-10, κ ≲ 12/α
    np.testing.assert_allclose(c.ravel(), expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max())


@pytest.mark.parametrize("rtol", [1e-3, mg.CG_LEVEL_DTYPE_MIN_RTOL])
def test_loose_solves_run_cg_in_float32_and_still_reach_their_error(rtol):
    """At rtol >= CG_LEVEL_DTYPE_MIN_RTOL CG's vectors and operator are float32 (module docstring, Precision).
    The solution's energy-norm error against the float64 direct solve must still be about rtol: the stopping
    estimate √(r·M⁻¹r / c·b) approximates it to within a small factor (2 allowed here), and float32 rounding
    (~1e-7) is far below either rtol."""
    phi = random_marrow((10, 9, 11), 9)
    rhs = np.random.default_rng(10).random(phi.shape) * (phi > 0)
    h = mg.Hierarchy(phi)
    h.set_alpha(0.05)
    work, *operator = h.cg_arrays(rtol)
    assert work.dtype == mg.LEVEL_DTYPE and all(a.dtype == mg.LEVEL_DTYPE for a in operator)
    assert h.cg_arrays(1e-10)[0].dtype == np.float64
    c = np.zeros_like(phi)
    _, estimate = mg.solve_mgcg(h, c, rhs, 0.05, rtol, 200)
    assert estimate <= rtol
    expected = direct_solution(phi, 0.05, rhs)
    a = sparse_matrix(phi, 0.05)
    err = c.ravel() - expected
    energy_error = np.sqrt(err @ (a @ err) / (expected @ (a @ expected)))
    assert energy_error <= 2 * rtol, energy_error


def test_iterations_do_not_grow_with_the_grid_or_the_diffusion_length():
    """Jacobi-CG needs ~√(12/α) iterations; the V-cycle keeps the count bounded (the point of multigrid)."""
    counts = {}
    for n in (16, 32):
        phi = np.where(random_marrow((n, n, n), 11, bone_share=0.2) > 0, 1.0, 0.0)
        rhs = np.zeros_like(phi)
        rhs[n // 2, n // 2, :: 5] = phi[n // 2, n // 2, :: 5]
        for alpha in (1e-2, 1e-4):
            c = np.zeros_like(phi)
            counts[n, alpha], _ = mg.solve_mgcg(mg.Hierarchy(phi), c, rhs, alpha, 1e-6, 500)
    assert max(counts.values()) <= 40, counts
    assert counts[32, 1e-4] <= 2 * counts[16, 1e-2], counts


def test_warm_start_fills_cells_that_joined_the_marrow():
    phi = np.ones((4, 4, 4))
    c = np.full(phi.shape, 2.0)
    c[1, 2, 3] = 0.0
    assert mg.fill_new_cells(c, phi) == 1
    assert c[1, 2, 3] == pytest.approx(2.0)
    phi[0, 0, 0] = 0.0
    c[0, 0, 0] = 0.0
    assert mg.fill_new_cells(c, phi) == 0  # bone stays empty


def test_coarser_hierarchy_solves_the_problem_on_cells_twice_as_wide():
    """In uniform marrow the halved Galerkin operator is twice the operator re-discretised at 2h, and Pᵀb is
    twice its right-hand side: the coarser solve is the 2h solution of the same equation."""
    phi = np.ones((8, 8, 8))
    rng = np.random.default_rng(12)
    rhs = rng.random(phi.shape)
    alpha = 0.01
    coarse = mg.Hierarchy(phi).coarser(1)
    rhs_2x = np.empty((4, 4, 4))
    mg.restrict(rhs, rhs_2x)
    c = np.zeros_like(rhs_2x)
    mg.solve_mgcg(coarse, c, rhs_2x, alpha, 1e-12, 100)
    a = sparse_matrix(np.ones((4, 4, 4)), 4 * alpha)
    expected = spla.spsolve(a.tocsc(), rhs_2x.ravel() / 2)
    np.testing.assert_allclose(c.ravel(), expected, rtol=1e-8)


def numpy_dense_operator(diag, gx, gy, gz):
    """The level's operator as a dense matrix over all its cells."""
    n = diag.size
    idx = np.arange(n).reshape(diag.shape)
    dense = np.zeros((n, n))
    dense[idx.ravel(), idx.ravel()] = diag.ravel()
    for g, axis in ((gx, 2), (gy, 1), (gz, 0)):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(0, diag.shape[axis] - 1), slice(1, diag.shape[axis])
        a, b, w = idx[tuple(lo)].ravel(), idx[tuple(hi)].ravel(), g[tuple(lo)].ravel()
        dense[a, b] -= w
        dense[b, a] -= w
    return dense


def test_coarsest_inverse_inverts_the_dense_operator_on_cells_with_an_equation():
    phi = random_marrow((5, 4, 6), 11)
    phi[0] = 0.0  # a bone slab: those cells have no equation
    h = mg.Hierarchy(phi)
    h.set_alpha(0.02)
    level = [h.level(a, 0) for a in (h.diag, h.gx, h.gy, h.gz)]
    active, inverse = mg.coarsest_inverse(*level)
    np.testing.assert_array_equal(active, np.flatnonzero(level[0].ravel() > 0))
    dense = numpy_dense_operator(*level)[np.ix_(active, active)]
    np.testing.assert_allclose(inverse @ dense, np.eye(active.size), atol=1e-10)


def numpy_coarsen(g_fine, axis, face_scale=mg.COARSE_FACE_SCALE):
    """Coarse face conductances along one axis: face_scale × Σ of the fine faces at odd positions along the axis
    (the faces between blocks), summed over the block's cells across the other two axes."""
    faces = np.take(g_fine, np.arange(1, g_fine.shape[axis], 2), axis=axis)
    pad = [(0, 0)] * 3
    coarse_n = (g_fine.shape[axis] + 1) // 2
    pad[axis] = (0, coarse_n - faces.shape[axis])  # a last block without an upper face inside the level
    faces = np.pad(faces, pad)
    # summed over the block's (up to) 2×2 cells across the other two axes; along `axis` there is one face per block
    blocks = np.zeros(tuple((n + 1) // 2 if a != axis else coarse_n for a, n in enumerate(g_fine.shape)))
    for offsets in np.ndindex(2, 2, 2):
        if offsets[axis]:
            continue
        part = faces[tuple(slice(o, None, 2) if a != axis else slice(None) for a, o in enumerate(offsets))]
        blocks[tuple(slice(0, s) for s in part.shape)] += part
    return face_scale * blocks


@pytest.mark.parametrize("shape", [(7, 9, 5), (8, 6, 10)])
def test_coarsen_matches_numpy_on_every_axis_and_keeps_float32_copies(shape):
    phi = random_marrow(shape, 12)
    h = mg.Hierarchy(phi)
    for name, axis in (("gx", 2), ("gy", 1), ("gz", 0)):
        fine, coarse = h.level(getattr(h, name), 0), h.level(getattr(h, name), 1)
        np.testing.assert_allclose(coarse, numpy_coarsen(fine, axis), rtol=1e-14, atol=1e-300)
        np.testing.assert_array_equal(getattr(h, name + "32"), getattr(h, name).astype(mg.LEVEL_DTYPE))
    np.testing.assert_allclose(h.level(h.phi_sum, 1), numpy_restrict(phi), rtol=1e-14)

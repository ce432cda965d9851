"""Field solver kernels against numpy references and exact invariants."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from engine.kernels.fields import apply_operator, coarse_marrow_fraction, red_black_sor_sweep, relative_residual, solve_cg


def numpy_operator(c, phi, alpha):
    """Reference: the same finite-volume operator with numpy slicing (no-flux at the volume edge)."""
    out = alpha * phi * c
    for axis in range(3):
        n = c.shape[axis]
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(0, n - 1), slice(1, n)
        lo, hi = tuple(lo), tuple(hi)
        g = 2 * phi[lo] * phi[hi] / (phi[lo] + phi[hi] + 1e-30)
        flux = g * (c[lo] - c[hi])
        out[lo] += flux
        out[hi] -= flux
    return out


def sparse_matrix(phi, alpha):
    """The operator as an explicit sparse matrix, built column by column from the numpy reference."""
    n = phi.size
    cols = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        cols.append(sp.csc_matrix(numpy_operator(e.reshape(phi.shape), phi, alpha).reshape(-1, 1)))
    return sp.hstack(cols).tocsr()


def direct_solution(phi, alpha, rhs):
    """Reference solution by a sparse direct solve on the marrow domain (0 in bone)."""
    domain = phi.ravel() > 0
    a = sparse_matrix(phi, alpha)[domain][:, domain]
    expected = np.zeros(phi.size)
    expected[domain] = spla.spsolve(a.tocsc(), rhs.ravel()[domain])
    return expected


def random_marrow(shape, seed, bone_share=0.3):
    rng = np.random.default_rng(seed)
    phi = rng.uniform(0.2, 1.0, shape)
    phi[rng.random(shape) < bone_share] = 0.0
    return phi


def test_operator_matches_numpy_reference():
    rng = np.random.default_rng(0)
    phi = random_marrow((9, 11, 13), 1)
    c = rng.random(phi.shape)
    out = np.empty_like(c)
    apply_operator(c, phi, 0.05, out)
    np.testing.assert_allclose(out, numpy_operator(c, phi, 0.05), rtol=1e-12, atol=1e-12)


def test_operator_float32_matches_reference():
    rng = np.random.default_rng(2)
    phi = random_marrow((8, 8, 8), 3).astype(np.float32)
    c = rng.random(phi.shape).astype(np.float32)
    out = np.empty_like(c)
    apply_operator(c, phi, np.float32(0.01), out)
    # float32: ~7 digits per term, 7 terms
    np.testing.assert_allclose(out, numpy_operator(c.astype(np.float64), phi.astype(np.float64), 0.01),
                               rtol=2e-5, atol=2e-6)


def test_cg_matches_direct_sparse_solve():
    phi = random_marrow((6, 7, 8), 4)
    rhs = np.random.default_rng(5).random(phi.shape) * (phi > 0)
    alpha = 0.02
    c = np.zeros_like(phi)
    iterations, res = solve_cg(c, phi, rhs, alpha, 1e-10, 10000)
    assert res <= 1e-10 and iterations > 0
    expected = direct_solution(phi, alpha, rhs)
    # κ(A) ≲ 12/α = 600, so a 1e-10 residual bounds the error by ~1e-7 relative
    np.testing.assert_allclose(c.ravel(), expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())


def test_red_black_sor_converges_to_the_cg_solution():
    phi = random_marrow((8, 8, 8), 6)
    rhs = np.random.default_rng(7).random(phi.shape) * (phi > 0)
    alpha = 0.1
    c_cg = np.zeros_like(phi)
    solve_cg(c_cg, phi, rhs, alpha, 1e-12, 10000)
    c_sor = np.zeros_like(phi)
    for _ in range(400):
        red_black_sor_sweep(c_sor, phi, rhs, alpha, 1.6)
    assert relative_residual(c_sor, phi, rhs, alpha) < 1e-8
    np.testing.assert_allclose(c_sor, c_cg, rtol=1e-6, atol=1e-10)


def test_uniform_marrow_uniform_source_gives_source_over_decay():
    """No-flux box, uniform source s and decay k: c = s/k everywhere (here in scaled form b/α)."""
    phi = np.ones((10, 10, 10))
    alpha, b = 0.003, 0.6
    c = np.zeros_like(phi)
    solve_cg(c, phi, np.full(phi.shape, b), alpha, 1e-12, 5000)
    np.testing.assert_allclose(c, b / alpha, rtol=1e-9)


def test_steady_state_mass_balance():
    """Σ sources = Σ decay: diffusion only moves mass, so Σ α φ c = Σ b holds exactly at convergence."""
    phi = random_marrow((12, 12, 12), 8)
    rhs = np.zeros_like(phi)
    rhs[phi > 0] = 0.0
    idx = np.argwhere(phi > 0)[:20]
    rhs[tuple(idx.T)] = 1.0  # point sources
    alpha = 0.01
    c = np.zeros_like(phi)
    solve_cg(c, phi, rhs, alpha, 1e-12, 10000)
    assert np.sum(alpha * phi * c) == pytest.approx(rhs.sum(), rel=1e-8)
    assert np.all(c[phi == 0] == 0.0)
    assert c.min() >= -1e-12


def test_warm_start_from_the_solution_needs_no_iterations():
    phi = random_marrow((8, 8, 8), 9)
    rhs = np.random.default_rng(1).random(phi.shape)
    c = np.zeros_like(phi)
    first, _ = solve_cg(c, phi, rhs, 0.05, 1e-8, 10000)
    again, res = solve_cg(c, phi, rhs, 0.05, 1e-8, 10000)
    assert first > 5 and again == 0 and res <= 1e-8


def test_zero_source_gives_zero_field():
    phi = random_marrow((5, 5, 5), 10)
    c = np.ones_like(phi)
    iterations, res = solve_cg(c, phi, np.zeros_like(phi), 0.1, 1e-8, 100)
    assert iterations == 0 and np.all(c == 0)


def test_operator_diagonal_matches_the_matrix_diagonal():
    from engine.kernels.fields import operator_diagonal
    phi = random_marrow((5, 6, 7), 11)
    diag = np.empty_like(phi)
    operator_diagonal(phi, 0.03, diag)
    np.testing.assert_allclose(diag.ravel(), sparse_matrix(phi, 0.03).diagonal(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "enclosed-mask"])
@pytest.mark.parametrize("factor", [1, 2, 3])
def test_coarse_marrow_fraction_is_the_block_mean_of_one_minus_bone(factor, masked):
    """With an `enclosed` mask its voxels count as bone (closed marrow pockets)."""
    rng = np.random.default_rng(8)
    bone = rng.random((6, 12, 18)).astype(np.float32)  # sizes the factors divide
    enclosed = rng.random(bone.shape) < 0.3 if masked else np.zeros((0, 0, 0), bool)
    out = np.empty((6 // factor, 12 // factor, 18 // factor))
    coarse_marrow_fraction(bone, enclosed, factor, out)
    marrow = (np.float32(1.0) - bone).astype(np.float64)
    if masked:
        marrow[enclosed] = 0.0
    nz, ny, nx = out.shape
    expected = marrow.reshape(nz, factor, ny, factor, nx, factor).mean(axis=(1, 3, 5))
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_move_to_open_cells_takes_the_neighbour_with_most_marrow():
    """Numpy twin: a source cell below the threshold moves to its face neighbour with the most marrow (first in
    the order z+, z−, y+, y−, x+, x− is kept on ties; it moves only to strictly more marrow); others stay."""
    from engine.kernels.fields import move_to_open_cells
    rng = np.random.default_rng(4)
    phi = rng.random((6, 7, 8))
    phi[rng.random(phi.shape) < 0.3] = 0.0
    cells = np.argwhere(np.ones(phi.shape, bool))[rng.choice(phi.size, 60, replace=False)]
    moved = cells.copy()
    n = move_to_open_cells(moved, phi, 0.5)
    expected = cells.copy()
    for i, (z, y, x) in enumerate(cells):
        if phi[z, y, x] >= 0.5:
            continue
        best, where = phi[z, y, x], (z, y, x)
        for dz, dy, dx in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            q = (z + dz, y + dy, x + dx)
            if all(0 <= q[k] < phi.shape[k] for k in range(3)) and phi[q] > best:
                best, where = phi[q], q
        expected[i] = where
    np.testing.assert_array_equal(moved, expected)
    assert n == int((moved != cells).any(axis=1).sum()) > 0


def numpy_marrow_weighted_box_mean(values, phi):
    """Σ φ·values / Σ φ over the 3×3×3 block around every cell (cut at the edges; 0 with no marrow there)."""
    from scipy import ndimage
    footprint = np.ones((3, 3, 3))
    total = ndimage.correlate(phi * values, footprint, mode="constant")
    weight = ndimage.correlate(phi, footprint, mode="constant")
    return np.where(weight > 0, total / np.where(weight > 0, weight, 1), 0.0)


def test_marrow_weighted_mean_at_every_cell_against_numpy():
    from engine.kernels.fields import marrow_weighted_mean_at
    rng = np.random.default_rng(5)
    phi = rng.random((5, 6, 7))
    phi[rng.random(phi.shape) < 0.4] = 0.0
    phi[0] = 0.0  # a plane of bone: its cells read the marrow next to them
    values = rng.random(phi.shape)
    z, y, x = (a.ravel().astype(np.int64) for a in np.indices(phi.shape))
    out = np.empty(phi.size)
    marrow_weighted_mean_at(values, phi, z, y, x, out)
    np.testing.assert_allclose(out.reshape(phi.shape), numpy_marrow_weighted_box_mean(values, phi), rtol=1e-12)


def test_source_density_equals_bincount_times_scale_exactly():
    from engine.kernels.fields import source_density
    rng = np.random.default_rng(5)
    shape = (6, 7, 9)
    cells = np.stack([rng.integers(0, n, 400) for n in shape], axis=1).astype(np.int64)  # repeats: shared cells
    amounts = rng.random(400) * 1e3
    scale = 3.7e-5
    out = np.full(shape, np.nan)
    source_density(cells, amounts, scale, out)
    flat = np.ravel_multi_index(tuple(cells.T), shape)
    expected = np.bincount(flat, weights=amounts, minlength=int(np.prod(shape))).reshape(shape) * scale
    np.testing.assert_array_equal(out, expected)


def test_marrow_weighted_mean_at_equals_the_one_cell_mean_at_those_cells():
    from engine.kernels.fields import marrow_weighted_mean_around, marrow_weighted_mean_at
    rng = np.random.default_rng(11)
    phi = rng.random((5, 6, 7)) * (rng.random((5, 6, 7)) > 0.3)
    values = rng.random((5, 6, 7))
    z, y, x = (rng.integers(0, n, 50) for n in phi.shape)
    out = np.empty(50)
    marrow_weighted_mean_at(values, phi, z, y, x, out)
    one_by_one = [marrow_weighted_mean_around(values, phi, int(a), int(b), int(c)) for a, b, c in zip(z, y, x)]
    np.testing.assert_array_equal(out, one_by_one)  # the same arithmetic
    np.testing.assert_allclose(out, numpy_marrow_weighted_box_mean(values, phi)[z, y, x], rtol=1e-12)

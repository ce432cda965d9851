"""Quasi-steady reaction-diffusion of a soluble factor in marrow: D∇²c − k·c + s = 0.

Why quasi-steady: protein diffusion (~10 µm²/s) equilibrates over a 300 µm diffusion length in
minutes, while the model steps in days (DESIGN.md, "Fields are quasi-steady").

Discretisation (finite volumes on a grid of cubic cells of edge h). Each cell has a marrow
(pore) fraction φ ∈ [0, 1]: 1 in marrow, 0 in bone, in between for partly resorbed voxels or for
cells of a coarser field grid. Flux between face neighbours i, j uses the face conductance
g_ij = 2·φi·φj / (φi + φj) (harmonic mean, the series combination of two half-cells), so a
marrow–bone face carries no flux (no-flux at bone surfaces) and the domain boundary is no-flux.
Multiplying the balance by h²/D gives the symmetric positive definite system solved here:

    (A c)_i = Σ_j g_ij (c_i − c_j) + α φ_i c_i = b_i,     α = k h² / D,   b_i = (h²/D) · q_i

where q_i is the source per unit total cell volume (nM/day). Cells with φ = 0 are outside the
domain and keep c = 0.

Solver: Jacobi-preconditioned conjugate gradients (matrix-free), warm-started from the previous
solution. Why not (red–black) SOR alone: with D/h² ≫ k (diffusion lengths of 300–1600 µm against
10–20 µm cells) the smooth error modes decay by a factor ≈ 1 − O(α) per sweep, so SOR needs
thousands of sweeps, while CG needs O(√κ) iterations (κ ≈ 12/α). `benchmarks/bench_kernels.py`
measures both (sweeps- and iterations-to-tolerance). `red_black_sor_sweep` is kept for that
comparison and as an independent solver in tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_TINY = 1e-30


@njit(inline="always")
def _conductance(a, b):
    return 2.0 * a * b / (a + b + _TINY)


@njit(inline="always")
def _half_flux(p, q, ci, cq, tiny):
    """Half the flux term g·(c_i − c_q) of one face (g/2 = p·q/(p+q)); the factor 2 is applied once per cell."""
    return p * q / (p + q + tiny) * (ci - cq)


@njit(parallel=True, fastmath=True, cache=True)
def _operator_kernel(c, phi, half_alpha, tiny, out):
    """out = A·c. Written for SIMD: scalars come typed like the arrays (float32 stays float32), a
    neighbour row outside the volume is the row itself (its term g·(c_i − c_i) is exactly 0: the
    no-flux edge), and the x-interior loop has no branches; the two x-edge cells are done after it."""
    nz, ny, nx = c.shape
    for zu in prange(nz):
        z = np.int64(zu)  # prange's index is unsigned; mixing it with signed ints would give floats
        zm = max(z - 1, 0)
        zp = min(z + 1, nz - 1)
        for y in range(ny):
            ym = max(y - 1, 0)
            yp = min(y + 1, ny - 1)
            c0, p0 = c[z, y], phi[z, y]
            c1, p1 = c[zm, y], phi[zm, y]
            c2, p2 = c[zp, y], phi[zp, y]
            c3, p3 = c[z, ym], phi[z, ym]
            c4, p4 = c[z, yp], phi[z, yp]
            o = out[z, y]
            for x in range(1, nx - 1):
                p = p0[x]
                ci = c0[x]
                acc = (half_alpha * p * ci
                       + _half_flux(p, p1[x], ci, c1[x], tiny) + _half_flux(p, p2[x], ci, c2[x], tiny)
                       + _half_flux(p, p3[x], ci, c3[x], tiny) + _half_flux(p, p4[x], ci, c4[x], tiny)
                       + _half_flux(p, p0[x - 1], ci, c0[x - 1], tiny) + _half_flux(p, p0[x + 1], ci, c0[x + 1], tiny))
                o[x] = acc + acc
            for x in (0, nx - 1):
                xm = max(x - 1, 0)
                xp = min(x + 1, nx - 1)
                p = p0[x]
                ci = c0[x]
                acc = (half_alpha * p * ci
                       + _half_flux(p, p1[x], ci, c1[x], tiny) + _half_flux(p, p2[x], ci, c2[x], tiny)
                       + _half_flux(p, p3[x], ci, c3[x], tiny) + _half_flux(p, p4[x], ci, c4[x], tiny)
                       + _half_flux(p, p0[xm], ci, c0[xm], tiny) + _half_flux(p, p0[xp], ci, c0[xp], tiny))
                o[x] = acc + acc


@njit(cache=True)
def apply_operator(c, phi, alpha, out):
    """out = A·c for the screened diffusion operator above (arrays (nz, ny, nx), float32 or float64)."""
    scalars = np.empty(2, c.dtype)  # typed like the arrays, so float32 arithmetic is not promoted
    scalars[0] = 0.5 * alpha
    scalars[1] = _TINY
    _operator_kernel(c, phi, scalars[0], scalars[1], out)


@njit(parallel=True, cache=True)
def operator_diagonal(phi, alpha, out):
    """Diagonal of A (the Jacobi preconditioner); 0 for cells outside the marrow domain."""
    nz, ny, nx = phi.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                p = phi[z, y, x]
                acc = alpha * p
                if x > 0:
                    acc += _conductance(p, phi[z, y, x - 1])
                if x < nx - 1:
                    acc += _conductance(p, phi[z, y, x + 1])
                if y > 0:
                    acc += _conductance(p, phi[z, y - 1, x])
                if y < ny - 1:
                    acc += _conductance(p, phi[z, y + 1, x])
                if z > 0:
                    acc += _conductance(p, phi[z - 1, y, x])
                if z < nz - 1:
                    acc += _conductance(p, phi[z + 1, y, x])
                out[z, y, x] = acc


@njit(parallel=True, fastmath={"reassoc"}, cache=True)
def dot(a, b):
    """a·b over all elements. Reassociation allowed (only that): the sum then vectorizes, ~3.5x faster at 10⁵
    cells; its order already depends on the thread split of the parallel loop."""
    a1 = a.ravel()
    b1 = b.ravel()
    total = 0.0
    for i in prange(a1.size):
        total += a1[i] * b1[i]
    return total


@njit(parallel=True, cache=True)
def _step_and_norm(c, r, p, ap, step):
    """c += step·p; r −= step·Ap; returns ‖r‖² (one fused pass)."""
    c1 = c.reshape(-1)
    r1 = r.reshape(-1)
    p1 = p.reshape(-1)
    a1 = ap.reshape(-1)
    total = 0.0
    for i in prange(c1.size):
        c1[i] += step * p1[i]
        r1[i] -= step * a1[i]
        total += r1[i] * r1[i]
    return total


@njit(parallel=True, cache=True)
def _precondition(r, inv_diag, z):
    """z = D⁻¹·r; returns r·z."""
    r1 = r.reshape(-1)
    d1 = inv_diag.reshape(-1)
    z1 = z.reshape(-1)
    total = 0.0
    for i in prange(r1.size):
        z1[i] = r1[i] * d1[i]
        total += r1[i] * z1[i]
    return total


@njit(parallel=True, cache=True)
def _new_direction(p, z, beta):
    """p = z + beta·p."""
    p1 = p.reshape(-1)
    z1 = z.reshape(-1)
    for i in prange(p1.size):
        p1[i] = z1[i] + beta * p1[i]


@njit(parallel=True, cache=True)
def _initial_residual(rhs, ap, inv_diag, r):
    """r = rhs − A·c inside the domain (0 outside); returns ‖r‖²."""
    b1 = rhs.reshape(-1)
    a1 = ap.reshape(-1)
    d1 = inv_diag.reshape(-1)
    r1 = r.reshape(-1)
    total = 0.0
    for i in prange(b1.size):
        r1[i] = (b1[i] - a1[i]) if d1[i] > 0.0 else 0.0
        total += r1[i] * r1[i]
    return total


@njit(cache=True)
def solve_cg(c, phi, rhs, alpha, rtol, max_iterations):
    """Solve A·c = rhs in place by Jacobi-preconditioned CG, starting from the given c (warm start).

    Stops when ‖rhs − A·c‖₂ ≤ rtol·‖rhs‖₂. Returns (iterations, achieved relative residual).
    All arrays are float64 and C-contiguous, shape (nz, ny, nx). Vector updates are fused parallel
    passes (no temporaries), so one iteration costs about two sweeps over the arrays.
    """
    diag = np.empty_like(phi)
    operator_diagonal(phi, alpha, diag)
    inv_diag = np.where(diag > 0.0, 1.0 / np.maximum(diag, _TINY), 0.0)
    for i in range(c.size):  # outside the domain the solution is 0
        if inv_diag.flat[i] == 0.0:
            c.flat[i] = 0.0
    rhs_norm = np.sqrt(dot(rhs, rhs))
    if rhs_norm == 0.0:
        c[:] = 0.0
        return 0, 0.0
    ap = np.empty_like(c)
    r = np.empty_like(c)
    apply_operator(c, phi, alpha, ap)
    res = np.sqrt(_initial_residual(rhs, ap, inv_diag, r)) / rhs_norm
    if res <= rtol:
        return 0, res
    zvec = np.empty_like(c)
    rz = _precondition(r, inv_diag, zvec)
    p = zvec.copy()
    it = 0
    while it < max_iterations:
        it += 1
        apply_operator(p, phi, alpha, ap)
        step = rz / dot(p, ap)
        res = np.sqrt(_step_and_norm(c, r, p, ap, step)) / rhs_norm
        if res <= rtol:
            break
        rz_new = _precondition(r, inv_diag, zvec)
        _new_direction(p, zvec, rz_new / rz)
        rz = rz_new
    return it, res


@njit(parallel=True, cache=True)
def red_black_sor_sweep(c, phi, rhs, alpha, omega):
    """One red–black SOR sweep for A·c = rhs, in place (red cells (x+y+z even) first, then black)."""
    nz, ny, nx = c.shape
    for colour in range(2):
        for z in prange(nz):
            for y in range(ny):
                x0 = (colour + z + y) % 2
                for x in range(x0, nx, 2):
                    p = phi[z, y, x]
                    if p == 0.0:
                        continue
                    diag = alpha * p
                    off = 0.0
                    if x > 0:
                        g = _conductance(p, phi[z, y, x - 1])
                        diag += g
                        off += g * c[z, y, x - 1]
                    if x < nx - 1:
                        g = _conductance(p, phi[z, y, x + 1])
                        diag += g
                        off += g * c[z, y, x + 1]
                    if y > 0:
                        g = _conductance(p, phi[z, y - 1, x])
                        diag += g
                        off += g * c[z, y - 1, x]
                    if y < ny - 1:
                        g = _conductance(p, phi[z, y + 1, x])
                        diag += g
                        off += g * c[z, y + 1, x]
                    if z > 0:
                        g = _conductance(p, phi[z - 1, y, x])
                        diag += g
                        off += g * c[z - 1, y, x]
                    if z < nz - 1:
                        g = _conductance(p, phi[z + 1, y, x])
                        diag += g
                        off += g * c[z + 1, y, x]
                    gs = (rhs[z, y, x] + off) / diag
                    c[z, y, x] = (1.0 - omega) * c[z, y, x] + omega * gs


@njit(parallel=True, cache=True)
def coarse_marrow_fraction(bone, enclosed, factor, out):
    """out = the mean of the marrow fraction 1 − bone (float32, as `VoxelGrid.marrow_fraction`) over each
    factor³ block of voxels: the field grid's marrow fraction, in one pass without temporaries. Voxels in
    `enclosed` (a bool mask of bone's shape, or an empty array for none: closed marrow pockets) count as
    bone."""
    cz, cy, cx = out.shape
    scale = 1.0 / factor**3
    masked = enclosed.size > 0
    for zc in prange(cz):
        # voxel rows in memory order, each added into its cells' sums (the same order of terms per cell as a
        # loop over the cell's block, so the same float sums; a block at a time read 2-voxel strips)
        total = np.zeros((cy, cx))
        m = np.empty(cx * factor, np.float32)  # a row's marrow fractions (0 in a pocket)
        for z in range(zc * factor, zc * factor + factor):
            for yc in range(cy):
                row = total[yc]
                for y in range(yc * factor, yc * factor + factor):
                    b = bone[z, y]
                    # the row's marrow in one contiguous pass, then offset j of every cell of the row, then
                    # offset j + 1: the cells' sums are independent chains, so both loops vectorize, and each
                    # cell still adds its voxels in x order
                    if masked:
                        e = enclosed[z, y]
                        for x in range(cx * factor):
                            m[x] = (np.float32(1.0) - b[x]) * np.float32(not e[x])
                    else:
                        for x in range(cx * factor):
                            m[x] = np.float32(1.0) - b[x]
                    for j in range(factor):
                        for xc in range(cx):
                            row[xc] += m[xc * factor + j]
        for yc in range(cy):
            for xc in range(cx):
                out[zc, yc, xc] = total[yc, xc] * scale


@njit(cache=True)
def source_density(cells, amounts, scale, out):
    """out = scale × the sum of `amounts` entering each field cell (rows of `cells`, (n, 3) indices), in place:
    the sum in row order, then one multiplication per cell, the same float operations as
    `np.bincount(flat, weights=amounts) * scale`, without its two temporaries the size of the grid."""
    out[...] = 0.0
    for i in range(cells.shape[0]):
        out[cells[i, 0], cells[i, 1], cells[i, 2]] += amounts[i]
    o = out.reshape(-1)
    for j in range(o.size):
        o[j] *= scale


@njit(parallel=True, cache=True)
def move_to_open_cells(cells, phi, min_marrow):
    """Move each source cell (rows of `cells`, (n, 3) field-cell indices, in place) whose marrow fraction is below
    `min_marrow` to the face neighbour with the most marrow, if that has more. Returns how many moved.

    Why: the concentration a source raises in its cell scales as 1/φ (its face conductances shrink with φ), so
    a source in a sliver of marrow (a cavity just opened in a field cell) reads as a spike that moves whenever
    a cavity is dug; the neighbour is the open marrow the sliver drains into (`engine.signalling`)."""
    nz, ny, nx = phi.shape
    moved = 0
    for i in prange(cells.shape[0]):  # independent rows; in parallel, the cache misses of a large grid overlap
        z, y, x = cells[i, 0], cells[i, 1], cells[i, 2]
        best = phi[z, y, x]
        if best >= min_marrow:
            continue
        bz, by, bx = z, y, x
        for k in range(6):
            zz = z + (k == 0) - (k == 1)
            yy = y + (k == 2) - (k == 3)
            xx = x + (k == 4) - (k == 5)
            if 0 <= zz < nz and 0 <= yy < ny and 0 <= xx < nx and phi[zz, yy, xx] > best:
                best = phi[zz, yy, xx]
                bz, by, bx = zz, yy, xx
        if bz != z or by != y or bx != x:
            cells[i, 0], cells[i, 1], cells[i, 2] = bz, by, bx
            moved += 1
    return moved


@njit(inline="always")
def _marrow_weighted_around(values, phi, z, y, x):
    nz, ny, nx = phi.shape
    total = 0.0
    weight = 0.0
    for zz in range(max(z - 1, 0), min(z + 2, nz)):
        for yy in range(max(y - 1, 0), min(y + 2, ny)):
            for xx in range(max(x - 1, 0), min(x + 2, nx)):
                w = phi[zz, yy, xx]
                total += w * values[zz, yy, xx]
                weight += w
    return total / weight if weight > 0.0 else 0.0


@njit(cache=True)
def marrow_weighted_mean_around(values, phi, z, y, x):
    """Σ φ·values / Σ φ over the 3×3×3 block of field cells around cell (z, y, x) (cut at the edges; 0 with no
    marrow there): the value in the marrow around a cell, defined whether the cell itself is bone, a sliver of
    marrow or open marrow."""
    return _marrow_weighted_around(values, phi, z, y, x)


@njit(parallel=True, cache=True)
def marrow_weighted_mean_at(values, phi, z, y, x, out):
    """out[i] = `marrow_weighted_mean_around` of cell (z[i], y[i], x[i]) (the same arithmetic): the reads of a
    list of cells, at a cost in the list's length instead of the grid's."""
    for i in prange(z.size):
        out[i] = _marrow_weighted_around(values, phi, z[i], y[i], x[i])


def relative_residual(c: np.ndarray, phi: np.ndarray, rhs: np.ndarray, alpha: float) -> float:
    """‖rhs − A·c‖₂ / ‖rhs‖₂ over the marrow domain (cells with φ > 0)."""
    ac = np.empty_like(c)
    apply_operator(c, phi, alpha, ac)
    r = np.where(phi > 0, rhs - ac, 0.0)
    norm = np.linalg.norm(rhs)
    return float(np.linalg.norm(r) / norm) if norm > 0 else 0.0

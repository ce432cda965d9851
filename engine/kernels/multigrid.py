"""Multigrid-preconditioned conjugate gradients for the screened diffusion operator of `kernels.fields`.

Why: Jacobi-preconditioned CG needs O(√κ) iterations, κ ≈ 12/α, α = k·h²/D, so its iteration count
grows with the diffusion length √(D/k) in cells: ~300 iterations for RANKL (λ ≈ 290 µm) and ~1,000 for
OPG (λ ≈ 1.6 mm) at 20 µm cells, from a cold start. A multigrid V-cycle removes the smooth error modes on
coarser grids, where they are rough, so CG with a V-cycle as preconditioner converges in a number of
iterations that does not depend on α or on the grid size (`benchmarks/bench_kernels.py` measures both).

The operator on every level is a 7-point finite-volume stencil with stored coefficients,

    (A c)_i = Σ_j g_ij (c_i − c_j) + react_i · c_i,

with face conductances g (`gx[z, y, x]` couples (z, y, x) and (z, y, x + 1); likewise gy, gz) and a
reaction term `react` = α·φ. The finest level is the operator of `kernels.fields` (g = harmonic mean of
the two cells' marrow fractions). A coarse cell is a 2×2×2 block of fine cells (the last one is smaller
when a size is odd); prolongation P is piecewise constant and restriction is its transpose (the sum over
the block), so the V-cycle is a symmetric preconditioner. The coarse operator is P^T A P with its face
conductances halved: P^T A P of a piecewise-constant P over-weights diffusion against reaction by 2
(for uniform marrow it is twice the operator re-discretised on the coarse grid, whose face terms are
half as strong), which stalls plain aggregation multigrid; the halved form equals the re-discretised
operator in uniform marrow and keeps bone (zero conductance) exactly where the fine grid has it.
Cells whose whole block is bone have no equation (diag = 0) and keep c = 0.

Smoother: damped Jacobi (weight `JACOBI_WEIGHT`), two sweeps before the coarse-grid correction (the first
from zero) and two after: the same sweeps before and after keep the preconditioner symmetric, and a
Jacobi sweep is one branch-free pass that vectorizes (red–black Gauss–Seidel smooths about as well per
sweep in 3-D but reads every array twice, and its stride-2 loop does not vectorize; it was measured and
dropped). The coarsest grid (≤ `COARSEST_CELLS` cells per edge) is solved exactly with a dense inverse,
so the V-cycle stays symmetric there too (a fixed number of Gauss–Seidel sweeps left CG stalling for
OPG's small α).
Precision: for tight solves CG applies the float64 operator with float64 vectors, so it converges to the float64
equation's solution; the V-cycle always works on float32 copies of every level (`LEVEL_DTYPE`: conductances,
diagonals, work arrays). A preconditioner only has to be a fixed symmetric approximation of A⁻¹ (it is, to float32
rounding), and the V-cycle is where a solve reads memory: the float32 levels made a daily solve ~5 % cheaper at
1.25·10⁵ field cells, ~20 % at 10⁶, where the levels no longer fit in the cache. When the solve stops at a
relative error of `CG_LEVEL_DTYPE_MIN_RTOL` or more (the model's daily solves: 1e-3 and 3e-3), CG too works in
float32: its four work vectors (residual, preconditioned residual, direction, A·direction) and the finest level's
operator (the V-cycle's copy); only the solution accumulates in float64. Float32 rounding (~1e-7, in the residual
and in the conductances, i.e. in the equation solved) is far below such a stopping error, and those arrays are
most of what a CG iteration reads and writes; the V-cycle's finest level then works on CG's vectors without casts
(`_v_cycle_on`). 4 iterations cost ~26 % less on 10⁶ and on 1.25·10⁵ cells, the model's daily solves 25 % and
13 % less at 8 and 1 mm³.
Tighter solves (the 1e-10 references of `bench_field_cadence.py`) keep the float64 operator and vectors.
Measured on the default bone (bench_kernels): ~16 iterations for RANKL and ~27 for OPG to an energy-norm
error of 1e-6 from a cold start, at 20 and at 10 µm cells alike.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.kernels.fields import _conductance, _new_direction, dot

#: damping of the Jacobi smoother: 0.8–0.9 measured best on the default bone (undamped, 1.0, took 5x the iterations)
JACOBI_WEIGHT = 0.9
#: levels with fewer cells run serial kernels (a parallel launch costs more than the work there)
SERIAL_BELOW_CELLS = 4096
COARSEST_CELLS = 4
LEVEL_DTYPE = np.float32
#: halves P^T A P's face conductances (see the module docstring)
COARSE_FACE_SCALE = 0.5
#: solves to at least this relative error run CG in LEVEL_DTYPE, vectors and finest operator (docstring: Precision)
CG_LEVEL_DTYPE_MIN_RTOL = 1e-5


@njit(parallel=True, cache=True)
def fine_conductances(phi, gx, gy, gz, gx32, gy32, gz32):
    """Face conductances of the finest level: 2·φi·φj/(φi + φj), 0 at a bone face and past the edge; and their
    LEVEL_DTYPE copies for the V-cycle, in the same pass."""
    nz, ny, nx = phi.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                p = phi[z, y, x]
                a = 0.0
                b = 0.0
                c = 0.0
                if x + 1 < nx:
                    a = _conductance(p, phi[z, y, x + 1])
                if y + 1 < ny:
                    b = _conductance(p, phi[z, y + 1, x])
                if z + 1 < nz:
                    c = _conductance(p, phi[z + 1, y, x])
                gx[z, y, x] = a
                gy[z, y, x] = b
                gz[z, y, x] = c
                gx32[z, y, x] = a
                gy32[z, y, x] = b
                gz32[z, y, x] = c


@njit(parallel=True, cache=True)
def coarsen(gx, gy, gz, phi, cgx, cgy, cgz, cphi, face_scale, cgx32, cgy32, cgz32):
    """Coarse level from a fine one: φ summed over each block (the reaction term sums the same way) and
    each coarse face's conductance = face_scale × the sum of the fine conductances that cross it (the face
    between blocks xc and xc + 1 is the fine face at x = 2·xc + 1; likewise y, z); the conductances' LEVEL_DTYPE
    copies too. Fine rows are read in memory order, offset j of every block, then offset j + 1: each coarse
    cell still adds its fine cells in (z, y, x) order (the same float sums as a loop over the block), and
    the loops over blocks vectorize."""
    nz, ny, nx = phi.shape
    cz, cy, cx = cphi.shape
    pairs = nx // 2  # blocks with two fine cells along x (a last, single one when nx is odd)
    for zc in prange(cz):
        s = np.empty(cx)
        fx = np.empty(cx)
        fy = np.empty(cx)
        fz = np.empty(cx)
        for yc in range(cy):
            s[:] = 0.0
            fx[:] = 0.0
            fy[:] = 0.0
            fz[:] = 0.0
            for z in range(2 * zc, min(2 * zc + 2, nz)):
                for y in range(2 * yc, min(2 * yc + 2, ny)):
                    p = phi[z, y]
                    for j in range(2):
                        for xc in range(pairs):
                            s[xc] += p[2 * xc + j]
                    if pairs < cx:
                        s[cx - 1] += p[nx - 1]
                    g = gx[z, y]
                    for xc in range(pairs):
                        fx[xc] += g[2 * xc + 1]
                    if y == 2 * yc + 1:
                        g = gy[z, y]
                        for j in range(2):
                            for xc in range(pairs):
                                fy[xc] += g[2 * xc + j]
                        if pairs < cx:
                            fy[cx - 1] += g[nx - 1]
                    if z == 2 * zc + 1:
                        g = gz[z, y]
                        for j in range(2):
                            for xc in range(pairs):
                                fz[xc] += g[2 * xc + j]
                        if pairs < cx:
                            fz[cx - 1] += g[nx - 1]
            for xc in range(cx):
                cphi[zc, yc, xc] = s[xc]
                a = face_scale * fx[xc]
                b = face_scale * fy[xc]
                c = face_scale * fz[xc]
                cgx[zc, yc, xc] = a
                cgy[zc, yc, xc] = b
                cgz[zc, yc, xc] = c
                cgx32[zc, yc, xc] = a
                cgy32[zc, yc, xc] = b
                cgz32[zc, yc, xc] = c


coarsen_serial = njit(cache=True)(coarsen.py_func)


@njit(cache=True)
def coarsen_levels(gx, gy, gz, phi, gx32, gy32, gz32, offsets, shapes, face_scale):
    """`coarsen` from each level to the next, over a hierarchy's flat buffers, in one compiled call."""
    for k in range(1, offsets.size - 1):
        fine = (_view(gx, offsets, shapes, k - 1), _view(gy, offsets, shapes, k - 1),
                _view(gz, offsets, shapes, k - 1), _view(phi, offsets, shapes, k - 1))
        coarse = (_view(gx, offsets, shapes, k), _view(gy, offsets, shapes, k), _view(gz, offsets, shapes, k),
                  _view(phi, offsets, shapes, k))
        copies = (_view(gx32, offsets, shapes, k), _view(gy32, offsets, shapes, k), _view(gz32, offsets, shapes, k))
        if offsets[k] - offsets[k - 1] >= SERIAL_BELOW_CELLS:  # by the fine level, which it reads
            coarsen(*fine, *coarse, face_scale, *copies)
        else:
            coarsen_serial(*fine, *coarse, face_scale, *copies)


@njit(parallel=True, cache=True)
def diagonal(gx, gy, gz, phi, alpha, diag, inv_diag, diag32, inv_diag32):
    """diag = α·φ + the conductances of the six faces, inv_diag = 1/diag (both 0 where the cell has no
    equation), and their LEVEL_DTYPE copies for the V-cycle, in one pass."""
    nz, ny, nx = phi.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                d = alpha * phi[z, y, x] + gx[z, y, x] + gy[z, y, x] + gz[z, y, x]
                if x > 0:
                    d += gx[z, y, x - 1]
                if y > 0:
                    d += gy[z, y - 1, x]
                if z > 0:
                    d += gz[z - 1, y, x]
                inv = 1.0 / d if d > 0.0 else 0.0
                diag[z, y, x] = d
                inv_diag[z, y, x] = inv
                diag32[z, y, x] = d
                inv_diag32[z, y, x] = inv


diagonal_serial = njit(cache=True)(diagonal.py_func)


@njit(cache=True)
def level_diagonals(gx, gy, gz, phi, offsets, shapes, alpha, diag, inv_diag, diag32, inv_diag32):
    """`diagonal` on every level of a hierarchy's flat buffers: one compiled call instead of one per level."""
    for k in range(offsets.size - 1):
        args = (_view(gx, offsets, shapes, k), _view(gy, offsets, shapes, k), _view(gz, offsets, shapes, k),
                _view(phi, offsets, shapes, k), alpha, _view(diag, offsets, shapes, k),
                _view(inv_diag, offsets, shapes, k), _view(diag32, offsets, shapes, k),
                _view(inv_diag32, offsets, shapes, k))
        if offsets[k + 1] - offsets[k] >= SERIAL_BELOW_CELLS:
            diagonal(*args)
        else:
            diagonal_serial(*args)


@njit(cache=True)
def coarsest_inverse(diag, gx, gy, gz):
    """(cells with an equation, the inverse of the operator on them) for one (the coarsest) level: its dense
    matrix over the cells with diag > 0, inverted, for an exact coarsest solve that keeps the V-cycle a
    symmetric preconditioner. A face to a cell without an equation has g = 0, so those cells drop out."""
    d = diag.ravel()
    nz, ny, nx = diag.shape
    index = np.full(d.size, -1, np.int64)
    active = np.flatnonzero(d > 0.0)
    index[active] = np.arange(active.size)
    dense = np.zeros((active.size, active.size))
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                cell = (z * ny + y) * nx + x
                i = index[cell]
                if i < 0:
                    continue
                dense[i, i] = d[cell]
                # each face once, from its lower cell
                for j, g in ((index[cell + 1] if x + 1 < nx else -1, gx[z, y, x]),
                             (index[cell + nx] if y + 1 < ny else -1, gy[z, y, x]),
                             (index[cell + nx * ny] if z + 1 < nz else -1, gz[z, y, x])):
                    if j >= 0:
                        dense[i, j] -= g
                        dense[j, i] -= g
    if active.size == 0:
        return active, dense
    return active, np.linalg.inv(dense)


@njit(inline="always")
def _around(i, n):
    """(i − 1, i + 1) along an axis of n cells: below the first wraps to the last, whose conductance toward
    the next cell is 0 (no face past the upper edge); above the last is the cell itself, with that same
    zero conductance. So a neighbour past the edge enters with weight 0 and the loops need no branches."""
    return (i - 1 if i > 0 else n - 1), min(i + 1, n - 1)


@njit(inline="always")
def _stencil_rows(c, gx, gy, gz, z, y):
    """Row (z, y) of c and gx, and each face-neighbour row of c with the conductance row toward it."""
    zm, zp = _around(z, c.shape[0])
    ym, yp = _around(y, c.shape[1])
    return (c[z, y], gx[z, y], c[z, ym], gy[z, ym], c[z, yp], gy[z, y], c[zm, y], gz[zm, y], c[zp, y], gz[z, y])


@njit(inline="always")
def _neighbour_flux(rows, x, xm, xp):
    """Σ g·c over the six face neighbours of cell x of a row (`_stencil_rows`; xm, xp its x-neighbours)."""
    cr, gxr, cym, gym, cyp, gyr, czm, gzm, czp, gzr = rows
    return (gxr[xm] * cr[xm] + gxr[x] * cr[xp] + gym[x] * cym[x] + gyr[x] * cyp[x]
            + gzm[x] * czm[x] + gzr[x] * czp[x])


@njit(parallel=True, cache=True)
def stencil_apply(c, gx, gy, gz, diag, out):
    """out = A·c (0 where diag = 0: conductances and reaction vanish there). The x-interior loop has no
    branches (`_around`), so it vectorizes; the two x-edge cells follow it."""
    nz, ny, nx = c.shape
    for zu in prange(nz):
        z = np.int64(zu)  # prange's index is unsigned; mixing it with signed ints would give floats
        for y in range(ny):
            rows = _stencil_rows(c, gx, gy, gz, z, y)
            cr = rows[0]
            dr = diag[z, y]
            o = out[z, y]
            for x in range(1, nx - 1):
                o[x] = dr[x] * cr[x] - _neighbour_flux(rows, x, x - 1, x + 1)
            for x in (0, nx - 1):
                xm, xp = _around(x, nx)
                o[x] = dr[x] * cr[x] - _neighbour_flux(rows, x, xm, xp)


@njit(parallel=True, cache=True)
def jacobi_sweep(c, rhs, gx, gy, gz, inv_diag, omega, out):
    """out = c + ω·D⁻¹(rhs − A·c): one damped-Jacobi sweep (out must not be c; cells without an equation,
    where c is 0, stay 0). Branch-free x-interior, as in `stencil_apply`."""
    nz, ny, nx = c.shape
    keep = 1.0 - omega
    for zu in prange(nz):
        z = np.int64(zu)
        for y in range(ny):
            rows = _stencil_rows(c, gx, gy, gz, z, y)
            cr = rows[0]
            rr = rhs[z, y]
            ir = inv_diag[z, y]
            o = out[z, y]
            for x in range(1, nx - 1):
                o[x] = keep * cr[x] + omega * ir[x] * (rr[x] + _neighbour_flux(rows, x, x - 1, x + 1))
            for x in (0, nx - 1):
                xm, xp = _around(x, nx)
                o[x] = keep * cr[x] + omega * ir[x] * (rr[x] + _neighbour_flux(rows, x, xm, xp))


@njit(parallel=True, cache=True)
def jacobi_from_zero(rhs, inv_diag, omega, out):
    """The first damped-Jacobi sweep from c = 0: out = ω·D⁻¹·rhs."""
    r1 = rhs.ravel()
    d1 = inv_diag.ravel()
    o1 = out.ravel()
    for i in prange(r1.size):
        o1[i] = omega * d1[i] * r1[i]


@njit(parallel=True, cache=True)
def residual_restrict(c, rhs, gx, gy, gz, diag, coarse_rhs):
    """coarse_rhs = Pᵀ(rhs − A·c): the residual (0 where diag = 0) summed over each 2×2×2 block."""
    nz, ny, nx = c.shape
    cz = coarse_rhs.shape[0]
    for zc in prange(cz):
        coarse_rhs[zc] = 0.0
        r = np.empty(nx)  # the fine row's residual: a branch-free pass that vectorizes, then summed in pairs
        for z in range(2 * zc, min(2 * zc + 2, nz)):
            for y in range(ny):
                rows = _stencil_rows(c, gx, gy, gz, z, y)
                cr = rows[0]
                rr = rhs[z, y]
                dr = diag[z, y]
                for x in range(1, nx - 1):
                    v = rr[x] - dr[x] * cr[x] + _neighbour_flux(rows, x, x - 1, x + 1)
                    r[x] = v if dr[x] > 0.0 else 0.0
                for x in (0, nx - 1):
                    xm, xp = _around(x, nx)
                    v = rr[x] - dr[x] * cr[x] + _neighbour_flux(rows, x, xm, xp)
                    r[x] = v if dr[x] > 0.0 else 0.0
                row = coarse_rhs[zc, y // 2]
                for x in range(nx):  # in x order, as one sum per coarse cell
                    row[x // 2] += r[x]


@njit(parallel=True, cache=True)
def prolong_add(coarse, c, diag):
    """c += P·coarse (each fine cell gets its block's value; cells without an equation stay 0)."""
    nz, ny, nx = c.shape
    for z in prange(nz):
        for y in range(ny):
            for x in range(nx):
                if diag[z, y, x] > 0.0:
                    c[z, y, x] += coarse[z // 2, y // 2, x // 2]


@njit(parallel=True, cache=True)
def restrict(fine, coarse):
    """coarse = Pᵀ·fine: the sum over each 2×2×2 block (the last block is smaller when a size is odd)."""
    nz, ny, nx = fine.shape
    cz = coarse.shape[0]
    for zc in prange(cz):
        coarse[zc] = 0.0
        for z in range(2 * zc, min(2 * zc + 2, nz)):
            for y in range(ny):
                row = coarse[zc, y // 2]
                f = fine[z, y]
                for x in range(nx):
                    row[x // 2] += f[x]


@njit(parallel=True, cache=True)
def prolong_into_marrow(coarse, phi, fine):
    """fine = P·coarse in cells with marrow (φ > 0), 0 elsewhere: each marrow cell takes its block's value."""
    nz, ny, nx = fine.shape
    for z in prange(nz):
        for y in range(ny):
            c = coarse[z // 2, y // 2]
            p = phi[z, y]
            f = fine[z, y]
            for x in range(nx):
                f[x] = c[x // 2] if p[x] > 0.0 else 0.0


# serial twins of the level kernels, for the small coarse levels (prange runs as range there)
jacobi_sweep_serial = njit(cache=True)(jacobi_sweep.py_func)
jacobi_from_zero_serial = njit(cache=True)(jacobi_from_zero.py_func)
residual_restrict_serial = njit(cache=True)(residual_restrict.py_func)
prolong_add_serial = njit(cache=True)(prolong_add.py_func)


def _coarse_shape(shape):
    return tuple((n + 1) // 2 for n in shape)


@njit(inline="always")
def _view(buffer, offsets, shapes, k):
    """Level k's array inside a flat buffer that holds all levels one after another."""
    return buffer[offsets[k]:offsets[k + 1]].reshape((shapes[k, 0], shapes[k, 1], shapes[k, 2]))


class Hierarchy:
    """The grid levels of one marrow geometry, in flat buffers (level k at offsets[k]:offsets[k + 1]), so
    that a whole V-cycle and a whole solve are one compiled call each (a call from Python costs ~10 µs,
    and a V-cycle has ~25 kernel calls on tiny coarse levels). `set_alpha` fixes the field (its α).
    `set_geometry` rebuilds it in place for a new marrow of the same shape: the fields follow the bone daily,
    and fresh buffers every day cost more than the arithmetic (page faults: ~20 ms a day for 10⁶ cells)."""

    def __init__(self, phi: np.ndarray):
        phi = np.ascontiguousarray(phi, dtype=np.float64)
        shapes = [phi.shape]
        while max(shapes[-1]) > COARSEST_CELLS:
            shapes.append(_coarse_shape(shapes[-1]))
        self.shapes = np.array(shapes, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum([int(np.prod(s)) for s in shapes])]).astype(np.int64)
        total = int(self.offsets[-1])
        self.gx, self.gy, self.gz, self.phi_sum = (np.empty(total) for _ in range(4))
        self.gx32, self.gy32, self.gz32 = (np.empty(total, LEVEL_DTYPE) for _ in range(3))  # the V-cycle's copies
        self._own_buffers(total)
        self._subs: dict[int, Hierarchy] = {}
        self.set_geometry(phi)

    def _own_buffers(self, total: int) -> None:
        """The V-cycle's level work arrays, CG's four vectors on the finest level, the operators per α."""
        self.x, self.b, self.t = (np.zeros(total, LEVEL_DTYPE) for _ in range(3))
        self._cg_work: dict[type, np.ndarray] = {}  # dtype -> CG's four vectors on the finest level (`cg_arrays`)
        self._operators: dict[float, tuple] = {}  # α -> (diag, inv_diag, their LEVEL_DTYPE copies) buffers
        self._by_alpha: dict[float, tuple] = {}  # α -> operator of the current geometry
        self.alpha = None

    def set_geometry(self, phi: np.ndarray) -> None:
        """Conductances and summed marrow fractions of every level for marrow fractions phi (the finest
        shape), in place; the operators of every α (and of the `coarser` hierarchies) are rebuilt when next
        asked for."""
        gx, gy, gz, ph, gx32, gy32, gz32 = (self.level(a, 0) for a in (self.gx, self.gy, self.gz, self.phi_sum,
                                                                        self.gx32, self.gy32, self.gz32))
        ph[...] = phi
        fine_conductances(ph, gx, gy, gz, gx32, gy32, gz32)
        coarsen_levels(self.gx, self.gy, self.gz, self.phi_sum, self.gx32, self.gy32, self.gz32, self.offsets,
                       self.shapes, COARSE_FACE_SCALE)
        for h in (self, *self._subs.values()):
            h._by_alpha = {}
            h.alpha = None

    def coarser(self, k: int = 1) -> "Hierarchy":
        """The hierarchy that starts at level k of this one (views of its geometry, own work arrays; kept, so
        `set_geometry` updates it too): it solves the same problem re-discretised on cells 2^k times wider
        (the halved Galerkin operator of the module docstring is the re-discretised one), for fields smooth
        on that scale."""
        if k in self._subs:
            return self._subs[k]
        sub = Hierarchy.__new__(Hierarchy)
        start = int(self.offsets[k])
        sub.shapes = self.shapes[k:].copy()
        sub.offsets = self.offsets[k:] - start
        sub.gx, sub.gy, sub.gz, sub.phi_sum = (a[start:] for a in (self.gx, self.gy, self.gz, self.phi_sum))
        sub.gx32, sub.gy32, sub.gz32 = (a[start:] for a in (self.gx32, self.gy32, self.gz32))
        sub._own_buffers(self.gx.size - start)
        sub._subs = {}
        self._subs[k] = sub
        return sub

    def level(self, buffer: np.ndarray, k: int) -> np.ndarray:
        return buffer[self.offsets[k]:self.offsets[k + 1]].reshape(tuple(self.shapes[k]))

    def cg_arrays(self, rtol: float) -> tuple:
        """CG's four work vectors (residual, preconditioned residual, direction, A·direction) and the finest
        level's operator (conductances, the current α's diagonal: `set_alpha` first) for a solve to `rtol`:
        LEVEL_DTYPE (the V-cycle's copies) when rtol is at least `CG_LEVEL_DTYPE_MIN_RTOL`, float64 below
        (module docstring, Precision)."""
        dtype = LEVEL_DTYPE if rtol >= CG_LEVEL_DTYPE_MIN_RTOL else np.float64
        if dtype not in self._cg_work:
            self._cg_work[dtype] = np.empty((4, *self.shapes[0]), dtype)
        operator = (self.gx, self.gy, self.gz, self.diag) if dtype == np.float64 else (self.gx32, self.gy32,
                                                                                       self.gz32, self.diag32)
        return (self._cg_work[dtype], *(self.level(a, 0) for a in operator))

    @property
    def levels(self) -> int:
        return len(self.shapes)

    @property
    def phi(self) -> np.ndarray:
        """The finest level's marrow fraction (summed over the original cells in a `coarser` hierarchy)."""
        return self.level(self.phi_sum, 0)

    def set_alpha(self, alpha: float) -> None:
        """Reaction term α·φ on every level (summed φ on coarse levels: Pᵀ(αφ I)P), the diagonals and
        the coarsest level's exact inverse; kept per α, so RANKL and OPG share one geometry."""
        if alpha not in self._by_alpha:
            if alpha not in self._operators:
                self._operators[alpha] = (np.empty_like(self.phi_sum), np.empty_like(self.phi_sum),
                                          np.empty(self.phi_sum.size, LEVEL_DTYPE),
                                          np.empty(self.phi_sum.size, LEVEL_DTYPE))
            diag, inv_diag, diag32, inv_diag32 = self._operators[alpha]
            level_diagonals(self.gx, self.gy, self.gz, self.phi_sum, self.offsets, self.shapes, alpha, diag,
                            inv_diag, diag32, inv_diag32)
            k = self.levels - 1
            active, inverse = coarsest_inverse(*(self.level(a, k) for a in (diag, self.gx, self.gy, self.gz)))
            self._by_alpha[alpha] = (diag, inv_diag, diag32, inv_diag32, active, inverse)
        (self.diag, self.inv_diag, self.diag32, self.inv_diag32, self.coarsest_active,
         self.coarsest_inverse) = self._by_alpha[alpha]
        self.alpha = alpha

    def _arrays(self):
        """The V-cycle's level buffers and the current α's operator (LEVEL_DTYPE), in its argument order."""
        return (self.gx32, self.gy32, self.gz32, self.diag32, self.inv_diag32, self.x, self.b, self.t,
                self.offsets, self.shapes, JACOBI_WEIGHT, self.coarsest_active, self.coarsest_inverse)

    def apply(self, c: np.ndarray, out: np.ndarray) -> None:
        """out = A·c on the finest level."""
        stencil_apply(c, self.level(self.gx, 0), self.level(self.gy, 0), self.level(self.gz, 0),
                      self.level(self.diag, 0), out)

    def v_cycle(self, rhs: np.ndarray, out: np.ndarray) -> None:
        """out = M⁻¹·rhs: one V-cycle from a zero initial guess."""
        _v_cycle(rhs, out, *self._arrays())


@njit(inline="always")
def _level(k, gx, gy, gz, diag, inv_diag, tb, offsets, shapes):
    """Level k's work array and operator (conductances, diagonal and its inverse)."""
    return (_view(tb, offsets, shapes, k), _view(gx, offsets, shapes, k), _view(gy, offsets, shapes, k),
            _view(gz, offsets, shapes, k), _view(diag, offsets, shapes, k), _view(inv_diag, offsets, shapes, k))


@njit(cache=True)
def _down(rhs_k, x_k, t_k, g_x, g_y, g_z, d_k, i_k, coarse_rhs, weight):
    """Pre-smoothing (a damped-Jacobi sweep from zero and a second sweep), then the residual restricted."""
    if x_k.size >= SERIAL_BELOW_CELLS:
        jacobi_from_zero(rhs_k, i_k, weight, t_k)
        jacobi_sweep(t_k, rhs_k, g_x, g_y, g_z, i_k, weight, x_k)
        residual_restrict(x_k, rhs_k, g_x, g_y, g_z, d_k, coarse_rhs)
    else:
        jacobi_from_zero_serial(rhs_k, i_k, weight, t_k)
        jacobi_sweep_serial(t_k, rhs_k, g_x, g_y, g_z, i_k, weight, x_k)
        residual_restrict_serial(x_k, rhs_k, g_x, g_y, g_z, d_k, coarse_rhs)


@njit(cache=True)
def _up(coarse_x, rhs_k, x_k, t_k, g_x, g_y, g_z, d_k, i_k, weight):
    """The coarse correction prolonged, then two sweeps (ping-pong between x and the work array)."""
    if x_k.size >= SERIAL_BELOW_CELLS:
        prolong_add(coarse_x, x_k, d_k)
        jacobi_sweep(x_k, rhs_k, g_x, g_y, g_z, i_k, weight, t_k)
        jacobi_sweep(t_k, rhs_k, g_x, g_y, g_z, i_k, weight, x_k)
    else:
        prolong_add_serial(coarse_x, x_k, d_k)
        jacobi_sweep_serial(x_k, rhs_k, g_x, g_y, g_z, i_k, weight, t_k)
        jacobi_sweep_serial(t_k, rhs_k, g_x, g_y, g_z, i_k, weight, x_k)


@njit(cache=True)
def _v_cycle(rhs, out, gx, gy, gz, diag, inv_diag, xb, bb, tb, offsets, shapes, weight, active, inverse):
    """out = M⁻¹·rhs: one V-cycle from zero (`_v_cycle_on`), the finest level's right-hand side and result cast
    into and out of the level buffers (`Hierarchy.v_cycle`: any float dtype in and out)."""
    if offsets.size == 2:  # one level: solved exactly, in rhs's and out's precision
        _v_cycle_on(rhs, out, gx, gy, gz, diag, inv_diag, xb, bb, tb, offsets, shapes, weight, active, inverse)
        return
    _cast(rhs, _view(bb, offsets, shapes, 0))
    x0 = _view(xb, offsets, shapes, 0)
    _v_cycle_on(_view(bb, offsets, shapes, 0), x0, gx, gy, gz, diag, inv_diag, xb, bb, tb, offsets, shapes, weight,
                active, inverse)
    _cast(x0, out)


@njit(cache=True)
def _v_cycle_on(rhs, out, gx, gy, gz, diag, inv_diag, xb, bb, tb, offsets, shapes, weight, active, inverse):
    """out = M⁻¹·rhs: one V-cycle from zero on every level: pre-smoothing, the residual restricted, the coarser
    level's cycle, its correction prolonged, post-smoothing (`_down`, `_up`). The coarsest level is solved
    exactly. The finest level works on rhs and out themselves (CG's residual and preconditioned residual,
    finest shape), in their dtype; every coarser level is LEVEL_DTYPE. With CG's vectors in LEVEL_DTYPE (loose
    solves, `Hierarchy.cg_arrays`) nothing is cast; tight solves run the finest level in float64."""
    n_levels = offsets.size - 1
    if n_levels == 1:  # the finest level is the coarsest: solved exactly
        o = out.ravel()
        o[:] = 0.0
        o[active] = inverse @ rhs.ravel()[active].astype(np.float64)
        return
    t_k, g_x, g_y, g_z, d_k, i_k = _level(0, gx, gy, gz, diag, inv_diag, tb, offsets, shapes)
    _down(rhs, out, t_k, g_x, g_y, g_z, d_k, i_k, _view(bb, offsets, shapes, 1), weight)
    for k in range(1, n_levels - 1):
        t_k, g_x, g_y, g_z, d_k, i_k = _level(k, gx, gy, gz, diag, inv_diag, tb, offsets, shapes)
        _down(_view(bb, offsets, shapes, k), _view(xb, offsets, shapes, k), t_k, g_x, g_y, g_z, d_k, i_k,
              _view(bb, offsets, shapes, k + 1), weight)
    last = n_levels - 1
    x_c = _view(xb, offsets, shapes, last).ravel()
    b_c = _view(bb, offsets, shapes, last).ravel()
    x_c[:] = 0.0
    x_c[active] = inverse @ b_c[active].astype(np.float64)
    for k in range(n_levels - 2, 0, -1):
        t_k, g_x, g_y, g_z, d_k, i_k = _level(k, gx, gy, gz, diag, inv_diag, tb, offsets, shapes)
        _up(_view(xb, offsets, shapes, k + 1), _view(bb, offsets, shapes, k), _view(xb, offsets, shapes, k), t_k,
            g_x, g_y, g_z, d_k, i_k, weight)
    t_k, g_x, g_y, g_z, d_k, i_k = _level(0, gx, gy, gz, diag, inv_diag, tb, offsets, shapes)
    _up(_view(xb, offsets, shapes, 1), rhs, out, t_k, g_x, g_y, g_z, d_k, i_k, weight)


@njit(parallel=True, cache=True)
def _cast(src, dst):
    """dst = src, converted to dst's dtype (same shape)."""
    s1 = src.ravel()
    d1 = dst.ravel()
    for i in prange(s1.size):
        d1[i] = s1[i]


@njit(parallel=True, cache=True)
def _residual(rhs, ac, diag, r):
    """r = rhs − A·c inside the domain (0 outside)."""
    b1 = rhs.ravel()
    a1 = ac.ravel()
    d1 = diag.ravel()
    r1 = r.ravel()
    for i in prange(b1.size):
        r1[i] = (b1[i] - a1[i]) if d1[i] > 0.0 else 0.0


@njit(parallel=True, fastmath={"reassoc"}, cache=True)
def _step(c, r, p, ap, step, rhs):
    """c += step·p; r −= step·Ap; returns c·rhs (the energy norm² of c at convergence; summed in any order,
    as `dot`)."""
    c1 = c.ravel()
    r1 = r.ravel()
    p1 = p.ravel()
    a1 = ap.ravel()
    b1 = rhs.ravel()
    total = 0.0
    for i in prange(c1.size):
        c1[i] += step * p1[i]
        r1[i] -= step * a1[i]
        total += c1[i] * b1[i]
    return total


@njit(inline="always")
def _error_estimate(rz, cb):
    """Relative error in the energy norm, estimated as √(r·M⁻¹r) / √(c·b): with a good preconditioner
    r·M⁻¹r ≈ ‖c* − c‖²_A, and c·b → ‖c*‖²_A."""
    if cb <= 0.0:
        return np.inf
    return np.sqrt(max(rz, 0.0) / cb)


@njit(parallel=True, cache=True)
def _zero_outside(c, diag, phi):
    """c = 0 in cells without an equation (diag = 0); returns how many cells of the marrow domain (φ > 0) hold
    c = 0, the cells `fill_new_cells` would fill (none on most days: then its serial pass is skipped)."""
    nz = c.shape[0]
    per_slice = np.zeros(nz, np.int64)
    for z in prange(nz):
        cz = c[z].ravel()
        dz = diag[z].ravel()
        pz = phi[z].ravel()
        n = 0
        for i in range(cz.size):
            v = cz[i] if dz[i] > 0.0 else 0.0
            cz[i] = v
            n += (pz[i] > 0.0) and (v == 0.0)
        per_slice[z] = n
    return per_slice.sum()


@njit(cache=True)
def fill_new_cells(c, phi):
    """Warm start for cells that joined the marrow domain since c was solved (φ > 0, c = 0, e.g. a field
    cell that resorption opened): the conductance-weighted mean of their neighbours' c. Left at 0, such a
    cell's residual g·c_neighbour outweighs the day's source changes. Returns the number of cells filled."""
    nz, ny, nx = c.shape
    filled = 0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                p = phi[z, y, x]
                if p <= 0.0 or c[z, y, x] != 0.0:
                    continue
                total = 0.0
                weight = 0.0
                for k in range(6):
                    zz = z + (k == 0) - (k == 1)
                    yy = y + (k == 2) - (k == 3)
                    xx = x + (k == 4) - (k == 5)
                    if 0 <= zz < nz and 0 <= yy < ny and 0 <= xx < nx:
                        q = phi[zz, yy, xx]
                        cq = c[zz, yy, xx]
                        if q > 0.0 and cq != 0.0:
                            g = _conductance(p, q)
                            total += g * cq
                            weight += g
                if weight > 0.0:
                    c[z, y, x] = total / weight
                    filled += 1
    return filled


@njit(cache=True)
def _pcg(c, rhs, phi, work, g_x, g_y, g_z, d0, gx, gy, gz, diag, inv_diag, xb, bb, tb, offsets, shapes, weight,
         active, inverse, rtol, max_iterations):
    """CG preconditioned by `_v_cycle_on` on the finest level, in place from c; see `solve_mgcg`. CG applies the
    finest operator (g_x, g_y, g_z, d0) in the precision of `work` (`Hierarchy.cg_arrays`); the V-cycle the
    LEVEL_DTYPE copies on every level."""
    if _zero_outside(c, d0, phi) > 0:
        fill_new_cells(c, phi)
    if dot(rhs, rhs) == 0.0:
        c[...] = 0.0
        return 0, 0.0
    ap = work[0]
    r = work[1]
    z = work[2]
    p = work[3]
    stencil_apply(c, g_x, g_y, g_z, d0, ap)
    _residual(rhs, ap, d0, r)
    _v_cycle_on(r, z, gx, gy, gz, diag, inv_diag, xb, bb, tb, offsets, shapes, weight, active, inverse)
    rz = dot(r, z)
    error = _error_estimate(rz, dot(c, rhs))
    it = 0
    if error <= rtol:
        return it, error
    p[...] = z
    while it < max_iterations:
        it += 1
        stencil_apply(p, g_x, g_y, g_z, d0, ap)
        pap = dot(p, ap)
        if pap <= 0.0:
            break
        cb = _step(c, r, p, ap, rz / pap, rhs)
        _v_cycle_on(r, z, gx, gy, gz, diag, inv_diag, xb, bb, tb, offsets, shapes, weight, active, inverse)
        rz_new = dot(r, z)
        error = _error_estimate(rz_new, cb)
        if error <= rtol:
            break
        _new_direction(p, z, rz_new / rz)
        rz = rz_new
    return it, error


def solve_mgcg(hierarchy: Hierarchy, c: np.ndarray, rhs: np.ndarray, alpha: float, rtol: float,
               max_iterations: int) -> tuple[int, float]:
    """Solve A·c = rhs in place by CG preconditioned with one V-cycle, warm-started from c.

    Stops when the estimated relative error in the energy norm, √(r·M⁻¹r / c·rhs), is at most rtol
    (r = rhs − A·c, M⁻¹ the V-cycle). Why not ‖r‖₂/‖rhs‖₂: the sources are points (osteocytes), and the
    2-norm of a warm start's residual is dominated by a few sources that changed and a few cells that
    opened, which barely move the field; the energy-norm estimate tracks the field's rms error (measured
    against 1e-10 solves: an estimate of 1e-3 goes with ~0.1 % rms and ~1 % largest local error).
    Returns (iterations, error estimate); c is 0 outside the marrow domain and cells that joined it start
    from their neighbours' mean (`fill_new_cells`).
    Arrays are float64, C-contiguous, with the hierarchy's finest shape.
    """
    hierarchy.set_alpha(alpha)
    it, error = _pcg(c, rhs, hierarchy.phi, *hierarchy.cg_arrays(rtol), *hierarchy._arrays(), rtol, max_iterations)
    return int(it), float(error)

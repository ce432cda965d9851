"""Remodeling kernels: osteoclasts resorb and move along the surface, osteoblasts fill cavities, matrix mineralizes.

Arrays are the VoxelGrid's float32 (z, y, x) arrays: `bone` (matrix volume fraction), `mineral` (mineral
relative to a fully mineralized voxel), `osteoid` (unmineralized matrix fraction, part of `bone`) and
`label` (int32, the BMU that excavated the voxel, 0 = none). Volumes are in voxel units (1 = one voxel).
The kernels know nothing of cells or BMUs: callers pass positions, volumes and labels as arrays.

Exposure rule: a voxel with bone in it is *exposed* (reachable from marrow) when it is itself less than
half bone, or when one of its 6 face neighbours is (the BONE_LEVEL iso-level of `surfaces`). Resorption
and formation work only on exposed voxels / marrow voxels next to bone, so cavities grow from the surface
inward and fill from the floor outward.

Every kernel works in passes: it collects its candidate voxels first, then shares the volume equally
among them, so the result does not depend on the visiting order within a pass (the numpy twins in
`tests/kernels/test_remodeling.py` follow the same rule).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from engine.kernels.surfaces import BONE_LEVEL

_EMPTY = 1e-6  # a voxel with less bone than this is emptied exactly (no float dust)


#: passes of the resorption and deposition kernels over their neighbourhood before they stop (each pass
#: shares what is left equally among the voxels that can take it)
MAX_PASSES = 16


@njit(inline="always")
def _zyx(idx, ny, nx):
    """(z, y, x) of a C-order flat index."""
    return idx // (nx * ny), (idx // nx) % ny, idx % nx


@njit(inline="always")
def _face_neighbour(bone, z, y, x, want_bone):
    """Is a face neighbour of (z, y, x) at least half bone (want_bone) / less than half bone (not want_bone)?
    Neighbours outside the volume do not count."""
    nz, ny, nx = bone.shape
    for k in range(6):
        zz = z + (k == 0) - (k == 1)
        yy = y + (k == 2) - (k == 3)
        xx = x + (k == 4) - (k == 5)
        if zz < 0 or zz >= nz or yy < 0 or yy >= ny or xx < 0 or xx >= nx:
            continue
        if (bone[zz, yy, xx] >= BONE_LEVEL) == want_bone:
            return True
    return False


@njit(cache=True)
def is_exposed(bone, z, y, x):
    """Bone in (z, y, x) that touches marrow (see module docstring)."""
    b = bone[z, y, x]
    if b <= 0.0:
        return False
    return b < BONE_LEVEL or _face_neighbour(bone, z, y, x, False)


@njit(cache=True)
def touches_bone(bone, z, y, x):
    """A face neighbour of (z, y, x) is at least half bone (a place where new matrix can be laid)."""
    return _face_neighbour(bone, z, y, x, True)


@njit(cache=True)
def resorb_ball(bone, mineral, osteoid, label, label_value, cz, cy, cx, radius, volume, max_passes, touched, bound,
                released):
    """Remove `volume` (voxels) of exposed bone within `radius` (voxels) of voxel (cz, cy, cx).

    Each pass shares what is left equally among the exposed voxels found at the start of the pass;
    a voxel gives at most what it holds, and its mineral and osteoid go with its matrix in proportion.
    So does drug bound to its mineral: `bound` (k, nz, ny, nx) holds k bone-bound drugs (amount per voxel,
    k may be 0), and what leaves with the matrix is added to `released[j]` (the drug the osteoclast sets
    free in its resorption lacuna).
    Voxels touched are labelled `label_value`; those newly labelled are written to `touched`. A newly
    labelled voxel that borders marrow outside this cavity (a face neighbour less than half bone and
    not labelled `label_value`) was on the original bone surface: it counts toward the footprint.

    Returns (matrix removed, mineral removed, number of indices written to `touched`, footprint voxels).
    """
    nz, ny, nx = bone.shape
    r = int(math.floor(radius))
    r2 = radius * radius
    cap = (2 * r + 1) ** 3
    cand = np.empty(cap, np.int64)
    remaining = volume
    removed = 0.0
    removed_mineral = 0.0
    n_touched = 0
    footprint = 0
    for _ in range(max_passes):
        if remaining <= 1e-12:
            break
        n = 0
        for z in range(max(cz - r, 0), min(cz + r + 1, nz)):
            dz = z - cz
            for y in range(max(cy - r, 0), min(cy + r + 1, ny)):
                dy = y - cy
                for x in range(max(cx - r, 0), min(cx + r + 1, nx)):
                    dx = x - cx
                    if dz * dz + dy * dy + dx * dx <= r2 and is_exposed(bone, z, y, x):
                        cand[n] = (z * ny + y) * nx + x
                        n += 1
        if n == 0:
            break
        share = remaining / n
        for i in range(n):
            idx = cand[i]
            z, y, x = _zyx(idx, ny, nx)
            b = float(bone[z, y, x])
            take = min(b, share)
            keep = (b - take) / b
            if b - take < _EMPTY:
                take = b
                keep = 0.0
            removed_mineral += float(mineral[z, y, x]) * (1.0 - keep)
            mineral[z, y, x] = np.float32(float(mineral[z, y, x]) * keep)
            for j in range(bound.shape[0]):
                amount = float(bound[j, z, y, x])
                if amount > 0.0:
                    released[j] += amount * (1.0 - keep)
                    bound[j, z, y, x] = np.float32(amount * keep)
            osteoid[z, y, x] = np.float32(float(osteoid[z, y, x]) * keep)
            bone[z, y, x] = np.float32(b * keep)
            removed += take
            remaining -= take
            if label[z, y, x] != label_value:
                if _borders_outside_marrow(bone, label, label_value, z, y, x):
                    footprint += 1
                label[z, y, x] = label_value
                if n_touched < touched.size:
                    touched[n_touched] = idx
                    n_touched += 1
    return removed, removed_mineral, n_touched, footprint


@njit(cache=True)
def _borders_outside_marrow(bone, label, label_value, z, y, x):
    nz, ny, nx = bone.shape
    for k in range(6):
        zz = z + (k == 0) - (k == 1)
        yy = y + (k == 2) - (k == 3)
        xx = x + (k == 4) - (k == 5)
        if zz < 0 or zz >= nz or yy < 0 or yy >= ny or xx < 0 or xx >= nx:
            continue
        if bone[zz, yy, xx] < BONE_LEVEL and label[zz, yy, xx] != label_value:
            return True
    return False


@njit(cache=True)
def nearest_exposed(bone, pz, py, px, search):
    """The exposed bone voxel nearest to the point (pz, py, px) within `search` voxels, or (-1, -1, -1)."""
    nz, ny, nx = bone.shape
    z0 = int(round(pz))
    y0 = int(round(py))
    x0 = int(round(px))
    best = 1e300
    bz = -1
    by = -1
    bx = -1
    for z in range(max(z0 - search, 0), min(z0 + search + 1, nz)):
        for y in range(max(y0 - search, 0), min(y0 + search + 1, ny)):
            for x in range(max(x0 - search, 0), min(x0 + search + 1, nx)):
                d = (z - pz) ** 2 + (y - py) ** 2 + (x - px) ** 2
                if d < best and is_exposed(bone, z, y, x):
                    best = d
                    bz = z
                    by = y
                    bx = x
    return bz, by, bx


@njit(cache=True)
def outward_normal(bone, z, y, x):
    """Unit vector from bone into marrow at (z, y, x): −∇bone over the 3×3×3 neighbourhood (0 if flat)."""
    nz, ny, nx = bone.shape
    gz = 0.0
    gy = 0.0
    gx = 0.0
    for dz in range(-1, 2):
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                zz = min(max(z + dz, 0), nz - 1)
                yy = min(max(y + dy, 0), ny - 1)
                xx = min(max(x + dx, 0), nx - 1)
                b = float(bone[zz, yy, xx])
                gz -= dz * b
                gy -= dy * b
                gx -= dx * b
    norm = math.sqrt(gz * gz + gy * gy + gx * gx)
    if norm == 0.0:
        return 0.0, 0.0, 0.0
    return gz / norm, gy / norm, gx / norm


@njit(cache=True)
def resorb_and_advance(bone, mineral, osteoid, label, positions, headings, labels, volumes, turn, radius, step,
                       search, max_passes, touched, n_touched, removed, removed_mineral, footprint, attached, bound,
                       released):
    """One day of every osteoclast, in order: attach to the surface, resorb around it, move on.

    positions (n, 3) float64 voxel coordinates and headings (n, 3) unit vectors are updated in place.
    Per osteoclast i: attach to the exposed voxel nearest to positions[i] (within `search` voxels; if
    there is none, attached[i] = False and it does nothing); resorb volumes[i] voxels within `radius`
    of it (labelling with labels[i], new cavity voxels written to touched[i], original-surface voxels
    counted in footprint[i]); then turn the heading
    into the local tangent plane (plus the random turn `turn[i]`, drawn by the caller's generator) and
    advance `step` voxels along it, keeping the position on the tangent plane of the attachment point.
    Bone-bound drug (`bound`, k drugs) leaves with the matrix; released[i, j] gets what osteoclast i set
    free of drug j today (zeroed here first).
    Osteoclasts are handled one after the other (they may share voxels), so the result is deterministic.
    """
    for i in range(positions.shape[0]):
        for j in range(released.shape[1]):
            released[i, j] = 0.0
        az, ay, ax = nearest_exposed(bone, positions[i, 0], positions[i, 1], positions[i, 2], search)
        if az < 0:
            attached[i] = False
            removed[i] = 0.0
            removed_mineral[i] = 0.0
            n_touched[i] = 0
            footprint[i] = 0
            continue
        attached[i] = True
        nz_, ny_, nx_ = outward_normal(bone, az, ay, ax)
        rem, rem_min, nt, fp = resorb_ball(bone, mineral, osteoid, label, labels[i], az, ay, ax, radius, volumes[i],
                                           max_passes, touched[i], bound, released[i])
        footprint[i] = fp
        removed[i] = rem
        removed_mineral[i] = rem_min
        n_touched[i] = nt
        hz = headings[i, 0] + turn[i, 0]
        hy = headings[i, 1] + turn[i, 1]
        hx = headings[i, 2] + turn[i, 2]
        dot = hz * nz_ + hy * ny_ + hx * nx_
        hz -= dot * nz_
        hy -= dot * ny_
        hx -= dot * nx_
        norm = math.sqrt(hz * hz + hy * hy + hx * hx)
        if norm > 1e-9:
            headings[i, 0] = hz / norm
            headings[i, 1] = hy / norm
            headings[i, 2] = hx / norm
        # keep the lateral offset from the attachment point, drop the normal one, then step ahead
        oz = positions[i, 0] - az
        oy = positions[i, 1] - ay
        ox = positions[i, 2] - ax
        dot = oz * nz_ + oy * ny_ + ox * nx_
        positions[i, 0] = az + oz - dot * nz_ + step * headings[i, 0]
        positions[i, 1] = ay + oy - dot * ny_ + step * headings[i, 1]
        positions[i, 2] = ax + ox - dot * nx_ + step * headings[i, 2]


@njit(cache=True)
def deposit(bone, osteoid, formed, cavity, volume, max_passes):
    """Lay `volume` (voxels) of new matrix (osteoid) into the cavity voxels (flat indices), floor first.

    A cavity voxel takes matrix when it is not full and already holds bone or touches a voxel that is
    at least half bone. Each pass shares what is left equally among those found at its start. Voxels
    that receive matrix are flagged in `formed` (bool). Returns the volume laid (less than asked when
    the cavity is full).
    """
    nz, ny, nx = bone.shape
    flat_bone = bone.reshape(-1)  # views (the grid's arrays are C-contiguous)
    flat_osteoid = osteoid.reshape(-1)
    flat_formed = formed.reshape(-1)
    n_cav = cavity.size
    cand = np.empty(n_cav, np.int64)
    remaining = volume
    laid = 0.0
    for _ in range(max_passes):
        if remaining <= 1e-12:
            break
        n = 0
        for k in range(n_cav):
            idx = cavity[k]
            b = flat_bone[idx]  # the voxel's (z, y, x) (three integer divisions) only when its neighbours matter
            if b < 1.0 and (b > 0.0 or touches_bone(bone, *_zyx(idx, ny, nx))):
                cand[n] = idx
                n += 1
        if n == 0:
            break
        share = remaining / n
        for k in range(n):
            idx = cand[k]
            b = float(flat_bone[idx])
            add = min(1.0 - b, share)
            if add > 0.0:
                flat_formed[idx] = True
            flat_bone[idx] = np.float32(b + add)
            flat_osteoid[idx] = np.float32(float(flat_osteoid[idx]) + add)
            laid += add
            remaining -= add
    return laid


@njit(cache=True)
def deposit_many(bone, osteoid, formed, cavities, offsets, volumes, max_passes, laid):
    """`deposit` for several BMUs in one call, in order (a later BMU sees what an earlier one laid, as with
    one call each): BMU k's cavity is cavities[offsets[k]:offsets[k + 1]], its volume volumes[k], and
    laid[k] gets what it laid. One compiled call instead of one per forming BMU (~80 a day in 1 mm³)."""
    for k in range(volumes.size):
        laid[k] = deposit(bone, osteoid, formed, cavities[offsets[k]:offsets[k + 1]], volumes[k], max_passes)


@njit(parallel=True, cache=True)
def mineralize(bone, osteoid, mineral, dt_days, lag_days, primary_fraction, primary_tau_days, secondary_tau_days,
               plateau):
    """Advance mineralization by dt_days in every voxel.

    Osteoid matures into mineralizable matrix at rate 1/lag (mean lag = lag_days). Matrix M = bone −
    osteoid then gains mineral in two phases: primary, fast (primary_tau_days) toward
    primary_fraction·plateau·M, and secondary, slow (secondary_tau_days) toward plateau·M, the mineral
    content of mature bone. Mineral never decreases here (resorption removes it).
    """
    nz, ny, nx = bone.shape
    mature = 1.0 - math.exp(-dt_days / lag_days)
    fast = 1.0 - math.exp(-dt_days / primary_tau_days)
    slow = 1.0 - math.exp(-dt_days / secondary_tau_days)
    primary_plateau = primary_fraction * plateau
    # Branch-free rows (selects and max instead of ifs), so the loop vectorizes; the arithmetic is the
    # same as "skip voxels without bone; mature osteoid; if below a target, move toward it".
    for zi in prange(nz):
        z = np.int64(zi)
        for y in range(ny):
            br = bone[z, y]
            orow = osteoid[z, y]
            mrow = mineral[z, y]
            for x in range(nx):
                b = float(br[x])
                o_old = float(orow[x])
                o = o_old - o_old * mature
                o = 0.0 if o < _EMPTY else o
                o = o if b > 0.0 else o_old
                m = b - o
                c_old = float(mrow[x])
                c = c_old + max(primary_plateau * m - c_old, 0.0) * fast
                c = c + max(plateau * m - c, 0.0) * slow
                orow[x] = np.float32(o)
                mrow[x] = np.float32(c if b > 0.0 else c_old)


@njit(parallel=True, fastmath={"reassoc"}, cache=True)
def volume_totals(bone, mineral, totals):
    """totals[0] = Σ bone fraction, totals[1] = Σ mineral fraction over the volume (float64 sums of the
    float32 arrays, slice by slice): the readouts' BV/TV and BMD in one pass. Reassociation allowed, so the sums
    vectorize (the order is still fixed for a given build and thread count)."""
    nz = bone.shape[0]
    per_slice = np.zeros((nz, 2))
    for zi in prange(nz):
        z = np.int64(zi)
        b = bone[z].ravel()
        m = mineral[z].ravel()
        sb = 0.0
        sm = 0.0
        for i in range(b.size):
            sb += b[i]
            sm += m[i]
        per_slice[z, 0] = sb
        per_slice[z, 1] = sm
    totals[0] = per_slice[:, 0].sum()
    totals[1] = per_slice[:, 1].sum()


@njit(parallel=True, cache=True)
def surface_phase_counts(bone, label, phase_of_label, counts):
    """Count bone-surface voxels by the remodeling phase of the cavity they belong to or border.

    A surface voxel (at least half bone, with a marrow face neighbour) takes the highest phase among
    the labels of itself and its 6 face neighbours (phase_of_label[label]; 0 = quiescent). counts[p]
    gets the number of surface voxels in phase p; counts.sum() is the bone surface in voxels.
    Outside the volume is neither marrow nor a cavity: a neighbour index past the edge is clamped to the
    voxel itself (bone, and its own phase is counted anyway), so the inner loop has no bounds checks.
    """
    nz, ny, nx = bone.shape
    n_phase = counts.size
    per_slice = np.zeros((nz, n_phase), np.int64)
    for zi in prange(nz):
        z = np.int64(zi)
        zm = max(z - 1, 0)
        zp = min(z + 1, nz - 1)
        words = (nx + 7) // 8
        surface = np.zeros(8 * words, np.uint8)  # 1 where the row's voxel is surface (past nx: always 0)
        packed = surface.view(np.uint64)
        for y in range(ny):
            ym = max(y - 1, 0)
            yp = min(y + 1, ny - 1)
            b0 = bone[z, y]
            b1 = bone[zm, y]
            b2 = bone[zp, y]
            b3 = bone[z, ym]
            b4 = bone[z, yp]
            # which voxels of the row are surface: a branch-free pass (it vectorizes), then the few surface
            # voxels look up their phase, found 8 at a time (a word of marks that is 0 has none)
            for x in range(1, nx - 1):
                least = min(min(b0[x - 1], b0[x + 1]), min(min(b1[x], b2[x]), min(b3[x], b4[x])))
                surface[x] = (b0[x] >= BONE_LEVEL) & (least < BONE_LEVEL)
            for x in (0, nx - 1):
                least = min(min(b0[max(x - 1, 0)], b0[min(x + 1, nx - 1)]), min(min(b1[x], b2[x]), min(b3[x], b4[x])))
                surface[x] = (b0[x] >= BONE_LEVEL) & (least < BONE_LEVEL)
            l0 = label[z, y]
            l1 = label[zm, y]
            l2 = label[zp, y]
            l3 = label[z, ym]
            l4 = label[z, yp]
            for w in range(words):
                if packed[w] == 0:
                    continue
                for x in range(8 * w, min(8 * w + 8, nx)):
                    if surface[x]:
                        xm = max(x - 1, 0)
                        xp = min(x + 1, nx - 1)
                        p = max(phase_of_label[l0[x]], phase_of_label[l0[xm]], phase_of_label[l0[xp]],
                                phase_of_label[l1[x]], phase_of_label[l2[x]], phase_of_label[l3[x]],
                                phase_of_label[l4[x]])
                        per_slice[z, p] += 1
    for p in range(n_phase):
        counts[p] = per_slice[:, p].sum()


@njit(inline="always")
def closer(d, flat, best_d, best_flat):
    """(d, flat) before (best_d, best_flat): nearer, or as near and first in z, y, x order."""
    return d < best_d or (d == best_d and flat < best_flat)


@njit(inline="always")
def source_marrow(bone, enclosed, masked, z, y, x):
    """Marrow a source can enter: less than half bone and not in an enclosed pocket (`enclosed`, read only when
    `masked`). `nearest_marrow` searches for it and `kernels.source_cache` keeps its mask: one predicate, so
    the cache stays exact."""
    return bone[z, y, x] < BONE_LEVEL and not (masked and enclosed[z, y, x])


@njit(parallel=True, cache=True)
def nearest_marrow(bone, enclosed, positions, search, out):
    """For each voxel in positions (n, 3), the nearest voxel less than half bone and not `enclosed` (a bool
    mask of bone's shape, or an empty array for none: marrow pockets counted as bone) within `search` voxels
    (in each axis: the cube of half-width `search`).

    out[i] = (z, y, x), or (-1, -1, -1) when there is none that close (the caller falls back to a full
    distance transform). Ties go to the first in z, y, x order, so the answer is deterministic.
    The search goes out in cube shells (Chebyshev radius r = 0, 1, ...) and stops after shell r once the
    best squared distance is below (r + 1)²: every voxel further out is at least that far. Osteocytes lie
    a few voxels from a surface, so this visits a few hundred voxels instead of the whole cube.
    """
    nz, ny, nx = bone.shape
    masked = enclosed.size > 0
    for ii in prange(positions.shape[0]):
        i = np.int64(ii)
        z0 = positions[i, 0]
        y0 = positions[i, 1]
        x0 = positions[i, 2]
        best = search * search * 3 + 1
        best_flat = nz * ny * nx
        for r in range(search + 1):
            for z in range(max(z0 - r, 0), min(z0 + r + 1, nz)):
                on_z = abs(z - z0) == r
                for y in range(max(y0 - r, 0), min(y0 + r + 1, ny)):
                    step = 1 if on_z or abs(y - y0) == r else 2 * r  # inside the shell only x = x0 ± r
                    for x in range(x0 - r, x0 + r + 1, max(step, 1)):
                        if x < 0 or x >= nx:
                            continue
                        d = (z - z0) * (z - z0) + (y - y0) * (y - y0) + (x - x0) * (x - x0)
                        flat = (z * ny + y) * nx + x
                        if closer(d, flat, best, best_flat) and source_marrow(bone, enclosed, masked, z, y, x):
                            best = d
                            best_flat = flat
            if best < (r + 1) * (r + 1):
                break
        if best_flat < nz * ny * nx:
            out[i, 0] = best_flat // (ny * nx)
            out[i, 1] = (best_flat // nx) % ny
            out[i, 2] = best_flat % nx
        else:
            out[i, 0] = -1
            out[i, 1] = -1
            out[i, 2] = -1

"""Local binding equilibrium of RANKL with OPG and a RANKL-binding drug, per voxel, in closed form.

Binding is fast (seconds to minutes) next to a day step, so each voxel is at equilibrium. RANKL
(total L_T) binds two competitors, OPG (total A_T, K_A) and drug (total B_T, K_B), each 1:1. Mass
balance for free RANKL L:

    L_T = L + A_T·L/(K_A + L) + B_T·L/(K_B + L)

which is the cubic L³ + a L² + b L + c = 0 with

    a = K_A + K_B + A_T + B_T − L_T
    b = K_B (A_T − L_T) + K_A (B_T − L_T) + K_A K_B
    c = −K_A K_B L_T

whose one physical root is given in closed form (trigonometric solution) by Wang 1995, FEBS Lett
360:111 ("An exact mathematical expression for describing competitive binding of two different
ligands to a protein molecule"). The closed form loses digits when the constants span many orders
of magnitude (pM RANKL against nM drug), so it is followed by two Newton steps on the mass balance
(monotone in L), clipped to [0, L_T]. Computed in float64; stored as float32.

Assumptions: denosumab is bivalent but is counted per binding site (one site per RANKL trimer
subunit is not resolved); RANK on precursors is not a sink for RANKL here (its occupancy is read off
the free RANKL: θ = L / (L + K_RANK)).
"""

from __future__ import annotations

import math

from numba import njit, prange


@njit(inline="always")
def free_ligand_single(l_total, a_total, k_a):
    """Free RANKL with one 1:1 competitor (no drug): the root of L² + (K_A + A_T − L_T)·L − K_A·L_T = 0,
    in the form that does not cancel digits (the cubic's closed form costs an acos and a cos per cell)."""
    p = k_a + a_total - l_total
    root = math.sqrt(p * p + 4.0 * k_a * l_total)
    free = 0.5 * (root - p) if p <= 0.0 else 2.0 * k_a * l_total / (p + root)
    return min(l_total, max(0.0, free))


@njit(cache=True)
def free_ligand_competitive(l_total, a_total, b_total, k_a, k_b):
    """Free RANKL (same unit as the inputs) at equilibrium with two 1:1 competitors A and B."""
    if l_total <= 0.0:
        return 0.0
    if b_total <= 0.0:
        return free_ligand_single(l_total, a_total, k_a)
    a = k_a + k_b + a_total + b_total - l_total
    b = k_b * (a_total - l_total) + k_a * (b_total - l_total) + k_a * k_b
    c = -k_a * k_b * l_total
    disc = a * a - 3.0 * b
    if disc > 0.0:
        s = math.sqrt(disc)
        arg = (-2.0 * a * a * a + 9.0 * a * b - 27.0 * c) / (2.0 * disc * s)
        arg = min(1.0, max(-1.0, arg))
        theta = math.acos(arg)
        free = -a / 3.0 + (2.0 / 3.0) * s * math.cos(theta / 3.0)
    else:
        free = l_total
    free = min(l_total, max(0.0, free))
    for _ in range(2):  # Newton polish on f(L) = L + A_T L/(K_A+L) + B_T L/(K_B+L) - L_T
        f = free + a_total * free / (k_a + free) + b_total * free / (k_b + free) - l_total
        df = 1.0 + a_total * k_a / (k_a + free) ** 2 + b_total * k_b / (k_b + free) ** 2
        free = min(l_total, max(0.0, free - f / df))
    return free


@njit(parallel=True, cache=True)
def _bind_without_drug(lt, at, phi, kd_opg_nM, kd_rank_nM, free_l, free_a, la, lb, occ):
    """`bind_rankl` where no drug is present: `free_ligand_single` per cell, with the cells outside the marrow or
    without RANKL selected to 0 instead of branched around, so that the loop vectorizes (untreated days are most
    of a placebo arm's)."""
    for i in prange(lt.size):
        l_t = float(lt[i])
        a_t = float(at[i])
        in_marrow = phi[i] > 0.0
        free = free_ligand_single(l_t, a_t, kd_opg_nM)
        f = free if (l_t > 0.0) & in_marrow else 0.0
        c_a = a_t * f / (kd_opg_nM + f)
        free_l[i] = f
        free_a[i] = a_t - c_a if in_marrow else 0.0
        la[i] = c_a if in_marrow else 0.0
        lb[i] = 0.0
        occ[i] = f / (kd_rank_nM + f)


@njit(parallel=True, cache=True)
def bind_rankl(rankl_total_nM, opg_total_nM, drug_total_nM, marrow_fraction, kd_opg_nM, kd_drug_nM, kd_rank_nM,
               free_rankl_nM, free_opg_nM, rankl_opg_nM, rankl_drug_nM, rank_occupancy):
    """Equilibrium partition of RANKL, per voxel (all arrays of one shape; outputs written in place).

    Voxels with no marrow (marrow_fraction == 0) hold no soluble factor: all outputs are 0 there.
    rank_occupancy is the fraction of RANK on precursors bound by RANKL, L / (L + K_RANK).
    """
    lt = rankl_total_nM.ravel()
    at = opg_total_nM.ravel()
    bt = drug_total_nM.ravel()
    phi = marrow_fraction.ravel()
    free_l = free_rankl_nM.ravel()
    free_a = free_opg_nM.ravel()
    la = rankl_opg_nM.ravel()
    lb = rankl_drug_nM.ravel()
    occ = rank_occupancy.ravel()
    if bt.size and bt.min() == 0.0 and bt.max() == 0.0:  # no drug: one competitor, a branch-free loop
        _bind_without_drug(lt, at, phi, kd_opg_nM, kd_rank_nM, free_l, free_a, la, lb, occ)
        return
    for i in prange(lt.size):
        if phi[i] <= 0.0:
            free_l[i] = 0.0
            free_a[i] = 0.0
            la[i] = 0.0
            lb[i] = 0.0
            occ[i] = 0.0
            continue
        l_t = float(lt[i])
        a_t = float(at[i])
        b_t = float(bt[i])
        f = free_ligand_competitive(l_t, a_t, b_t, kd_opg_nM, kd_drug_nM)
        c_a = a_t * f / (kd_opg_nM + f)
        c_b = b_t * f / (kd_drug_nM + f)
        free_l[i] = f
        free_a[i] = a_t - c_a
        la[i] = c_a
        lb[i] = c_b
        occ[i] = f / (kd_rank_nM + f)

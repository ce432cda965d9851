"""Cohort kernels of the whole-skeleton layer (`engine.skeleton.layer`): one simulated day of every cohort of
every compartment in one pass each.

The layer follows cells as cohorts (all BMUs activated on one day, all formation started on one day, all
matrix laid on one day) held in ring buffers: arrays (compartments, slots). These kernels do the per-cohort
arithmetic of the day; the layer decides which slot is new and what the day's factors are. The numpy twins
in `tests/kernels/test_cohorts.py` spell out the same rules array-wise.

Why kernels: a patient's layer holds ~14,000 cohort values per compartment set, and a FREEDOM-sized virtual
trial steps ~12 million patient-days; numpy's one-pass-per-operation cost made a patient-day ~0.7 ms,
fusing the passes into loops that skip finished cohorts makes it a few tens of µs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.kernels.binding import free_ligand_competitive

#: relative accuracy of `gamma_q` (series and continued fraction stop below it)
_GAMMA_EPS = 1e-15
_GAMMA_MAX_TERMS = 500
_RECIPROCALS = 1.0 / np.maximum(np.arange(51, dtype=np.float64), 1.0)


@njit(cache=True)
def gamma_q(a, x):
    """Regularized upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a) (scipy.special.gammaincc), a > 0, x ≥ 0.

    Integer a (a gamma distribution with integer shape, the default osteoblast lifetime): the finite sum
    e^{-x} Σ_{i<a} x^i/i!. Otherwise the classical series for x < a + 1 and Lentz's continued fraction for
    larger x (Press et al., Numerical Recipes §6.2)."""
    if x <= 0.0:
        return 1.0
    if a == math.floor(a) and a <= 50.0:
        # Horner form of Σ_{i<a} x^i/i! with the reciprocals taken once (divisions are the slow part)
        n = int(a)
        total = 1.0
        for i in range(n - 1, 0, -1):
            total = 1.0 + total * x * _RECIPROCALS[i]
        return math.exp(-x) * total
    log_prefactor = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        ap = a
        term = 1.0 / a
        total = term
        for _ in range(_GAMMA_MAX_TERMS):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _GAMMA_EPS:
                break
        return 1.0 - total * math.exp(log_prefactor)
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, _GAMMA_MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _GAMMA_EPS:
            break
    return math.exp(log_prefactor) * h


@njit(cache=True)
def working_probability(shape, mean_days, age_days):
    """P(an osteoblast recruited `age_days` ago still works today). Its fate day is start + max(1, round(L)),
    L ~ gamma(shape, mean/shape), and it lays matrix on its fate day, so P = P(round(L) ≥ age) =
    Q(shape, (age − 0.5)/scale); 1 for age ≤ 1 (`engine.agents.osteoblast`)."""
    if age_days <= 1.0:
        return 1.0
    scale = mean_days / shape
    if scale <= 0.0:
        scale = 1.0
    return gamma_q(shape, max(age_days - 0.5, 0.0) / scale)


@njit(cache=True)
def resorb_cohorts(bmus, survival, nuclei, fraction, volume_um3, footprint_um2, fusion, nucleus_keep, hazard,
                   cells_per_bmu, um3_per_nucleus_day, um2_per_cell_day, resorbed_um3, swept_um2,
                   leaving_bmus, leaving_volume_um3, leaving_footprint_um2):
    """One day of every resorption cohort (arrays (compartments, slots), updated in place).

    Per live cohort (bmus > 0): nuclei fuse in (`fusion`[c] per cell) and die (× `nucleus_keep`); each cell
    survives with exp(−hazard[c]); the live cells (bmus × cells_per_bmu × survival) resorb nuclei ×
    `um3_per_nucleus_day`[c] and sweep `um2_per_cell_day` of surface; the share of the cohort's BMUs with
    a live cell is 1 − (1 − survival)^cells_per_bmu, and the BMUs that lost their last cell today leave
    with that share of the cohort's cavity volume and footprint. Outputs per compartment (overwritten):
    `resorbed_um3`, `swept_um2`, `leaving_bmus`, `leaving_volume_um3`, `leaving_footprint_um2`."""
    k, slots = bmus.shape
    for c in range(k):
        keep_cell = math.exp(-hazard[c])
        resorbed = 0.0
        swept = 0.0
        out_bmus = 0.0
        out_volume = 0.0
        out_footprint = 0.0
        for s in range(slots):
            now = 0.0
            if bmus[c, s] > 0.0:
                n = nuclei[c, s] + fusion[c]
                n -= n * (1.0 - nucleus_keep)
                nuclei[c, s] = n
                surv = survival[c, s] * keep_cell
                survival[c, s] = surv
                cells = bmus[c, s] * cells_per_bmu * surv
                r = cells * n * um3_per_nucleus_day[c]
                w = cells * um2_per_cell_day
                volume_um3[c, s] += r
                footprint_um2[c, s] += w
                resorbed += r
                swept += w
                now = 1.0 - (1.0 - surv) ** cells_per_bmu
            else:
                nuclei[c, s] = 0.0
                survival[c, s] = 0.0
            before = fraction[c, s]
            if before > 0.0:
                ending = min(max((before - now) / before, 0.0), 1.0)
                v = volume_um3[c, s] * ending
                f = footprint_um2[c, s] * ending
                volume_um3[c, s] -= v
                footprint_um2[c, s] -= f
                out_volume += v
                out_footprint += f
            out_bmus += bmus[c, s] * (before - now)
            fraction[c, s] = now
        resorbed_um3[c] = resorbed
        swept_um2[c] = swept
        leaving_bmus[c] = out_bmus
        leaving_volume_um3[c] = out_volume
        leaving_footprint_um2[c] = out_footprint


@njit(cache=True)
def spread_over_delays(due_bmus, due_volume_um3, due_footprint_um2, bmus, volume_um3, footprint_um2, pmf, shift):
    """BMUs entering reversal today: their number, cavity volume and footprint (per compartment) are spread
    over the days on which their reversal ends (probability `pmf`[d] of a delay of d days), in ring buffers
    whose slot for today is `shift`."""
    k, slots = due_bmus.shape
    for c in range(k):
        if bmus[c] == 0.0 and volume_um3[c] == 0.0 and footprint_um2[c] == 0.0:
            continue
        for d in range(slots):
            if pmf[d] == 0.0:
                continue
            s = (shift + d) % slots
            due_bmus[c, s] += bmus[c] * pmf[d]
            due_volume_um3[c, s] += volume_um3[c] * pmf[d]
            due_footprint_um2[c, s] += footprint_um2[c] * pmf[d]


@njit(cache=True)
def form_cohorts(bmus, osteoblasts, capacity_um3, footprint_um2, mean_life_days, age_days, share, working,
                 shape, um3_per_osteoblast_day, laid_um3, finished_osteoblasts):
    """One day of every formation cohort (arrays (compartments, slots), updated in place; a slot with
    age_days = inf is empty).

    Each osteoblast of a cohort works today with probability `working` (yesterday's value for today) and
    lays `um3_per_osteoblast_day`, at most the cavity volume left (`capacity_um3`, inf for a modeling
    unit); tomorrow's working probability comes from its lifetime distribution; osteoblasts that stop today
    are counted in `finished_osteoblasts`[c] (a share becomes osteocytes). A cohort's BMUs are forming
    while one of their osteoblasts works: share = 1 − (1 − P_work)^(osteoblasts per BMU, ≥ 1); a cohort
    with share < 1e-6 or no osteoblasts is finished and its slot emptied. Outputs `laid_um3`,
    `finished_osteoblasts` per compartment (overwritten).

    The cohorts of one slot started on the same day in every compartment with the same working life, so
    the working probability is computed once per slot (again only where a row's age or life differs)."""
    k, slots = bmus.shape
    for c in range(k):
        laid_um3[c] = 0.0
        finished_osteoblasts[c] = 0.0
    for s in range(slots):
        known_age = -1.0
        known_life = -1.0
        tomorrow = 0.0
        log_idle = 0.0
        for c in range(k):
            age = age_days[c, s]
            if age == np.inf:
                working[c, s] = 0.0
                continue
            if age != known_age or mean_life_days[c, s] != known_life:
                known_age = age
                known_life = mean_life_days[c, s]
                tomorrow = working_probability(shape, known_life, age + 1.0)
                log_idle = math.log1p(-tomorrow) if tomorrow < 1.0 else -np.inf
            w = working[c, s]
            laid = min(capacity_um3[c, s], osteoblasts[c, s] * w * um3_per_osteoblast_day)
            capacity_um3[c, s] -= laid
            laid_um3[c] += laid
            working[c, s] = tomorrow
            finished_osteoblasts[c] += osteoblasts[c, s] * (w - tomorrow)
            age_days[c, s] = age + 1.0
            per_bmu = osteoblasts[c, s] / bmus[c, s] if bmus[c, s] > 0.0 else 0.0
            now = 1.0 - math.exp(max(per_bmu, 1.0) * log_idle)   # 1 − (1 − P_work)^n
            share[c, s] = now
            if now < 1e-6 or osteoblasts[c, s] <= 0.0:
                bmus[c, s] = 0.0
                osteoblasts[c, s] = 0.0
                capacity_um3[c, s] = 0.0
                footprint_um2[c, s] = 0.0
                share[c, s] = 0.0
                age_days[c, s] = np.inf


@njit(cache=True)
def _mineralize_one(bone, osteoid, mineral, mature, fast, slow, primary):
    """`kernels.remodeling.mineralize`'s rule for one piece of tissue, dt = 1 day."""
    osteoid -= osteoid * mature
    matrix = bone - osteoid
    target = primary * matrix
    if mineral < target:
        mineral += (target - mineral) * fast
    if mineral < matrix:
        mineral += (matrix - mineral) * slow
    return osteoid, mineral


@njit(cache=True)
def tissue_day(tissue_bone, tissue_osteoid, tissue_mineral, old_bone, old_osteoid, old_mineral, keep, slot,
               new_matrix, mature, fast, slow, primary, bone_total, mineral_total):
    """One day of the tissue of every compartment: resorption takes the share 1 − keep[c] of every cohort
    (tissue of every age in proportion to its volume, with its osteoid and mineral); the cohort in `slot`
    (formed TISSUE_SLOTS days ago) joins the old-bone pool and today's matrix `new_matrix`[c] (osteoid)
    takes its place; then every cohort and the pool mineralize by `_mineralize_one`. Writes the totals
    `bone_total`[c] and `mineral_total`[c] (same units as the tissue arrays)."""
    k, slots = tissue_bone.shape
    for c in range(k):
        q = keep[c]
        ob = old_bone[c] * q + tissue_bone[c, slot] * q
        oo = old_osteoid[c] * q + tissue_osteoid[c, slot] * q
        om = old_mineral[c] * q + tissue_mineral[c, slot] * q
        tissue_bone[c, slot] = new_matrix[c]
        tissue_osteoid[c, slot] = new_matrix[c]
        tissue_mineral[c, slot] = 0.0
        bone = 0.0
        mineral = 0.0
        for s in range(slots):
            if s != slot:
                tissue_bone[c, s] *= q
                tissue_osteoid[c, s] *= q
                tissue_mineral[c, s] *= q
            o, m = _mineralize_one(tissue_bone[c, s], tissue_osteoid[c, s], tissue_mineral[c, s], mature, fast,
                                   slow, primary)
            tissue_osteoid[c, s] = o
            tissue_mineral[c, s] = m
            bone += tissue_bone[c, s]
            mineral += m
        oo, om = _mineralize_one(ob, oo, om, mature, fast, slow, primary)
        old_bone[c] = ob
        old_osteoid[c] = oo
        old_mineral[c] = om
        bone_total[c] = bone + ob
        mineral_total[c] = mineral + om


@njit(cache=True)
def marrow_signal(bone_mm3, initial_bone_mm3, trabecular_bv_tv, osteocytes, rankl_nM_per_cell_litre,
                  opg_nM_per_cell_litre, rankl_factor, opg_factor, signal_from, binder_nM, drug_access, kd_opg_nM,
                  kd_binder_nM, kd_rank_nM, rank_occupancy):
    """RANK occupancy per compartment (written into `rank_occupancy`): marrow-mean total RANKL and OPG from the
    osteocytes per marrow volume (the steady state of the agents' field integrated over the marrow; BV/TV
    follows the bone, marrow fills what is lost), times the day's systemic factors (`opg_factor` per
    compartment: the systemic factor times the young osteocytes', `agents.osteocyte_opg`); the compartment's share of
    the drug (`drug_access`); competitive binding (`kernels.binding.free_ligand_competitive`); θ = L/(L + K)."""
    k = bone_mm3.shape[0]
    rankl = np.empty(k)
    opg = np.empty(k)
    for c in range(k):
        bv_tv = min(max(trabecular_bv_tv * bone_mm3[c] / initial_bone_mm3[c], 1e-6), 1.0 - 1e-6)
        marrow_mm3 = bone_mm3[c] * (1.0 - bv_tv) / bv_tv
        per_litre = osteocytes[c] / (marrow_mm3 * 1e-6)
        rankl[c] = per_litre * rankl_nM_per_cell_litre * rankl_factor
        opg[c] = per_litre * opg_nM_per_cell_litre * opg_factor[c]
    for c in range(k):
        j = signal_from[c]
        free = free_ligand_competitive(rankl[j], opg[j], binder_nM * drug_access[c], kd_opg_nM, kd_binder_nM)
        rank_occupancy[c] = free / (kd_rank_nM + free)


@njit(cache=True)
def advance_pools(relative_size, stages, propagator, chain_rate, rank_occupancy, reference_occupancy,
                  lifespan_days, differentiation_per_day, supply_factor, committed):
    """One day of independent precursor pools (`engine.agents.precursor_pool.PrecursorPool.advance` with an
    array `relative_size`, whose rules and docstring this follows): the commitment chain relaxes towards
    u/rate under today's u = θ/θ_ref × pool (matrix exponential `propagator`), the pool towards
    supply/rate at exp(−rate); `committed` gets the chain's output relative to the reference."""
    k, n = stages.shape
    lag = np.empty(n)
    for c in range(k):
        theta = rank_occupancy[c] / reference_occupancy
        steady = theta * relative_size[c] / chain_rate
        for i in range(n):
            lag[i] = stages[c, i] - steady
        for i in range(n):
            acc = 0.0
            for j in range(n):
                acc += propagator[i, j] * lag[j]
            stages[c, i] = steady + acc
        supply = (1.0 / lifespan_days + differentiation_per_day) * supply_factor
        rate = 1.0 / lifespan_days + differentiation_per_day * theta
        target = supply / rate
        relative_size[c] = target + (relative_size[c] - target) * math.exp(-rate)
        committed[c] = chain_rate * stages[c, n - 1]


@njit(cache=True)
def surfaces_mm2(res_footprint_um2, res_fraction, rev_footprint_um2, form_footprint_um2, form_share, eroded, osteoid):
    """Eroded surface (footprints of BMUs resorbing or in reversal) and osteoid surface (footprints × the
    share still forming) per compartment, in mm²."""
    k = res_footprint_um2.shape[0]
    for c in range(k):
        e = 0.0
        for s in range(res_footprint_um2.shape[1]):
            if res_fraction[c, s] > 0.0:
                e += res_footprint_um2[c, s]
        r = 0.0
        for s in range(rev_footprint_um2.shape[1]):
            r += rev_footprint_um2[c, s]
        o = 0.0
        for s in range(form_footprint_um2.shape[1]):
            o += form_footprint_um2[c, s] * form_share[c, s]
        eroded[c] = e / 1e6 + r / 1e6
        osteoid[c] = o / 1e6


@njit(cache=True)
def cohort_day(day_index, quiescent_mm2, committed, fusing, site_factor, rank_occupancy, bp_effect, contact_loss_per_day,
               fusion_site_ratio, osteocytes, bone_total_mm3, mineral_total_mm3,
               res_bmus, res_survival, res_nuclei, res_fraction, res_volume_um3, res_footprint_um2,
               rev_bmus, rev_volume_um3, rev_footprint_um2, reversal_pmf,
               form_bmus, form_osteoblasts, form_capacity_um3, form_footprint_um2, form_mean_life_days,
               form_age_days, form_share, form_working, formation_slots,
               tissue_bone, tissue_osteoid, tissue_mineral, old_bone, old_osteoid, old_mineral,
               activation_per_mm2_per_day, founding_nuclei, cells_per_bmu, fusion_per_day, nucleus_keep,
               osteoclast_lifespan_days, withdrawal_per_day, reference_occupancy, survival_fraction,
               bp_max_apoptosis_per_day, um3_per_nucleus_day, um2_per_cell_day, osteocyte_keep,
               osteoblasts_per_um3, working_life_days, lining_activation_per_day, lining_cell_area_um2, unit_footprint_um2,
               lifespan_shape, um3_per_osteoblast_day, osteoblast_to_osteocyte, mature, fast, slow, primary,
               activations, resorbed_um3, swept_um2, formed_um3):
    """The whole-skeleton layer's day after signalling (`engine.skeleton.layer.SkeletonLayer.run_step`, whose
    docstring states the rules), in the agents' order: activation on quiescent surface (× the primed
    activation sites' factor; `committed` precursors found BMUs, `fusing` cells fuse into osteoclasts: the
    same unless osteomorphs recycle, `agents.osteomorphs`); the resorption cohort
    of RESORPTION_SLOTS days ago leaves for reversal and today's takes its slot; every resorption cohort
    (`resorb_cohorts`); BMUs that lost their last osteoclast enter reversal (`spread_over_delays`); osteocytes
    die (lifespan) and leave with resorbed bone; the reversal slot due today starts a formation cohort
    (osteoblasts = coupling × cavity volume); lining cells start modeling units (MBF); every
    formation cohort (`form_cohorts`), a share of finished osteoblasts becoming osteocytes; the tissue
    (`tissue_day`). Outputs per compartment: `activations`, `resorbed_um3`, `swept_um2`, `formed_um3`."""
    k = res_bmus.shape[0]
    res_slots = res_bmus.shape[1]
    rev_slots = rev_bmus.shape[1]
    slot = day_index % res_slots
    shift = day_index % rev_slots
    # activation; the cohort activated res_slots days ago leaves for reversal; today's cohort takes its slot
    retired = np.empty((3, k))
    for c in range(k):
        activations[c] = activation_per_mm2_per_day * quiescent_mm2[c] * committed[c] * site_factor[c]
        retired[0, c] = res_bmus[c, slot] * res_fraction[c, slot]
        retired[1, c] = res_volume_um3[c, slot]
        retired[2, c] = res_footprint_um2[c, slot]
    spread_over_delays(rev_bmus, rev_volume_um3, rev_footprint_um2, retired[0], retired[1], retired[2], reversal_pmf,
                       shift)
    fusion = np.empty(k)
    hazard = np.empty(k)
    per_nucleus = np.empty(k)
    for c in range(k):
        res_bmus[c, slot] = activations[c]
        res_survival[c, slot] = 1.0
        res_nuclei[c, slot] = founding_nuclei
        res_fraction[c, slot] = 1.0
        res_volume_um3[c, slot] = 0.0
        res_footprint_um2[c, slot] = 0.0
        fusion[c] = fusion_per_day * fusion_site_ratio[c] * fusing[c]
        signal = rank_occupancy[c] / reference_occupancy
        hazard[c] = (1.0 / osteoclast_lifespan_days + withdrawal_per_day * max(1.0 - signal / survival_fraction, 0.0)
                     + contact_loss_per_day[c] + bp_max_apoptosis_per_day * bp_effect[c])
        per_nucleus[c] = um3_per_nucleus_day * (1.0 - bp_effect[c])
    leaving = np.empty((3, k))
    resorb_cohorts(res_bmus, res_survival, res_nuclei, res_fraction, res_volume_um3, res_footprint_um2, fusion,
                   nucleus_keep, hazard, cells_per_bmu, per_nucleus, um2_per_cell_day, resorbed_um3, swept_um2,
                   leaving[0], leaving[1], leaving[2])
    spread_over_delays(rev_bmus, rev_volume_um3, rev_footprint_um2, leaving[0], leaving[1], leaving[2], reversal_pmf,
                       shift)
    # osteocytes: their lifespan, and those in resorbed bone (before the tissue goes)
    keep = np.empty(k)
    for c in range(k):
        osteocytes[c] -= osteocytes[c] * (1.0 - osteocyte_keep)
        removed = min(max(resorbed_um3[c] / 1e9 / bone_total_mm3[c], 0.0), 1.0)
        osteocytes[c] -= osteocytes[c] * removed
        keep[c] = 1.0 - removed
    # the reversal slot due today starts formation (a remodeling BMU's old slot is finished first)
    form_slot = day_index % formation_slots
    for c in range(k):
        bmus = rev_bmus[c, shift]
        volume = rev_volume_um3[c, shift]
        footprint = rev_footprint_um2[c, shift]
        rev_bmus[c, shift] = 0.0
        rev_volume_um3[c, shift] = 0.0
        rev_footprint_um2[c, shift] = 0.0
        form_bmus[c, form_slot] = bmus
        form_osteoblasts[c, form_slot] = osteoblasts_per_um3 * volume
        form_capacity_um3[c, form_slot] = volume
        form_footprint_um2[c, form_slot] = footprint
        form_mean_life_days[c, form_slot] = working_life_days
        form_age_days[c, form_slot] = 0.0
        form_working[c, form_slot] = 1.0
        form_share[c, form_slot] = 1.0
    # modeling-based formation: lining cells (one per lining_cell_area_um2 of quiescent surface) start modeling units of
    # one osteoblast each (on one osteoblast footprint), limited by the osteoblast's working life, not by a cavity;
    # the rate is per compartment (cancellous and cortical envelopes differ)
    unit_slot = form_slot + formation_slots
    for c in range(k):
        if lining_activation_per_day[c] > 0.0:
            units = quiescent_mm2[c] * 1e6 / lining_cell_area_um2 * (1.0 - math.exp(-lining_activation_per_day[c]))
            form_bmus[c, unit_slot] = units
            form_osteoblasts[c, unit_slot] = units
            form_capacity_um3[c, unit_slot] = np.inf
            form_footprint_um2[c, unit_slot] = units * unit_footprint_um2
            form_mean_life_days[c, unit_slot] = working_life_days
            form_age_days[c, unit_slot] = 0.0
            form_working[c, unit_slot] = 1.0
            form_share[c, unit_slot] = 1.0
    finished = np.empty(k)
    form_cohorts(form_bmus, form_osteoblasts, form_capacity_um3, form_footprint_um2, form_mean_life_days,
                 form_age_days, form_share, form_working, lifespan_shape, um3_per_osteoblast_day, formed_um3, finished)
    new_matrix = np.empty(k)
    for c in range(k):
        osteocytes[c] += osteoblast_to_osteocyte * finished[c]
        new_matrix[c] = formed_um3[c] / 1e9
    tissue_day(tissue_bone, tissue_osteoid, tissue_mineral, old_bone, old_osteoid, old_mineral, keep,
               day_index % tissue_bone.shape[1], new_matrix, mature, fast, slow, primary, bone_total_mm3,
               mineral_total_mm3)

"""Denosumab: target-mediated pharmacokinetics, and the free drug that reaches the bone marrow.

Pharmacokinetics (structure of the published population-PK models, Sutjandra 2011 Clin Pharmacokinet
50:793 and Gibiansky 2012 Clin Pharmacokinet 51:247, targets.md §1 'PopPK model structure'):
    SC depot --ka, F--> central (Vc) <--Q--> peripheral (Vp)
    central elimination = linear CL  +  saturable target-mediated elimination Vmax·C/(Km + C)
The saturable term is the Michaelis–Menten approximation of target-mediated drug disposition (TMDD:
drug bound to RANKL is internalised and degraded; Gibiansky 2008 J Pharmacokinet Pharmacodyn 35:573
shows when the QSS and MM approximations coincide). At high concentration the target route is saturated
and the drug clears linearly (t½ ≈ 4 weeks); as the concentration falls below Km the target route
takes over and the concentration collapses within weeks. That is why serum denosumab "declines over
4–5 months" (label) and why AUC grows more than dose-proportionally at low doses.

Parameter values (table `DENOSUMAB_PK`): bioavailability, absorption half-life, central volume and
linear clearance from Gibiansky 2012 (the values confirmed in targets.md §1); distribution (Q, Vp) and
the saturable route (Vmax, Km) from Peterson et al. 2004 (AAPS J 6(S1) W4340), as coded in OpenBoneMin
(`inst/OpenBoneMin.cpp`, ../shared/notes/dependencies.md §A), the only published values of those terms
we could read. Doses follow the scenario's regimen (`engine.pharmacology.regimen`), never a built-in
schedule. The values are for a ~66 kg adult; a scenario's `patient.body_weight_kg` scales clearances and
volumes allometrically (`weight_scaled`).

Exposure of the marrow. Serum denosumab is ~46 nM at Cmax and its RANKL K_D is ~3 pM. Only a share of the
serum's free antibody reaches RANKL where osteoclasts form (`marrow_to_serum_ratio`, 0.16: calibrated on the
month-6 pre-dose CTX and bracketed by antibody biodistribution to bone, ~7 %, and continuum models' access
factor, targets.md §9); with full access RANKL stayed blocked to the end of every interval. The marrow
concentration is uniform over the simulated volume (a mm-sized volume is small next to the distances an
antibody spreads over) and enters the grid as the drug field that binds RANKL in the local equilibrium
(`engine.kernels.binding`, K_D `rankl_kd_nM` of this table). Osteoclastogenesis responds only to the free
RANKL that remains, through the agents' rules (activation, fusion of precursors into osteoclasts); no rule
scales cells by drug concentration.

Sites out of reach. Where the antibody reaches, it leaves free RANKL at ~0.01 % of untreated between doses
(46 nM × 0.16 against a K_D of 3 pM), so resorption there falls ~99.9 %; serum CTX then sat at the assay
floor in every patient, while FREEDOM found it below the floor in only 39-68 % of patients at months 1-3
(targets.md §2). A share of the skeleton's remodeling sites (`out_of_reach_fraction`, 0.13, calibrated on
that fact) is therefore out of the antibody's reach: there RANKL signals as untreated. The whole-skeleton
layer runs every compartment as a reached and an unreached part (`engine.skeleton.layer.split_by_drug_reach`);
an agent volume, a biopsy, lies in one or the other (`geometry.drug_reach`: reached by default, `sampled` in
virtual trials, whose biopsies then look like FREEDOM's: most silent, a few remodeling). Which sites they are
is not known; the share is what the markers need, and it also lets serum P1NP stay ~24 % of baseline after
3 years as FREEDOM's did (a prediction, §2).

What happens when the drug is stopped (the mechanism, not a rebound term). While RANKL is blocked,
precursors stop leaving the pool by differentiation but keep arriving, so the pool grows to about
1 + k_d·τ ≈ 2× its untreated size (`engine.agents.precursor_pool`; osteoclast precursors accumulating
behind a RANKL 'gate' and osteomorphs waiting to refuse: McDonald 2021 Cell 184:1330; a model without a
variable precursor pool cannot overshoot: Martínez-Reina, Calvo-Gallego & Pivonka 2022 Front Bioeng
Biotechnol). At the same time almost no surface is being remodeled, and osteocytes that died during
treatment leave flagged sites for targeted remodeling. When the drug washes out, activation (∝ RANK
occupancy × precursor pool × quiescent surface) jumps above its pre-treatment rate on a surface full of
old, highly mineralised bone, and each resorbed voxel then removes more mineral than before treatment:
CTX overshoots and BMD falls. We model the precursor-gate hypothesis; osteomorph recycling (osteoclasts
fissioning into precursors that refuse) enters only in that dying osteoclast nuclei are not returned to
the pool.
"""

from __future__ import annotations

import math

from engine.kernels.pk import rk4_tmdd
from engine.parameters import Parameter, ParameterTable, values, with_overrides
from engine.pharmacology.registry import DrugModule, Readout, register
from engine.units import HOURS_PER_DAY


DENOSUMAB_PK = ParameterTable(
    Parameter("bioavailability", "F", "1", 0.61,
              "Gibiansky 2012 Clin Pharmacokinet 51:247 (targets.md §1 'PopPK F, absorption t½ (cancer)')",
              "EU SmPC 62 %; Sutjandra 2011 ≈ 64 %; OpenBoneMin codes 0.729 (Peterson 2004)"),
    Parameter("absorption_half_life_days", "ln2/ka", "day", 2.7,
              "Gibiansky 2012 (targets.md §1)", "OpenBoneMin ka = 0.00592 /h (t½ 4.9 d, Peterson 2004)"),
    Parameter("central_volume_L", "Vc", "L", 2.62,
              "Gibiansky 2012, per 66 kg (targets.md §1 'PopPK Vc, linear CL (cancer)')",
              "OpenBoneMin 2.34 L (Peterson 2004)"),
    Parameter("linear_clearance_L_per_day", "CL", "L/day", 3.25e-3 * HOURS_PER_DAY,
              "Gibiansky 2012: 3.25 mL/h per 66 kg (targets.md §1)", "OpenBoneMin 2.75 mL/h (Peterson 2004)"),
    Parameter("peripheral_volume_L", "Vp", "L", 1.324,
              "Peterson 2004 AAPS J 6(S1) W4340, as OpenBoneMin DENVP = 1324 mL (dependencies.md §A)", ""),
    Parameter("intercompartmental_clearance_L_per_day", "Q", "L/day", 18.67e-3 * HOURS_PER_DAY,
              "Peterson 2004, as OpenBoneMin DENQ = 18.67 mL/h (dependencies.md §A)", ""),
    Parameter("target_mediated_vmax_mg_per_day", "Vmax", "mg/day", 3110e-6 * HOURS_PER_DAY,
              "Peterson 2004, as OpenBoneMin DENVMAX = 3110 (dependencies.md §A)",
              "unit not stated in the code; ng/h is the reading consistent with Km in ng/mL and amounts in ng, "
              "and the only one that reproduces the label's half-life and AUC"),
    Parameter("target_mediated_km_ng_per_ml", "Km", "ng/mL", 188.0,
              "Peterson 2004, as OpenBoneMin DENKM = 188 (dependencies.md §A)", ""),
    Parameter("molecular_weight_g_per_mol", "MW", "g/mol", 147_000.0,
              "Prolia USPI §11: ≈147 kDa (targets.md §1 'Molecular weight')",
              "OpenBoneMin converts with 150 kDa"),
    Parameter("rankl_kd_nM", "K_D", "nmol/L", 0.003,
              "Kostenuik 2009 J Bone Miner Res 24:182: K_D ≈ 3 pM for human RANKL (targets.md §1 "
              "'Dmab–RANKL affinity', from-memory)", "binds RANKL in the marrow (engine.kernels.binding)"),
    Parameter("marrow_to_serum_ratio", "-", "1", 0.16,
              ("Calibrated on one given target only: the end-of-interval serum CTX, −72 % at the month-6 pre-dose "
               "trough (targets.md §2 'FREEDOM CTX'; label range −45..−80 %, §2 'CTX at end of dosing interval'), "
               "FREEDOM base patient (72 y), whole-skeleton layer, with out_of_reach_fraction 0.13: 0.16 gives "
               "−72 % (0.15: −70.7 %, 0.17: −72.6 %; it was 0.10 before the out-of-reach share, which calibrates "
               "the months between doses). Independent estimates bracket it: the antibody biodistribution coefficient of bone, ~7 % of "
               "plasma (Shah & Betts 2013 mAbs 5:297), and the accessibility factor of continuum models, 0.012 "
               "(Martínez-Reina & Pivonka 2019, calibrated) (targets.md §9 'Drug access to RANKL in bone')"),
              ("the share of serum free denosumab that reaches RANKL at the bone surface (marrow interstitium, "
               "bone-lining canopy); 1 (free access) kept free RANKL at 0.2 % of untreated to the last weeks of each "
               "interval and CTX at the assay floor at every trough")),
    Parameter("out_of_reach_fraction", "-", "1", 0.13,
              ("Calibrated on one given fact: serum CTX is below the assay's limit (0.049 ng/mL) in 39-68 % of "
               "patients at months 1-3 (targets.md §2 'Serum CTX nadir', §9 'Assay floor', confirmed). Over "
               "baselines spread as in healthy women of the trials' age (0.387 +/- 0.197 ng/mL, lognormal; §10 "
               "'Serum beta-CTX') that fraction means the whole skeleton's resorption is ~84-89 % lower at months "
               "1-3 (53.5 %, the range's middle: 86.4 %); the FREEDOM base patient's is 86.6 % with 0.13 (0.10: "
               "89.7 %, 0.20: 79.6 %), and FREEDOM's month-1 median, -86 % (§2 'FREEDOM CTX'), agrees. Without it "
               "(0), resorption fell 99.9 % between doses: CTX at the floor in every patient. Consistent with the "
               "FREEDOM biopsies: eroded surface -80 % and double labels in 19 % of denosumab vs 94 % of placebo "
               "biopsies (§8a, Reid 2010)"),
              ("the share of the skeleton's remodeling sites the antibody does not reach: there RANKL signals as "
               "untreated (layer: a part of every compartment; agents: a whole volume, geometry.drug_reach). "
               "Where such sites are is "
               "not known (candidates: remodeling compartments under a canopy, Hauge 2001 JBMR 16:1575; poorly "
               "perfused marrow); the share is what the markers require"), minimum_inclusive=True, maximum=1.0),
)


REFERENCE_BODY_WEIGHT_KG = 66.0
"""Body weight the table's clearances and volumes are given for (Gibiansky 2012's typical patient)."""
CLEARANCE_WEIGHT_EXPONENT = 0.75
VOLUME_WEIGHT_EXPONENT = 1.0
"""Allometric exponents (standard allometry for monoclonal antibodies without fitted exponents: Anderson &
Holford 2008 Annu Rev Pharmacol Toxicol 48:303; both denosumab popPK papers found weight a covariate of CL
and V, Sutjandra 2011, Gibiansky 2012). Used for populations lighter or heavier than the reference, e.g.
Japanese postmenopausal women (~50-55 kg in the DIRECT trial, Nakamura 2014 J Clin Endocrinol Metab 99:2599;
from-memory)."""


def weight_scaled(parameters: dict[str, float], body_weight_kg: float | None) -> dict[str, float]:
    """Clearances and volumes of the table (or of `parameters`, which win) scaled to a body weight."""
    if body_weight_kg is None:
        return dict(parameters)
    p = values(DENOSUMAB_PK)
    p.update(parameters)
    ratio = body_weight_kg / REFERENCE_BODY_WEIGHT_KG
    scaled = dict(parameters)
    for name in ("linear_clearance_L_per_day", "intercompartmental_clearance_L_per_day"):
        scaled[name] = p[name] * ratio**CLEARANCE_WEIGHT_EXPONENT
    for name in ("central_volume_L", "peripheral_volume_L"):
        scaled[name] = p[name] * ratio**VOLUME_WEIGHT_EXPONENT
    return scaled


class DenosumabPK:
    """Amounts (mg) in the SC depot, central and peripheral compartments, integrated in time.

    `dose()` adds an administration; `advance(days)` integrates with classical Runge–Kutta in steps of at
    most `max_step_days` (1 h by default: every rate constant is < 1/day, so the error is far below
    assay precision, and a fixed grid keeps runs reproducible to the bit).
    """

    def __init__(self, parameters: dict[str, float] | None = None, max_step_days: float = 1.0 / HOURS_PER_DAY):
        p = with_overrides(DENOSUMAB_PK, parameters, "denosumab PK")
        self.p = p
        self.ka_per_day = math.log(2.0) / p["absorption_half_life_days"]
        self.max_step_days = max_step_days
        self.depot_mg = 0.0
        self.central_mg = 0.0
        self.peripheral_mg = 0.0

    # --- state ----------------------------------------------------------------------------------
    def state(self) -> dict[str, float]:
        return {"depot_mg": self.depot_mg, "central_mg": self.central_mg, "peripheral_mg": self.peripheral_mg}

    @property
    def serum_ng_per_ml(self) -> float:
        """Serum (central) concentration; mg/L = µg/mL, so ×1000 gives ng/mL."""
        return self.central_mg / self.p["central_volume_L"] * 1000.0

    @property
    def serum_nM(self) -> float:
        return self.serum_ng_per_ml / self.p["molecular_weight_g_per_mol"] * 1e3

    @property
    def marrow_nM(self) -> float:
        """Free denosumab in the bone marrow interstitium (see the module docstring)."""
        return self.serum_nM * self.p["marrow_to_serum_ratio"]

    # --- dynamics -------------------------------------------------------------------------------
    def dose(self, dose_mg: float, route: str = "subcutaneous") -> None:
        if route == "subcutaneous":
            self.depot_mg += self.p["bioavailability"] * dose_mg
        elif route == "intravenous":
            self.central_mg += dose_mg
        else:
            raise ValueError(f"denosumab route {route!r} is not modelled (subcutaneous or intravenous)")

    def derivatives(self, depot: float, central: float, peripheral: float) -> tuple[float, float, float]:
        """d/dt of the three amounts (mg/day)."""
        p = self.p
        c_ng_per_ml = central / p["central_volume_L"] * 1000.0
        absorption = self.ka_per_day * depot
        linear = p["linear_clearance_L_per_day"] / p["central_volume_L"] * central
        saturable = p["target_mediated_vmax_mg_per_day"] * c_ng_per_ml / (p["target_mediated_km_ng_per_ml"]
                                                                          + c_ng_per_ml)
        q = p["intercompartmental_clearance_L_per_day"]
        distribution = q / p["central_volume_L"] * central - q / p["peripheral_volume_L"] * peripheral
        return -absorption, absorption - linear - saturable - distribution, distribution

    def advance(self, days: float) -> None:
        """Integrate `days` forward (no dose inside the interval): `derivatives` with classical Runge–Kutta,
        in the compiled loop `engine.kernels.pk.rk4_tmdd`."""
        if days <= 0:
            return
        n = max(1, math.ceil(days / self.max_step_days - 1e-9))
        p = self.p
        self.depot_mg, self.central_mg, self.peripheral_mg = rk4_tmdd(
            self.depot_mg, self.central_mg, self.peripheral_mg, self.ka_per_day, p["linear_clearance_L_per_day"],
            p["central_volume_L"], p["intercompartmental_clearance_L_per_day"], p["peripheral_volume_L"],
            p["target_mediated_vmax_mg_per_day"], p["target_mediated_km_ng_per_ml"], days / n, n)


def _pk(overrides: dict[str, float], body_weight_kg: float | None) -> DenosumabPK:
    return DenosumabPK(weight_scaled(overrides, body_weight_kg))


def _marrow_nM(model) -> float:
    """Free denosumab in the volume's marrow: 0 in a volume out of the antibody's reach (geometry.drug_reach)."""
    pk = model.exposure.pk("denosumab")
    return pk.marrow_nM if pk is not None and not getattr(model, "volume_out_of_reach", False) else 0.0


register(DrugModule(
    name="denosumab",
    description="anti-RANKL antibody (Prolia): target-mediated PK; free drug binds RANKL in the marrow",
    routes=("subcutaneous",),
    dose_mg_range=(0.1, 500.0),
    usual_dose="60 mg SC every 6 months (Prolia); phase 2 used 6-210 mg (McClung 2006)",
    parameters=DENOSUMAB_PK,
    make_pk=_pk,
    rankl_kd_nM=DENOSUMAB_PK.rankl_kd_nM.value,
    kd_parameter="rankl_kd_nM",
    readouts={
        "serum_denosumab_ng_per_ml": Readout("ng/mL", "serum (central-compartment) denosumab concentration",
                                             lambda model: model.exposure.serum_denosumab_ng_per_ml),
        "marrow_denosumab_nM": Readout("nmol/L", "free denosumab reaching the bone marrow (serum x "
                                       "marrow_to_serum_ratio)", _marrow_nM),
        "biopsy_out_of_drug_reach": Readout("1", "1 if the agent volume is one of the sites the antibody does not "
                                            "reach (geometry.drug_reach; out_of_reach_fraction), else 0",
                                            lambda model: float(getattr(model, "volume_out_of_reach", False))),
        "rankl_denosumab_nM": Readout("nmol/L", "RANKL:denosumab complex, marrow-volume mean",
                                      lambda model: model.signalling.marrow_mean("rankl_drug_nM")),
    },
    view_presets={
        "denosumab 60 mg SC every 6 months": (
            {"drug": "denosumab", "dose_mg": 60, "route": "subcutaneous", "start_day": 0, "interval_days": 182.5,
             "number_of_doses": 20},),
        "denosumab 60 mg SC, 2 doses then stopped": (
            {"drug": "denosumab", "dose_mg": 60, "route": "subcutaneous", "start_day": 0, "interval_days": 182.5,
             "number_of_doses": 2},),
    },
))

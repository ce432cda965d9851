"""Biology parameters: every default carries its unit in its name and its source in `source`.

A scenario's `biology:` section overrides any of these by name. The table in
`scenarios/README.md` is generated from this class (`python -m engine.scenario.docs`),
and a test checks that it is up to date, so the documentation cannot drift from the code.

Conventions: concentrations in nM (1 nM = 1000 pM), times in days, lengths in µm.
Paper symbols are given where the value comes from a model paper (Lemaire 2004,
Pivonka 2008), so the reader can check the number against its table.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field



def _param(default: float, *, unit: str, source: str, description: str, gt: float | None = 0.0,
           le: float | None = None, ge: float | None = None):
    """A biology parameter: default, unit and literature source in one place (positive unless gt/ge say else)."""
    return Field(default, gt=gt, ge=ge, le=le, description=description,
                 json_schema_extra={"unit": unit, "source": source})


class BiologyParameters(BaseModel):
    """Biological constants of the model (overridable per scenario)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    # --- osteocytes -------------------------------------------------------------------
    osteocyte_density_per_mm3_bone: float = _param(
        20000.0, unit="1/mm^3 (of bone tissue)",
        source="Buenzli & Sims 2015 Bone 75:144; targets.md §8b 'Osteocyte density' (15,000-30,000 lacunae/mm^3)",
        description="Osteocyte lacunae per mm^3 of bone tissue; with the living share of the seeded tissue ages it sets how many osteocytes are placed.")
    osteocyte_rankl_secretion_molecules_per_day: float = _param(
        708.0, unit="molecules/day per osteocyte",
        source=("Derived (steady-state balance): free sRANKL ~0.5 pM (targets.md §8b 'Serum OPG / RANKL', "
                "0.1-1 pM) = N_ocy * P / (k_RANKL * V_marrow) for the reference volume BV/TV 0.2 with "
                "20,000 lacunae/mm^3 bone, of which 0.862 hold a living osteocyte (lifespan 25 y in tissue of mean "
                "age 4 y: L/(L+A), engine.agents.osteocyte.living_osteocyte_share); 610 x 20,000 / 17,241; osteocytes as the main RANKL source: Nakashima 2011 Nat Med 17:1231, "
                "Xiong 2011 Nat Med 17:1235"),
        description="Soluble RANKL secreted by one osteocyte into the marrow at its nearest bone surface.")
    osteocyte_opg_secretion_molecules_per_day: float = _param(
        197.0, unit="molecules/day per osteocyte",
        source=("Derived (steady-state balance): OPG ~4 pM (targets.md §8b 'Serum OPG / RANKL', 2-6 pM) "
                "= N_ocy * P / (k_OPG * V_marrow) for the reference volume (BV/TV 0.2), living osteocytes as for RANKL"),
        description="OPG secreted by one osteocyte into the marrow at its nearest bone surface.")

    # --- physiology ------------------------------------------------------------------------
    estrogen_deficiency_rankl_fold: float = _param(
        2.0, unit="fold (dimensionless)",
        source=("Eghbali-Fatourechi 2003 J Clin Invest 111:1221: RANKL per marrow cell 2-3x higher in early "
                "postmenopausal than premenopausal or estrogen-treated women (low end taken)"),
        description="RANKL expression at full estrogen deficiency, relative to a premenopausal woman.")
    estradiol_fall_time_constant_years: float = _param(
        1.0, unit="year",
        source="Randolph 2011 J Clin Endocrinol Metab 96:746 (SWAN: estradiol falls over ~2 years around the final menstrual period)",
        description="Time constant with which estrogen deficiency develops after the final menstrual period.")

    male_bioavailable_estradiol_loss_per_year: float = _param(
        0.0078, unit="1/year (share of a young man's bioavailable estradiol)",
        source=("Khosla 1998 J Clin Endocrinol Metab 83:2266: bioavailable estradiol falls ~47 % from 25 to 85 y in "
                "men (0.47/60 y); estrogen is the sex steroid that restrains resorption in men, Falahati-Nini 2000 "
                "J Clin Invest 106:1553"),
        description="Yearly loss of a man's bioavailable estradiol after 25 y; the loss is his estrogen deficiency (0..1).")
    glucocorticoid_osteoblast_lifespan_fold: float = _param(
        0.75, unit="fold", le=1.0,
        source=("Weinstein 1998 J Clin Invest 102:274 (glucocorticoids induce osteoblast apoptosis); size: wall "
                "thickness ~25 % lower in glucocorticoid-treated patients, Dalle Carbonare 2001 J Bone Miner Res "
                "16:97 (from-memory)"),
        description="Osteoblast working lifespan on glucocorticoid therapy, relative to without.")
    glucocorticoid_osteocyte_lifespan_fold: float = _param(
        0.5, unit="fold", le=1.0,
        source=("Weinstein 1998 J Clin Invest 102:274; O'Brien 2004 Endocrinology 145:1835 (glucocorticoids "
                "induce osteocyte apoptosis); size from-memory"),
        description="Osteocyte lifespan on glucocorticoid therapy, relative to without.")
    glucocorticoid_early_rankl_fold: float = _param(
        1.3, unit="fold",
        source=("Direction: Hofbauer 1999 Endocrinology 140:4382 (glucocorticoids raise RANKL and suppress OPG in "
                "osteoblastic cells). Size: assumption, well below the in-vitro fold changes, because RANKL acts "
                "steeply on activation in this model (2x RANKL with 0.5x OPG removed ~10 % of BMD in a month)"),
        description="RANKL expression at the start of glucocorticoid therapy, relative to without (fades, see below).")
    glucocorticoid_early_opg_fold: float = _param(
        0.7, unit="fold", le=1.0,
        source=("Hofbauer 1999 Endocrinology 140:4382 (OPG suppressed); size: assumption (serum OPG falls by tens of "
                "percent on glucocorticoids, far less than the mRNA in vitro)"),
        description="OPG expression at the start of glucocorticoid therapy, relative to without (fades, see below).")
    glucocorticoid_early_phase_days: float = _param(
        180.0, unit="day",
        source=("van Staa 2002 Osteoporos Int 13:777 (fracture risk rises within 3-6 months of starting "
                "glucocorticoids; BMD loss fastest in the first months); assumption of its time constant"),
        description="Time constant with which the early resorptive effect of glucocorticoids fades.")

    # --- signalling fields ------------------------------------------------------------
    rankl_diffusivity_um2_per_s: float = _param(
        10.0, unit="µm^2/s",
        source=("Order of magnitude for 50-150 kDa proteins hindered in extracellular matrix/marrow "
                "(Stokes-Einstein ~40-60 µm^2/s in water, reduced several-fold in tissue); DESIGN.md"),
        description="Diffusivity of soluble RANKL (trimer, ~60 kDa) in marrow.")
    opg_diffusivity_um2_per_s: float = _param(
        10.0, unit="µm^2/s", source="As for RANKL (OPG dimer ~110 kDa); DESIGN.md",
        description="Diffusivity of OPG in marrow.")
    rankl_decay_per_day: float = _param(
        10.13, unit="1/day", source="Pivonka 2008 Bone 43:249, Table 2, D_RANKL (targets.md §8c 'Degradation rates')",
        description="First-order degradation (clearance) rate of free RANKL.")
    opg_decay_per_day: float = _param(
        0.35, unit="1/day", source="Pivonka 2008 Bone 43:249, Table 2, D_OPG (targets.md §8c 'Degradation rates')",
        description="First-order degradation (clearance) rate of OPG.")
    rankl_opg_kd_nM: float = _param(
        1.0, unit="nM",
        source="Pivonka 2008 Bone 43:249, K_A1 = 1e-3 1/pM -> K_D = 1000 pM (targets.md §8c 'RANKL-OPG association constant')",
        description="Dissociation constant of the RANKL:OPG complex (local equilibrium per voxel).")
    rankl_rank_kd_nM: float = _param(
        0.0293, unit="nM",
        source="Pivonka 2008 / Lemaire 2004, K_A2 = 3.41e-2 1/pM -> K_D = 29.3 pM (targets.md §8c 'RANKL-RANK association constant')",
        description="Dissociation constant of RANKL binding RANK on osteoclast precursors (sets RANK occupancy).")

    # --- osteoclast precursors -----------------------------------------------------------
    precursor_lifespan_days: float = _param(
        30.0, unit="day",
        source=("Assumption (order of weeks): marrow/circulating osteoclast precursors and 'osteomorphs' persist "
                "for weeks and accumulate when RANKL is blocked, McDonald 2021 Cell 184:1330; to be checked against "
                "the rebound after denosumab (targets.md §4) in the denosumab issue"),
        description="Mean lifetime of an osteoclast precursor that does not differentiate (pool turnover time).")
    precursor_differentiation_per_day: float = _param(
        0.033, unit="1/day at reference RANK occupancy",
        source=("Assumption: at reference RANKL signalling about half of the precursors differentiate before they "
                "die (rate ~ 1/precursor lifespan), so blocking RANKL about doubles the pool (McDonald 2021 Cell "
                "184:1330: osteomorphs accumulate under RANKL inhibition)"),
        description="Rate at which a precursor commits to osteoclast fusion, at the reference RANK occupancy.")
    osteoclast_commitment_days: float = _param(
        28.0, unit="day",
        source=("Assumption from two lags: human monocytes need ~2-3 weeks of RANKL to become resorbing osteoclasts "
                "in vitro (Susa 2004 J Transl Med 2:6), and a new BMU must first lift the lining cells and build "
                "its canopy (Hauge 2001 JBMR 16:1575; Parfitt 1994 J Cell Biochem 55:273). Consistent with "
                "CTX still >= 45 % suppressed at month 6 although serum denosumab is gone by ~month 5 "
                "(targets.md §1 'Concentration decline', §2 'CTX at end of dosing interval')"),
        description=("Mean time from a precursor's commitment (RANKL-driven differentiation) to a resorbing "
                     "osteoclast: Erlang-distributed over osteoclast_commitment_stages stages."))
    osteoclast_commitment_stages: int = Field(
        3, ge=1, le=20,
        description=("Stages of the commitment delay (1 = exponential; more = a sharper delay). Assumption: 3 "
                     "(differentiation, migration to the surface, fusion)."),
        json_schema_extra={"unit": "1", "source": "Assumption (shape of the lag; a transit-compartment chain as "
                                                  "in pharmacometric indirect-response models)"})
    precursors_per_mm3_marrow: float = _param(
        1000.0, unit="cells/mm^3 of marrow, at reference occupancy",
        source=("Order of magnitude: osteoclast-committed monocytic precursors are ~1 % of ~1e5 marrow "
                "mononuclear cells per mm^3; assumption (only the readout n_precursors depends on it)"),
        description="Osteoclast precursors per marrow volume at the reference RANK occupancy.")
    estrogen_deficiency_precursor_supply_fold: float = _param(
        1.5, unit="fold",
        source=("Estrogen loss expands osteoclast precursors: Jilka 1992 Science 257:88 (IL-6-driven osteoclastogenesis "
                "after ovariectomy); D'Amelio 2008 Bone 43:92 (more circulating osteoclast precursors in "
                "postmenopausal osteoporosis); fold from-memory"),
        description="Precursor supply at full estrogen deficiency, relative to premenopausal.")
    reference_rank_occupancy: float = _param(
        0.016, unit="1", le=1.0,
        source=("Derived: marrow-mean RANK occupancy of a premenopausal woman at the default signalling "
                "parameters (free RANKL ~0.5 pM, K_D 29.3 pM); rates marked 'at reference' are given here"),
        description="RANK occupancy at which activation, fusion and differentiation run at their reference rates.")

    # --- activation of BMUs -----------------------------------------------------------------
    activation_per_mm2_per_year: float = _param(
        7.5, unit="BMUs per mm^2 of quiescent surface per year, at reference occupancy",
        source=("Derived: premenopausal activation frequency ~0.2/y (targets.md §8b 'Activation frequency', "
                "Recker 2004 JBMR 19:1628) divided by the surface one BMU renews (~0.030 mm^2 of original surface in this model's premenopausal cavities; "
                "measured cavities are 0.081 +/- 0.022 mm^2 including their walls, Goff 2012 Bone 51:28) and by the "
                "quiescent share of the surface (~0.9)"),
        description="Origination rate of new BMUs per quiescent bone surface at reference RANK occupancy.")
    targeted_remodeling_fraction: float = _param(
        0.3, unit="1", le=1.0,
        source=("Parfitt 2002 Bone 30:5 ('Targeted and nontargeted bone remodeling'); Burr 2002 Bone 30:2 "
                "(about 30 % of remodeling repairs microdamage / follows osteocyte death)"),
        description="Share of activations sent to sites flagged by osteocyte death (when any are pending).")
    rebound_mechanism: Literal["precursor_gate", "activation_sites", "osteocyte_opg", "osteomorph_recycling"] = Field(
        "activation_sites",
        description=("What makes resorption overshoot when a RANKL blocker wears off (engine.agents.activation_sites, "
                     "engine.agents.osteocyte_opg, engine.agents.osteomorphs): "
                     "'precursor_gate' = osteoclast precursors not consumed under blockade (always present); "
                     "'activation_sites' = that plus primed activation sites that pile up unused under blockade; "
                     "'osteocyte_opg' = that plus osteocyte OPG falling while little new bone (young osteocytes) "
                     "is made; 'osteomorph_recycling' = that plus osteoclasts recycling by fission into osteomorphs, "
                     "which pile up under blockade and re-fuse without the precursors' commitment lag."),
        json_schema_extra={"unit": "-", "source": (
            "Default 'activation_sites': the mechanism shown to drive the rebound in vivo (El-Masri 2024 Bone Res "
            "12:62: RANKL-expressing activation sites accumulate during OPG:Fc; targets.md §9); the precursor "
            "pool alone gives a spike of weeks, not the months-long overshoot of targets.md §4 "
            "(benchmarks/bench_rebound.py compares them). 'osteocyte_opg' (Fu 2023 JCI Insight 8:e167790, "
            "§9) is offered to test: at the marrow OPG of §8b OPG binds under 1 % of RANKL, so it changes the "
            "overshoot by < 1 % point; only where OPG binds half the RANKL (a what-if in bench_rebound.py) does it "
            "add ~28 points, and it then also weakens suppression on treatment. 'osteomorph_recycling' "
            "(McDonald 2021 Cell 184:1330, §9) amplifies every rise of osteoclasts once RANKL returns (half "
            "the fusing cells recycled: a loop gain of 0.5) and overshoots the label's 40-60 % (bench_rebound.py); "
            "its share of fusion is an assumption")})
    activation_site_wait_days: float = _param(
        940.0, unit="day",
        source=("Assumption: a primed site is found by a BMU no faster than any point of the quiescent surface, "
                "once per 1/Ac.f; Ac.f of established postmenopause ~3x premenopausal 0.13/y = 0.39/y "
                "(Recker 2004 JBMR 19:1628, targets.md §10 'Activation frequency after menopause', CBS) -> "
                "2.57 y = 940 d. Not fitted: the size and duration of the overshoot after stopping denosumab and "
                "the BMD loss that follows (targets.md §4) are predictions (benchmarks/bench_rebound.py)"),
        description=("Mean time a primed activation site waits for its BMU in the untreated patient "
                     "(rebound_mechanism 'activation_sites'): how long a backlog made under blockade lasts."))
    osteomorph_refusion_per_day: float = _param(
        1.0, unit="1/day",
        source=("McDonald 2021 Cell 184:1330 (intravital imaging: RANKL-stimulated osteoclasts split into "
                "osteomorphs that fuse with neighbouring osteoclasts within hours; targets.md §9 'Osteomorphs'); "
                "rate: assumption (about a day at the untreated RANK occupancy)"),
        description=("Rate at which an osteomorph fuses back into an osteoclast at the untreated RANK occupancy "
                     "(rebound_mechanism 'osteomorph_recycling', engine.agents.osteomorphs); scales with θ."))
    osteomorph_lifespan_days: float = _param(
        30.0, unit="day",
        source=("Not measured (McDonald 2021 show osteomorphs accumulating under OPG:Fc in mice, over weeks); "
                "assumption: as long as the monocyte-lineage precursors they resemble (precursor_lifespan_days). "
                "Not fitted. It hardly matters here: the pile made at the first dose drains by re-fusion at the "
                "residual RANK occupancy between doses (base patient stopped after 2 years: CTX peak 64.7 % at "
                "30 d, 64.8 % at 730 d)"),
        description="Mean lifetime of an osteomorph that does not re-fuse (rebound_mechanism 'osteomorph_recycling').")
    osteomorph_share_of_fusion: float = _param(
        0.5, unit="1", le=1.0,
        source=("McDonald 2021 Cell 184:1330 (osteoclasts recycle; the share of fusing cells that are recycled "
                "is not reported); assumption: half"),
        description=("Share of the committed cells that found BMUs and fuse into osteoclasts that are re-fusing "
                     "osteomorphs in the untreated steady state, the rest new precursors "
                     "(rebound_mechanism 'osteomorph_recycling')."))
    osteocyte_opg_expression_days: float = _param(
        365.0, unit="day",
        source=("Fu 2023 JCI Insight 8:e167790 (OPG is made by young osteocytes: more prevalent near the newest "
                "cortical surface; long-term, not short-term, denosumab lowered osteocyte OPG; targets.md §9 "
                "'Osteocyte OPG under RANKL blockade'); how long: assumption, not fitted (a year: longer than a "
                "BMU's formation period, so a few months of blockade change little, as 'short-term' did not)"),
        description=("Mean time a newly buried osteocyte keeps making OPG (rebound_mechanism 'osteocyte_opg', "
                     "engine.agents.osteocyte_opg): how fast the osteocytes' OPG follows formation."))
    osteocyte_lifespan_years: float = _param(
        25.0, unit="year",
        source="Frost 1960 Henry Ford Hosp Med Bull 8:208 (osteocyte half-life of decades); from-memory",
        description="Mean lifetime of an osteocyte; its death flags the bone surface above it for targeted remodeling.")

    # --- osteoclasts -------------------------------------------------------------------
    osteoclasts_per_new_bmu: float = _param(
        3.0, unit="cells",
        source=("Trabecular BMUs carry a few osteoclasts at a time (Parfitt 1994 J Cell Biochem 55:273; "
                "cortical cutting cones ~10, targets.md §8b 'Cortical BMU'); from-memory"),
        description="Osteoclasts that found a new BMU side by side across its front.")
    osteoclast_founding_nuclei: float = _param(
        3.0, unit="nuclei", source="Assumption: the smallest common osteoclast (a few fused precursors)",
        description="Nuclei of a newly formed osteoclast.")
    osteoclast_fusion_per_day: float = _param(
        0.40, unit="nuclei/day per osteoclast at marrow-mean occupancy",
        source=("Calibrated (engine/skeleton/README.md table): osteoclasts read the RANKL of the marrow around them, "
                "2.22x the marrow mean on the default bone (engine.signalling, item 4), so 0.40 x 2.22 = 0.89 nuclei/day "
                "keeps the fusion the BMUs were calibrated with (0.7 x 1.27 when they read their own field cell), "
                "~9 nuclei with a 10-day nucleus life, typical of human osteoclasts (2-10+; Jaworski 1981 J Anat "
                "133:397; precursors keep fusing in: McDonald 2021 Cell 184:1330)"),
        description="Precursors fusing into an active osteoclast per day where RANK occupancy is the marrow mean.")
    osteoclast_nucleus_lifespan_days: float = _param(
        10.0, unit="day",
        source="targets.md §8b 'Osteoclast nucleus lifespan' (~1-2 weeks; Jaworski 1981 J Anat 133:397)",
        description="Mean lifetime of one osteoclast nucleus (nuclei die individually).")
    osteoclast_lifespan_days: float = _param(
        14.0, unit="day",
        source="targets.md §8b 'Osteoclast lifespan' (~2 weeks; Manolagas 2000 Endocr Rev 21:115)",
        description="Mean lifetime of an osteoclast (apoptosis of the whole cell) in a premenopausal woman.")
    osteoclast_rankl_withdrawal_apoptosis_per_day: float = _param(
        1.0, unit="1/day at zero RANK occupancy", ge=0.0,
        source=("RANKL is a survival factor of mature osteoclasts: deprived of it they die within about a day, "
                "and RANKL blockade in vivo removes osteoclasts within days (Lacey 2000 Am J Pathol 157:435; "
                "Fuller 1998 J Exp Med 188:997); serum CTX falls ~85 % by day 3 after denosumab "
                "(targets.md §2 'Serum CTX fall'); rate from-memory"),
        description=("Extra apoptosis hazard of an osteoclast when RANKL is withdrawn, rising linearly as the marrow "
                     "RANK occupancy falls below osteoclast_survival_occupancy_fraction of the reference."))
    osteoclast_survival_occupancy_fraction: float = _param(
        0.25, unit="1", le=1.0,
        source=("Assumption: survival needs far less RANKL signal than differentiation, so physiological "
                "variation (premenopausal occupancy ~0.6 of the postmenopausal one) does not touch it; only "
                "drug-level blockade does"),
        description="Share of the reference RANK occupancy below which osteoclasts lose RANKL's survival signal.")
    osteoclast_resorption_um3_per_day_per_nucleus: float = _param(
        3000.0, unit="µm^3/day per nucleus",
        source=("Range derived from the cortical cutting cone (targets.md §8b 'Cortical BMU'): a ~200 µm wide cone "
                "advancing 20-40 µm/d removes 0.6-1.3e6 µm^3/d with ~10 osteoclasts of ~10-20 nuclei -> "
                "3,000-13,000 µm^3/d per nucleus (Parfitt 1994 J Cell Biochem 55:273). Value calibrated (its low "
                "end): the virtual trials' base patient (FREEDOM-like, 72 y) renews her vertebral trabecular bone "
                "at 25 %/y in the whole-skeleton layer (targets.md §10 'Turnover by compartment'), with the layer's "
                "geometry factors measured on 1 mm³ volumes (engine/skeleton/README.md). Was 4000 (uncalibrated low "
                "end), which gave the same turnover only through factors biased by 600 µm cubes' faces"),
        description="Bone volume one osteoclast nucleus resorbs per day.")
    osteoclast_radius_um: float = _param(
        40.0, unit="µm",
        source="Human osteoclasts are ~50-100 µm across (Parfitt 1994; Everts 2022 J Bone Miner Res); from-memory",
        description="Reach of one osteoclast's resorbing zone around the surface point it sits on.")
    bmu_advance_um_per_day: float = _param(
        10.0, unit="µm/day",
        source=("Trabecular BMUs travel ~10 µm/d across the surface (Parfitt 1994 J Cell Biochem 55:273); "
                "cortical cutting cones 20-40 µm/d (targets.md §8b 'Cortical BMU'); from-memory"),
        description="Speed at which an osteoclast moves along the bone surface (the BMU front).")
    estrogen_deficiency_osteoclast_lifespan_fold: float = _param(
        1.5, unit="fold",
        source=("Hughes 1996 Nat Med 2:1132 (estrogen promotes osteoclast apoptosis via TGF-beta); "
                "Nakamura 2007 Cell 130:811 (estrogen receptor-alpha shortens osteoclast life); fold from-memory"),
        description="Osteoclast lifespan at full estrogen deficiency, relative to premenopausal.")

    osteoclast_turning_per_day: float = _param(
        0.2, unit="1 (random heading change per day, relative to the unit heading)", gt=None, ge=0.0,
        source="Assumption: BMUs meander (curved trenches on trabecular surfaces, Goff 2012 Bone 51:28) but keep a direction",
        description="Standard deviation of the random turn an osteoclast's heading takes each day (0 = straight).")

    # --- reversal and osteoblasts -----------------------------------------------------------
    reversal_days: float = _param(
        10.0, unit="day",
        source="targets.md §8b 'Trabecular remodeling phases' (reversal ~10 d; Eriksen 1986 JBMR 1:73)",
        description="Mean delay between the last osteoclast leaving a cavity and osteoblasts starting to form.")
    reversal_shape: float = _param(
        4.0, unit="1",
        source="Assumption: reversal delays are gamma distributed with coefficient of variation 1/sqrt(4) = 0.5",
        description="Gamma shape of reversal delays (larger = more uniform reversal phases).")
    osteoblast_matrix_um3_per_day: float = _param(
        120.0, unit="µm^3/day per osteoblast",
        source=("Derived: a cuboidal osteoblast covers ~150-250 µm^2 of seam and the seam advances ~0.5-1 µm/d "
                "early in formation (Parfitt 1983, Bone Histomorphometry; targets.md §8b 'Mineral apposition rate')"),
        description="Bone matrix (osteoid) laid down per active osteoblast per day.")
    osteoblast_working_lifespan_days: float = _param(
        75.0, unit="day",
        source=("targets.md §8b 'Osteoclast lifespan' row: osteoblast ~3 months (Manolagas 2000 Endocr Rev 21:115); "
                "active (matrix-making) part taken as 75 d"),
        description="Mean time an osteoblast makes matrix before its fate (apoptosis, osteocyte, lining cell).")
    osteoblast_lifespan_shape: float = _param(
        8.0, unit="1",
        source="Assumption: working lifetimes are gamma distributed with coefficient of variation 1/sqrt(8) = 0.35",
        description="Gamma shape of osteoblast working lifetimes (larger = more synchronous end of formation).")
    osteoblasts_per_1e6_um3_resorbed: float = _param(
        108.0, unit="osteoblasts per 10^6 µm^3 resorbed",
        source=("Coupling by matrix-derived factors released in resorption (TGF-beta1: Tang 2009 Nat Med 15:757). "
                "Derived: young adults keep bone mass, so in a premenopausal woman's cancellous bone remodeling-"
                "based plus modeling-based formation equals resorption; with cancellous MBF ~3 % of remodeling "
                "formation (modeling_formation_lining_activation_per_day) a BMU refills 1/1.03 of its cavity: "
                "coupling x matrix rate x working lifespan = 1/1.03 -> 1e6 / (1.03 x 120 x 75) = 108 (was 101 "
                "with MBF a tenth)"),
        description="Osteoblasts recruited to a cavity per volume of bone its osteoclasts resorbed.")
    estrogen_deficiency_osteoblast_lifespan_fold: float = _param(
        0.96, unit="fold",
        source=("Direction: Kousteni 2001 Cell 104:719, Manolagas 2000 Endocr Rev 21:115 (estrogen is anti-apoptotic "
                "for osteoblasts). Size calibrated (no direct measurement): a BMU deficit of ~4 % of its depth gives "
                "the ~1 %/y loss of established postmenopause (targets.md §7 'Placebo arms', McClung 2006)"),
        description="Osteoblast working lifespan at full estrogen deficiency, relative to premenopausal.")
    osteoblast_to_osteocyte_fraction: float = _param(
        0.18, unit="1", le=1.0,
        source=("Derived: new bone holds the lacunar density, 20,000/mm^3 x (120 µm^3/d x 75 d per osteoblast) = 0.18; "
                "within the 10-20 % of osteoblasts buried as osteocytes (Manolagas 2000 Endocr Rev 21:115; Parfitt "
                "1990). With 0.15 new bone had 17 % fewer osteocytes than the bone it replaced, and RANKL fell for years"),
        description="Share of osteoblasts that become osteocytes at the end of their working life.")
    osteoblast_to_lining_fraction: float = _param(
        0.2, unit="1", le=1.0,
        source="Manolagas 2000 Endocr Rev 21:115 (of the rest, most die by apoptosis: ~65 %, Jilka 1998 JBMR 13:793)",
        description="Share of osteoblasts that become bone-lining cells; the rest die by apoptosis.")
    modeling_formation_lining_activation_per_day: float = _param(
        9.0e-5, unit="1/day per lining cell", gt=None, ge=0.0,
        source=("Sized so that untreated modeling-based formation in cancellous bone is ~3 % of remodeling-based "
                "formation: it needs no RANKL, so it persists under denosumab (§9: AVA, Ominsky 2015), and iliac "
                "biopsies on denosumab show BFR −97 % vs placebo (targets.md §8a 'BFR', Reid 2010 JBMR 25:2256), "
                "so it is at most a few % of untreated formation (AVA: cancellous MBF/BS only 2.5x baseline at "
                "3 months while remodeling formation fell, Dempster 2018 JBMR 33:298); young adults' BMUs then "
                "refill 0.97 of their cavities (near balance). 0.03 x 25 %/y trabecular turnover (§10) x BV/BS "
                "79 µm / (365 d x 9,000 µm^3 per unit / 500 µm^2 per lining cell) = 9e-5. Was 3e-4 (a tenth, an "
                "assumption): it made denosumab's and alendronate's gains keep rising too fast in years 2-3. "
                "Cortical envelopes keep a tenth (engine/skeleton/compartments.py cortical_modeling_formation_fold)"),
        description=("Rate at which a lining cell on quiescent surface starts a modeling unit (formation without "
                     "prior resorption) in an untreated patient; teriparatide adds its own rate."))
    osteoblast_footprint_um2: float = _param(
        200.0, unit="µm^2 per cell",
        source=("A cuboidal osteoblast covers ~150-250 µm^2 of seam (Parfitt 1983, Bone Histomorphometry; the "
                "source of osteoblast_matrix_um3_per_day): with 120 µm^3/d it advances the seam 0.6 µm/d, the "
                "trabecular mineral apposition rate (targets.md §8b 'Mineral apposition rate')"),
        description=("Surface one osteoblast of a modeling unit forms on (a reactivated lining cell rounds up to "
                     "a cuboidal osteoblast): the unit's osteoid surface and the depth it lays per day."))
    lining_cell_area_um2: float = _param(
        500.0, unit="µm^2 per cell",
        source="Assumption: flat lining cells spread over several times the area of a cuboidal osteoblast (~200 µm^2)",
        description="Quiescent bone surface covered by one lining cell (sets the initial lining-cell count).")

    # --- mineralization -----------------------------------------------------------------------
    mineralization_lag_days: float = _param(
        17.0, unit="day",
        source="targets.md §8b 'Mineralization lag / osteoid' (15-20 d; Parfitt 1983)",
        description="Mean time osteoid waits before it starts to mineralize.")
    primary_mineral_fraction_of_final: float = _param(
        0.6, unit="1", le=1.0,
        source="targets.md §8b 'Primary vs secondary mineralization' (50-70 % of final within days-weeks; Boivin & Meunier 2002)",
        description="Share of the final mineral reached in the fast (primary) phase.")
    primary_mineralization_time_constant_days: float = _param(
        5.0, unit="day",
        source="targets.md §8b 'Primary vs secondary mineralization' ('within days to weeks'); Boivin & Meunier 2002",
        description="Time constant of primary mineralization, once the lag is over.")
    secondary_mineralization_time_constant_years: float = _param(
        3.0, unit="year",
        source="targets.md §8b 'Primary vs secondary mineralization' (rest over months to years, ~exponential); Boivin & Meunier 2002",
        description="Time constant of secondary mineralization toward full mineralization.")

    # --- mineral ----------------------------------------------------------------------
    existing_bone_mean_tissue_age_years: float = _param(
        4.0, unit="year",
        source=("1 / trabecular turnover ~25 %/y (targets.md §8b 'Turnover'; Manolagas 2000, Parfitt); with the "
                "mineralization kinetics below this gives a mean mineral content ~0.83 of fully mineralized bone, "
                "close to the iliac mean (Boivin & Meunier 2002 Calcif Tissue Int 70:503: ~1.05 of ~1.2 g/cm^3)"),
        description=("Mean age of the bone present at the start, before the spin-up. Each voxel gets an age drawn "
                     "from an exponential distribution (steady turnover) and the mineral that age implies; at the end "
                     "of the spin-up the age mix is redrawn from the turnover the patient showed (1/turnover)."))


def numeric_parameters() -> tuple[str, ...]:
    """Names of the numeric parameters (what sweeps, trial variability and the HDF5 value table take); the
    others are choices between mechanisms (`rebound_mechanism`)."""
    return tuple(name for name, field in BiologyParameters.model_fields.items() if field.annotation in (float, int))


def parameter_table() -> list[dict[str, str]]:
    """Rows (name, default, unit, source, description) for documentation and `bmu inspect`."""
    rows = []
    for name, field in BiologyParameters.model_fields.items():
        extra = field.json_schema_extra or {}
        rows.append({"name": name, "default": repr(field.default), "unit": str(extra.get("unit", "")),
                     "source": str(extra.get("source", "")), "description": field.description or ""})
    return rows

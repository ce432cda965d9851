"""Biology parameters: every default carries its unit in its name and its source in `source`.

A scenario's `biology:` section overrides any of these by name. The table in
`scenarios/README.md` is generated from this class (`python -m engine.scenario.docs`),
and a test checks that it is up to date, so the documentation cannot drift from the code.

Conventions: concentrations in nM (1 nM = 1000 pM), times in days, lengths in µm.
Paper symbols are given where the value comes from a model paper (Lemaire 2004,
Pivonka 2008), so the reader can check the number against its table.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

AVOGADRO_PER_MOL = 6.02214076e23


def _param(default: float, *, unit: str, source: str, description: str, gt: float | None = 0.0,
           le: float | None = None):
    """A biology parameter: default, unit and literature source in one place."""
    return Field(default, gt=gt, le=le, description=description,
                 json_schema_extra={"unit": unit, "source": source})


class BiologyParameters(BaseModel):
    """Biological constants of the model (overridable per scenario)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    # --- osteocytes -------------------------------------------------------------------
    osteocyte_density_per_mm3_bone: float = _param(
        20000.0, unit="1/mm^3 (of bone tissue)",
        source="Buenzli & Sims 2015 Bone 75:144; targets.md §8b 'Osteocyte density' (15,000-30,000 lacunae/mm^3)",
        description="Osteocyte lacunae per mm^3 of bone tissue; sets how many osteocyte agents are placed.")
    osteocyte_rankl_secretion_molecules_per_day: float = _param(
        610.0, unit="molecules/day per osteocyte",
        source=("Derived (steady-state balance): free sRANKL ~0.5 pM (targets.md §8b 'Serum OPG / RANKL', "
                "0.1-1 pM) = N_ocy * P / (k_RANKL * V_marrow) for the reference volume BV/TV 0.2 with "
                "20,000 osteocytes/mm^3 bone; osteocytes as the main RANKL source: Nakashima 2011 Nat Med 17:1231, "
                "Xiong 2011 Nat Med 17:1235"),
        description="Soluble RANKL secreted by one osteocyte into the marrow at its nearest bone surface.")
    osteocyte_opg_secretion_molecules_per_day: float = _param(
        170.0, unit="molecules/day per osteocyte",
        source=("Derived (steady-state balance): OPG ~4 pM (targets.md §8b 'Serum OPG / RANKL', 2-6 pM) "
                "= N_ocy * P / (k_OPG * V_marrow) for the reference volume (BV/TV 0.2)"),
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

    # --- mineral ----------------------------------------------------------------------
    existing_bone_mineral_fraction: float = _param(
        0.85, unit="fraction of fully mineralized bone", le=1.0,
        source=("Boivin & Meunier 2002 Calcif Tissue Int 70:503 (iliac mean degree of mineralization "
                "~1.05 g/cm^3 vs ~1.2 g/cm^3 at full secondary mineralization); from-memory"),
        description="Mineral content of the bone present at day 0, relative to fully mineralized bone.")


def parameter_table() -> list[dict[str, str]]:
    """Rows (name, default, unit, source, description) for documentation and `bmu inspect`."""
    rows = []
    for name, field in BiologyParameters.model_fields.items():
        extra = field.json_schema_extra or {}
        rows.append({"name": name, "default": repr(field.default), "unit": str(extra.get("unit", "")),
                     "source": str(extra.get("source", "")), "description": field.description or ""})
    return rows

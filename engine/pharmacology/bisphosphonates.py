"""Bisphosphonates (alendronate, zoledronate): from the dose to drug bound in bone, and from bone to the
osteoclast that resorbs it.

Pharmacokinetics. A nitrogen-containing bisphosphonate leaves plasma within hours (alendronate plasma
t½ ~1-2 h, Lin 1996 Bone 18:75; zoledronate's early half-lives 0.2 h and 1.4 h, Chen 2002 J Clin
Pharmacol 42:1228): what is not taken up by bone is excreted unchanged in urine, and nothing is
metabolised. On the model's one-day step the systemic dose therefore splits at once into a skeletal
share (`skeletal_uptake_fraction`) and urine. Oral alendronate reaches the circulation only at
`oral_bioavailability` (~0.6 % fasting). Intravenous zoledronate is all systemic.

Where it goes in bone. The skeletal share spreads over the skeleton's bone surface
(`SKELETAL_SURFACE_MM2`); the simulated volume receives its surface's share of it, and within the volume
the drug binds exposed mineral, several-fold more at remodeling sites than on quiescent surface
(`engine.kernels.adsorption`). Bound drug sits in a per-voxel field (fmol per voxel, one field per drug);
new bone laid on top buries it, and only resorption sets it free again. So the drug stays for years
(alendronate's terminal t½ > 10 y, Khan 1997 JBMR 12:1700) and its effect outlasts the dosing.

Release and recycling. Resorbed bone releases its bound drug into the osteoclast's lacuna (kernel
`resorb_and_advance`). The osteoclast is exposed to the released concentration (amount over the volume it
resorbed, µM); what it releases returns to the circulation, where the same skeletal share binds bone again
(recycling) and the rest is excreted.

Action on the osteoclast. Internalised N-bisphosphonates inhibit farnesyl-diphosphate synthase; the
osteoclast loses its ruffled border and resorbs less, then dies by apoptosis within a day or two
(Hughes 1995 J Bone Miner Res 10:1478; Luckman 1998 J Bone Miner Res 13:581; Russell 2008 Osteoporos Int
19:733). The drugs act on the same enzyme, so their potency-scaled concentrations add: x = Σ_drugs C/EC50,
E = x/(1 + x). Where the osteoclast meets the drug decides what it does:
- At a BMU's founding: its first osteoclasts take up the drug adsorbed on the surface where it starts
  (concentration = the surface's drug over its outer 10 µm). With `max_founding_effect` × E the BMU never
  starts (its founding cells are disabled before they excavate); otherwise they survive it and the BMU
  proceeds. So bisphosphonates lower the activation frequency, to a plateau the dose does not move, and
  the BMUs that do start are of near-normal size, as biopsies show (alendronate: Ac.f −87 % at 5, 10 and
  20 mg daily, MS/BS −92 %, wall thickness up, erosion depth down; Chavassieux 1997 J Clin Invest
  100:1475). Before 2026-11-29 every BMU started and its osteoclasts died within days
  on the surface drug: many aborted 4 µm cavities (agents: erosion depth −85 %, Ac.f only −65 %).
- While resorbing: drug buried under bone formed on treatment (formation covers what cavity floors and
  osteoid surfaces took up) reaches the osteoclasts that dig into it; averaged over `exposure_memory_days`,
  resorption per nucleus × (1 − E) and an extra apoptosis hazard `max_apoptosis_per_day` × E. The agents
  keep the adsorbed and buried drug apart per voxel; the layer puts the buried drug in the bone formed while
  it was held, which a cavity meets in that bone's share of what it resorbs.
Nothing else in the model reads the drug: fewer BMUs, and shallower ones where they reach buried drug,
recruit fewer osteoblasts (coupling), and the markers and BMD follow.
"""

from __future__ import annotations

from engine.parameters import Parameter, ParameterTable, with_overrides
from engine.pharmacology.registry import DrugModule, Readout, register

SKELETAL_SURFACE_MM2 = 1.0e7
"""Bone surface of the adult skeleton, ~10 m² (trabecular ~7 m² plus intracortical, endocortical and
periosteal surfaces; Parfitt 1983 in Recker (ed.), Bone Histomorphometry: Techniques and Interpretation,
from-memory). The simulated volume takes its surface's share of a dose."""

BISPHOSPHONATE_ACTION = ParameterTable(
    Parameter("active_surface_uptake_fold", "-", "1", 5.0,
              "Masarachia 1996 Bone 19:281 (alendronate localises at resorption and formation sites, far less on "
              "quiescent surface); Sato 1991 J Clin Invest 88:2095", "fold from-memory (assumption of its size)"),
    Parameter("exposure_memory_days", "tau", "day", 2.0,
              "Hughes 1995 JBMR 10:1478; Luckman 1998 JBMR 13:581 (loss of prenylated GTPases and apoptosis "
              "within 1-2 days of uptake)", "assumption of the time scale"),
    Parameter("max_founding_effect", "Emax", "1", 0.93,
              ("Chavassieux 1997 J Clin Invest 100:1475 (iliac biopsies after 2 years of alendronate: activation "
               "frequency −87 % at 10 mg daily, and of the same magnitude at 5, 10 and 20 mg: a plateau, not a "
               "dose-response)"),
              "calibrated: the plateau of new BMUs a bisphosphonate keeps from starting, on that −87 % (the "
              "trials' base patient's vertebral trabecular activations in the layer, 10 mg daily, months 18-24, "
              "against her untreated self: 0.90 gave −83 %, 0.93 −87 %, 0.95 −90 %). Then 5 and 20 mg daily "
              "give −83 and −89 %: nearly the same, as reported"),
    Parameter("max_apoptosis_per_day", "-", "1/day", 1.0,
              "As the RANKL-withdrawal hazard (osteoclasts die within about a day once their survival machinery "
              "is disabled; Hughes 1995 JBMR 10:1478)", "assumption"),
)

ALENDRONATE_PK = ParameterTable(
    Parameter("oral_bioavailability", "F", "1", 0.0064,
              "Gertz 1995 Clin Pharmacol Ther 58:288 (0.64 % taken fasting, 2 h before breakfast); Fosamax label "
              "(0.64 % women)", ""),
    Parameter("skeletal_uptake_fraction", "fb", "1", 0.5,
              "Lin 1996 Bone 18:75; Fosamax label: ~50 % of a systemic dose is retained in bone, the rest is "
              "excreted in urine within 72 h", ""),
    Parameter("molecular_weight_g_per_mol", "MW", "g/mol", 249.1,
              "alendronic acid (doses are labelled as alendronic acid, Fosamax label)", ""),
    Parameter("osteoclast_ec50_uM", "EC50", "µmol/L", 20.0,
              ("Assumption within the in-vitro range: alendronate disrupts osteoclasts and their resorption at "
               "~1-100 µM (Sato 1991 J Clin Invest 88:2095, who estimated 0.1-1 mM in resorption lacunae under "
               "therapeutic dosing; Hughes 1995 JBMR 10:1478)"), "not fitted to any trial"),
)

ZOLEDRONATE_PK = ParameterTable(
    Parameter("oral_bioavailability", "F", "1", 0.01,
              "Not given orally (label: intravenous infusion); any oral use is refused by the scenario check", ""),
    Parameter("skeletal_uptake_fraction", "fb", "1", 0.6,
              "Chen 2002 J Clin Pharmacol 42:1228 (39 ± 16 % of an IV dose in urine within 24 h, the rest retained "
              "in bone); Reclast label", ""),
    Parameter("molecular_weight_g_per_mol", "MW", "g/mol", 272.1,
              "zoledronic acid, anhydrous (doses are labelled as anhydrous zoledronic acid, Reclast label)", ""),
    Parameter("osteoclast_ec50_uM", "EC50", "µmol/L", 2.0,
              ("alendronate's EC50 / 10: zoledronate is ~10x as potent an antiresorptive as alendronate in vivo "
               "(Green 1994 J Bone Miner Res 9:745; Russell 2008 Osteoporos Int 19:733)"),
              "its FPPS IC50 is ~60x lower (Kavanagh 2006 PNAS 103:7829); the in-vivo ratio is used"),
)

BISPHOSPHONATE_PK = {"alendronate": ALENDRONATE_PK, "zoledronate": ZOLEDRONATE_PK}
UMOL_TO_FMOL = 1e9


class BisphosphonatePK:
    """Dosing to skeletal uptake of one bisphosphonate (amounts for the whole skeleton, µmol)."""

    def __init__(self, drug: str, parameters: dict[str, float] | None = None):
        self.drug = drug
        self.p = with_overrides(BISPHOSPHONATE_PK[drug], parameters, drug)
        self.to_bone_umol = 0.0  # reaching the skeleton since the agent volume's last `take_skeletal_uptake`
        self.to_skeleton_umol = 0.0  # the same, for the whole-skeleton layer (each reader takes its own)
        self.given_mg = 0.0

    def state(self) -> dict[str, float]:
        return {"to_bone_umol": self.to_bone_umol, "given_mg": self.given_mg}

    def dose(self, dose_mg: float, route: str) -> None:
        if route == "oral":
            systemic_mg = self.p["oral_bioavailability"] * dose_mg
        elif route == "intravenous":
            systemic_mg = dose_mg
        else:
            raise ValueError(f"{self.drug} route {route!r} is not modelled (oral or intravenous)")
        self.given_mg += dose_mg
        uptake_umol = systemic_mg * self.p["skeletal_uptake_fraction"] / self.p["molecular_weight_g_per_mol"] * 1e3
        self.to_bone_umol += uptake_umol
        self.to_skeleton_umol += uptake_umol

    def take_skeletal_uptake(self) -> float:
        """µmol that reached the whole skeleton since the last call (and reset): the agent volume's reading."""
        amount, self.to_bone_umol = self.to_bone_umol, 0.0
        return amount

    def take_skeleton_uptake(self) -> float:
        """The same amount, read by the whole-skeleton layer (`engine.skeleton`)."""
        amount, self.to_skeleton_umol = self.to_skeleton_umol, 0.0
        return amount

    def recycled(self, released_amount: float) -> float:
        """Of drug released by resorption (any unit), the part that binds bone again (same unit)."""
        return released_amount * self.p["skeletal_uptake_fraction"]


def osteoclast_effect(exposure: float) -> float:
    """E = x / (1 + x) for the potency-scaled exposure x = Σ C/EC50 (0 = none, → 1 = full)."""
    return exposure / (1.0 + exposure) if exposure > 0 else 0.0


def _bound_uM(drug: str):
    def readout(model) -> float:
        return model.bone_drug.bound_drug_uM(drug)
    return readout


def _pk(drug: str):
    def make(overrides: dict[str, float], body_weight_kg: float | None) -> BisphosphonatePK:
        return BisphosphonatePK(drug, overrides)  # body weight: uptake is a share of the dose
    return make


register(DrugModule(
    name="alendronate",
    description="oral nitrogen-containing bisphosphonate: binds bone; keeps new BMUs from starting, poisons osteoclasts that reach buried drug",
    routes=("oral",),
    dose_mg_range=(1.0, 140.0),
    usual_dose="70 mg weekly or 10 mg daily, oral (Schnitzer 2000)",
    parameters=ALENDRONATE_PK,
    make_pk=_pk("alendronate"),
    bone_seeking=True,
    readouts={"bone_alendronate_uM": Readout("umol/L", "alendronate bound in the volume's bone, per litre of bone",
                                             _bound_uM("alendronate"))},
    view_presets={"alendronate 70 mg oral weekly": (
        {"drug": "alendronate", "dose_mg": 70, "route": "oral", "start_day": 0, "interval_days": 7,
         "number_of_doses": 520},)},
))
register(DrugModule(
    name="zoledronate",
    description="intravenous nitrogen-containing bisphosphonate: binds bone; keeps new BMUs from starting, poisons osteoclasts that reach buried drug",
    routes=("intravenous",),
    dose_mg_range=(0.5, 10.0),
    usual_dose="5 mg IV once a year (HORIZON-PFT, Black 2007)",
    parameters=ZOLEDRONATE_PK,
    make_pk=_pk("zoledronate"),
    bone_seeking=True,
    readouts={"bone_zoledronate_uM": Readout("umol/L", "zoledronate bound in the volume's bone, per litre of bone",
                                             _bound_uM("zoledronate"))},
    view_presets={"zoledronate 5 mg IV yearly": (
        {"drug": "zoledronate", "dose_mg": 5, "route": "intravenous", "start_day": 0, "interval_days": 365,
         "number_of_doses": 10},)},
))

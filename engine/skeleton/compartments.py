"""The compartments of one patient's skeleton, each with a cited size, surface density and drug access.

The whole-skeleton layer (`engine.skeleton.layer`) applies the agents' cell rules to each compartment in
their expected-value limit; a compartment differs from another only by what is here:
- `bmc_g`: its bone mineral content (g) in a typical postmenopausal woman: the weight of its mineral in a
  DXA site and in the serum markers (matrix turned over ∝ bone mass × turnover);
- `bs_bv_per_mm`: bone surface per bone volume, in the agents' measure (surface voxels × voxel area,
  `engine.readouts`; `VOXEL_MEASURE_PER_TRUE_AREA` of the true area). Cancellous compartments have the
  patient's own trabecular structure, the bone the agent volume simulates (true BS/BV = 2/Tb.Th for its
  plates, `engine.grid.synthetic`); cortical compartments the Haversian canal surface density. With the
  same activation per mm² of quiescent surface, this alone makes cortical bone turn over 4-8× slower than
  cancellous bone (targets.md §10: trabecular ~25 %/y, cortical ~3 %/y: a 8× ratio, which the cited
  surface densities give with real vertebral cancellous BS/BV 26 mm⁻¹ but not with the model's thicker
  plates, 15 mm⁻¹ at Tb.Th 130 µm: a known gap, see engine/skeleton/README.md);
- `drug_access`: the fraction of the marrow's free RANKL binder that reaches RANKL there (1 = as in the
  trabecular marrow, assumption for cortical canals; serum-to-marrow access itself is the denosumab table's
  `marrow_to_serum_ratio`, 0.16, calibrated on the month-6 CTX, targets.md §2 and §9). A RANKL binder's
  `out_of_reach_fraction` splits every compartment into the part it reaches and a part it does not
  (`engine.skeleton.layer.split_by_drug_reach`).

All compartments see the RANKL/OPG totals of the patient's trabecular marrow (osteocyte secretion over the
marrow volume, the agents' rule) scaled by the same systemic factors: cortical canals exchange with blood,
so their RANKL is not set by their own (much larger) osteocyte-to-canal-volume ratio (assumption).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.parameters import Parameter, ParameterTable

#: The agents' surface measure (bone voxels with a marrow face neighbour × h²) per true (marching-cubes) area,
#: measured on the synthetic trabecular bone at 10 µm (benchmarks/calibrate_skeleton.py: 0.79 at 600 µm,
#: 0.86 at 1 mm, where fewer surface voxels sit on the volume's cut edges).
VOXEL_MEASURE_PER_TRUE_AREA = 0.82

SKELETON = ParameterTable(
    Parameter("whole_skeleton_bmc_g", "BMC", "g", 2200.0,
              "NHANES total-body BMC of postmenopausal women ~2,000–2,400 g (Looker 1998 OI 8:468; 2009 OI 20:1141; "
              "targets.md §10, FM)", "mid-range"),
    Parameter("cortical_share_of_mass", "-", "1", 0.80, "Jowsey 1977 (targets.md §10 'Cortical : trabecular', CBS)"),
    Parameter("lumbar_spine_bmc_g", "BMC", "g", 52.0, "NHANES L1–L4 PA BMC ~45–60 g (targets.md §10, FM)", "mid-range"),
    Parameter("total_hip_bmc_g", "BMC", "g", 27.5, "NHANES total-hip BMC ~25–30 g (targets.md §10, FM)", "mid-range"),
    Parameter("posterior_elements_bmc_fraction", "-", "1", 0.528,
              "Lee 2009 JBMR 24:1398: 52.8 ± 3.9 % of PA vertebral BMC (targets.md §10, CBS; ages 6–25)",
              "the only published split; kept from the lumbar-spine measurement model"),
    Parameter("vertebral_shell_mass_fraction", "-", "1", 0.30,
              "Eswaran 2007 CMAME 196:3025: cortical shell 21–39 % of vertebral-body mass (targets.md §10, CBS)"),
    Parameter("hip_cortical_fraction", "-", "1", 0.79,
              "QCT of 20 femoral necks (Invest Radiol 1997 32:83, PMID 9039579; abstract read by search): trabecular "
              "bone is 33 % of the neck's bone mass at its smallest cross-section, 21 % at its trochanteric end, "
              "78 % at the head, which the total-hip DXA region leaves out (the trochanteric and shaft parts it "
              "includes are cortex-rich): cortical 0.67-0.79 over the neck. Was 0.67 (the mid-neck value) and "
              "before that 0.50 from Clarke 2008 (femoral head/neck ~50 : 50, targets.md §10, FM), which counts "
              "the head",
              "calibrated within that range on FREEDOM's total hip vs placebo at 36 months, +6.0 % (5.2-6.7; "
              "targets.md §3 'TH BMD vs placebo'): 0.67 gave 8.4, the range's end 0.79 gives 6.5 (6.0 would "
              "need 0.82, outside it); the total-hip region's own QCT split was not found (targets.md §10)"),
    Parameter("haversian_surface_per_cortical_volume_per_mm", "BS/BV", "1/mm", 2.75,
              "Haversian canal surface density ~2–3.5 mm²/mm³ (Martin 1984 Crit Rev Biomed Eng 10:179; targets.md §10, FM)",
              "mid-range, true area; endocortical and periosteal envelopes are small beside it. For comparison, real "
              "cancellous BS/BV: vertebral 26 mm⁻¹ (1.77/0.0675), iliac 24 mm⁻¹ (3.73/0.154) (targets.md §10, CBS)"),
    Parameter("cortical_modeling_formation_fold", "-", "1", 3.3,
              "modeling-based formation on cortical envelopes per lining cell, relative to cancellous bone's "
              "(biology.modeling_formation_lining_activation_per_day). Keeps cortical MBF at the earlier "
              "assumption, a tenth of the envelope's remodeling formation, while cancellous MBF is ~3 % (its "
              "source): periosteal MBF is present in every untreated femoral neck and cancellous/endocortical "
              "MBF in 82 % (Dempster 2020 JBMR 35:1282, targets.md §10); on denosumab modeling labels are on "
              "endocortical and periosteal surfaces with almost none in cancellous bone (Ominsky 2015 JBMR 30:1280, "
              "§9), and serum P1NP (−76 %) is suppressed far less than iliac BFR (−97 %) (§9 'Serum vs biopsy')",
              "assumption of its size (no cortical MBF share was found); the agents simulate cancellous bone only"),
    Parameter("drug_access", "-", "1", 1.0,
              "assumption: free drug in marrow and canals as in serum × marrow_to_serum_ratio (denosumab table)",
              "revisited in issue 18 with targets.md §9 (accessibility factors well below 1 in continuum models)"),
)


@dataclass(frozen=True)
class Compartment:
    name: str
    kind: str            # "trabecular" or "cortical"
    bmc_g: float
    bs_bv_per_mm: float  # face-counted (the agents' surface measure)
    drug_access: float
    site: str            # "lumbar_spine", "total_hip" or "rest"
    modeling_formation_fold: float = 1.0  # MBF rate per lining cell relative to cancellous bone's


def compartments(trabecular_bs_bv_per_mm: float, table: ParameterTable = SKELETON) -> tuple[Compartment, ...]:
    """The seven compartments: vertebral centrum, shell and posterior elements (L1–L4), proximal femur
    trabecular and cortical (total hip), and the rest of the skeleton, trabecular and cortical.

    `trabecular_bs_bv_per_mm`: true BS/BV of the patient's cancellous bone (`trabecular_bs_bv_per_mm`)."""
    t = table
    ls, hip = t.lumbar_spine_bmc_g.value, t.total_hip_bmc_g.value
    body = ls * (1.0 - t.posterior_elements_bmc_fraction.value)
    shell = body * t.vertebral_shell_mass_fraction.value
    centrum = body - shell
    posterior = ls - body
    hip_cort = hip * t.hip_cortical_fraction.value
    hip_trab = hip - hip_cort
    total = t.whole_skeleton_bmc_g.value
    trab_total = total * (1.0 - t.cortical_share_of_mass.value)
    rest_trab = trab_total - centrum - hip_trab
    rest_cort = total - trab_total - shell - posterior - hip_cort
    measure = VOXEL_MEASURE_PER_TRUE_AREA
    vert = cancellous = trabecular_bs_bv_per_mm * measure
    cortical = t.haversian_surface_per_cortical_volume_per_mm.value * measure
    access = t.drug_access.value
    fold = t.cortical_modeling_formation_fold.value
    return (
        Compartment("vertebral_trabecular", "trabecular", centrum, vert, access, "lumbar_spine"),
        Compartment("vertebral_shell", "cortical", shell, cortical, access, "lumbar_spine", fold),
        Compartment("posterior_elements", "cortical", posterior, cortical, access, "lumbar_spine", fold),
        Compartment("femur_trabecular", "trabecular", hip_trab, cancellous, access, "total_hip"),
        Compartment("femur_cortical", "cortical", hip_cort, cortical, access, "total_hip", fold),
        Compartment("rest_trabecular", "trabecular", rest_trab, cancellous, access, "rest"),
        Compartment("rest_cortical", "cortical", rest_cort, cortical, access, "rest", fold),
    )


#: What the agents' geometry does to their cell rules, which an expected-value layer cannot derive: each
#: value is measured on agent volumes by `benchmarks/calibrate_skeleton.py` (never on trial data) and is
#: one line of the calibration table in engine/skeleton/README.md.
AGENT_GEOMETRY = ParameterTable(
    Parameter("osteoclast_contact_loss_per_day", "-", "1/day", 0.0054,
              "calibrated on agent volumes: osteoclasts that lose contact with bone (a resorbed-through rod, the "
              "edge of a plate) die (engine.agents.osteoclast.moved); 150 detachments in 27,569 osteoclast-days, "
              "the default scenario's 1 mm³ volumes, seeds 1-8, the year after its 400-day spin-up "
              "(benchmarks/calibrate_skeleton.py). Was 0.016 from 600 µm cubes, whose faces cut osteoclasts off: "
              "the same patient gave 0.014 at 600 µm and 0.005 at 1 mm, and the layer stands for bone without faces",
              "trabecular compartments only: an osteon tunnels through solid cortex (assumption: 0 there)"),
    Parameter("osteoclast_site_occupancy_ratio", "-", "1", 2.22,
              "calibrated on agent volumes: the RANK occupancy the osteoclasts read (the marrow around them, "
              "engine.signalling item 4) over the marrow mean, which scales their fusion "
              "(engine.agents.osteoclast.step); they sit by the surface where osteocytes release RANKL. Same runs "
              "(1.27 when they read their own field cell, solved every 14 days; 1.39 from 600 µm cubes before)",
              "trabecular compartments; × CORTICAL_SITE_RATIO_RELATIVE in cortical ones (assumption)"),
    Parameter("osteoclast_resorption_efficiency", "-", "1", 0.97,
              "calibrated on agent volumes: bone removed / nuclei × rate asked of the resorption kernel (its ball "
              "runs short of exposed bone), same runs (was 0.775 from 600 µm cubes)",
              "applied in every compartment (assumption for cortical cutting cones)"),
)


#: Cortical compartments' osteoclast site ratio relative to the trabecular one (assumption, not calibrated): an
#: osteon's cutting cone tunnels through solid bone around its canal, where no agent volume measures it. The layer
#: held 1 against the trabecular 1.27 when osteoclasts read their own field cell; the same proportion is kept now
#: that they read the marrow around them (2.22 × 0.79 = 1.75), so fusion in cortical cones stays 0.7 nuclei/day.
CORTICAL_SITE_RATIO_RELATIVE = 1.0 / 1.27


def trabecular_bs_bv_per_mm(structure, voxel_size_um: float | None = None, bone_fraction=None) -> float:
    """True BS/BV of the patient's cancellous bone: 2/Tb.Th for the synthetic plates (what the generator
    builds; marching cubes on it gives 15.1 for 15.4 at Tb.Th 130 µm), or measured on a µCT volume."""
    thickness = getattr(structure, "trabecular_thickness_um", None)
    if thickness:
        return 2000.0 / thickness
    from engine.grid.measure import bone_surface_to_volume_per_mm
    return float(bone_surface_to_volume_per_mm(bone_fraction, voxel_size_um))

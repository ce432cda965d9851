"""What a DXA scan of the lumbar spine sees, given the simulated trabecular volume.

The grid is a piece of trabecular bone, and its BMD proxy (`bmd_change_pct`, mineral mass of the volume)
is a volumetric, purely trabecular measure, like QCT of the vertebral centrum. The trials report areal BMD
of L1-L4 by posteroanterior DXA, which projects the whole vertebra: its trabecular centrum, the cortical
shell of the body, and the posterior elements (pedicles, laminae, processes), which are mostly compact
bone. That compact bone turns over about 8x more slowly per volume than trabecular bone, so a drug that
closes the remodeling space and lets young bone mineralize changes it by proportionally less.

Model (first order in turnover): every remodeling-driven change of a compartment, the filling of its
remodeling space, the mineralization of its young bone and its BMU balance, is proportional to the volume
of bone it remodels per year. Cortical bone responds to the same systemic drivers (estrogen, drugs) as the
simulated trabecular bone, at `cortical_to_trabecular_turnover` of its rate. The spine's DXA change is then
the mineral-weighted mean of its compartments:

    ΔLS = [w_trab + (1 - w_trab) · r] · Δtrab,   w_trab = (1 - posterior share) · (1 - shell share of body)

With the values below, w_trab = 0.33 and ΔLS = 0.41 · Δtrab. The factor is a measurement model with cited
inputs, not a fit: no trial result entered it. What it leaves out (and says so in the README): cortical
mechanisms that do not scale with turnover (intracortical porosity in old age, periosteal apposition,
the cortical gains of teriparatide's modeling-based formation), degenerative changes that raise spine DXA
in the elderly, and the hip, whose compartments differ.
"""

from __future__ import annotations

from engine.parameters import Parameter, ParameterTable, values

LUMBAR_SPINE_DXA = ParameterTable(
    Parameter("posterior_elements_bmc_fraction", "-", "1", 0.528,
              ("Lee 2009 J Bone Miner Res 24:1398 (QCT of L3 in 574 subjects: the posterior elements hold "
               "51.4 ± 4.2 % of the BMC a PA DXA scan sees; females 52.8 ± 3.9 %)"),
              "subjects aged 6-25 y, stable after maturity; older women with trabecular loss may have a higher share"),
    Parameter("vertebral_shell_mass_fraction", "-", "1", 0.30,
              ("Eswaran 2007 Comput Methods Appl Mech Eng 196:3025 (micro-CT of 13 vertebral bodies: the cortical "
               "shell holds 21-39 % of the body's bone mass; midpoint)"), ""),
    Parameter("cortical_to_trabecular_turnover", "-", "1", 3.0 / 25.0,
              ("targets.md §8b 'Turnover (bone renewal)': cortical ≈ 3 %/y, trabecular ≈ 25 %/y "
               "(Manolagas 2000 Endocr Rev 21:115; Parfitt); from-memory"),
              "posterior elements treated as cortical bone (an assumption: they hold some trabecular bone)"),
)


def trabecular_weight(table: tuple[Parameter, ...] = LUMBAR_SPINE_DXA) -> float:
    """Share of the PA lumbar-spine BMC that is trabecular centrum (baseline mineral weight)."""
    p = values(table)
    return (1.0 - p["posterior_elements_bmc_fraction"]) * (1.0 - p["vertebral_shell_mass_fraction"])


def lumbar_spine_response_factor(table: tuple[Parameter, ...] = LUMBAR_SPINE_DXA) -> float:
    """ΔLS / Δtrab: the DXA spine's % change per % change of its trabecular bone (module docstring)."""
    w = trabecular_weight(table)
    return w + (1.0 - w) * values(table)["cortical_to_trabecular_turnover"]


def lumbar_spine_bmd_change_pct(trabecular_change_pct: float) -> float:
    """PA lumbar-spine DXA BMD, % change, from the simulated trabecular BMD proxy's % change."""
    return lumbar_spine_response_factor() * trabecular_change_pct

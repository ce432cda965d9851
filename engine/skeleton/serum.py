"""Serum markers and DXA sites from the whole-skeleton layer: what a trial measures in a patient.

Serum CTX (a fragment of resorbed type I collagen) and P1NP (a propeptide cut off newly made type I
collagen) are, at the time scale of days, proportional to the matrix resorbed and formed per day over the
whole skeleton (their serum half-lives are hours: quasi-steady; human half-lives not found, targets.md §10),
plus a non-skeletal background. Each patient's day-0 flux is scaled to the reference concentrations of
healthy women of the trials' age (the ratio is what the model predicts; absolute levels vary by assay and
person). The assay then observes it: below the lower limit of quantification a value is reported at the
limit (the imputation rule; FREEDOM's handling was not found, targets.md §10 'Not found').

DXA: a site's areal BMD change is the change of the mineral of its compartments (L1–L4 PA: vertebral
centrum, shell and posterior elements; total hip: proximal femur trabecular and cortical).
"""

from __future__ import annotations

import numpy as np

from engine.parameters import Parameter, ParameterTable

SERUM = ParameterTable(
    Parameter("ctx_reference_ng_per_ml", "β-CTX", "ng/mL", 0.387,
              "Elecsys β-CTX in 1,080 healthy women, mean age 63: 0.387 ± 0.197 ng/mL (Clin Chim Acta 2009 409:70; "
              "targets.md §10, CBS)"),
    Parameter("p1np_reference_ug_per_l", "P1NP", "µg/L", 47.7,
              "Elecsys total P1NP, same cohort: 47.7 ± 19.9 µg/L (targets.md §10, CBS)"),
    Parameter("ctx_lloq_ng_per_ml", "LLOQ", "ng/mL", 0.049,
              "CTX lower limit of quantification in the denosumab program (Prolia USPI §12.2; targets.md §10, CBS)"),
    Parameter("p1np_lloq_ug_per_l", "LLOQ", "µg/L", 5.0,
              "Elecsys total P1NP measuring range from 5 µg/L (assay insert, from-memory)"),
    Parameter("ctx_non_skeletal_fraction", "-", "1", 0.0,
              "assumption: β-isomerised CTX forms in mature bone matrix and is released by osteoclasts (bone-specific); "
              "no quantitative source found (targets.md §10 'Not found')"),
    Parameter("p1np_non_skeletal_fraction", "-", "1", 0.05,
              "assumption: type I collagen is also made in soft connective tissue (Calcif Tissue Int 1991 49 Suppl:S24, "
              "qualitative); no quantitative share found (targets.md §10 'Not found')"),
)


def serum_marker(flux: float, baseline_flux: float, reference: float, non_skeletal: float, lloq: float) -> float:
    """Observed concentration: reference × ((1 − b)·flux/flux₀ + b), reported at the LLOQ when below it."""
    if not np.isfinite(baseline_flux) or baseline_flux <= 0:
        return float("nan")
    true = reference * ((1.0 - non_skeletal) * flux / baseline_flux + non_skeletal)
    return max(true, lloq)


def pct(value: float, baseline: float) -> float:
    return 100.0 * (value / baseline - 1.0) if baseline and np.isfinite(baseline) else float("nan")

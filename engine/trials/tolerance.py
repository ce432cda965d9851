"""How far a simulated arm may sit from a published value and still pass, and why.

A published point without a confidence interval is one number read from a paper, a label or a figure; a
model is judged against it with a tolerance written down before the comparison, per kind of readout (never
per row to make a row pass; a trial file may set a row's own `tolerance` with its `tolerance_why`, e.g. the
±25 % of a gain the teriparatide issue asks for). Rows with a published 95 % CI or range use that interval
alone (tolerance 0 by default).
"""

from __future__ import annotations

#: readout suffix/prefix -> (absolute tolerance, fraction of |published| added, why)
DEFAULTS: dict[str, tuple[float, float, str]] = {
    "bmd_change_pct": (1.0, 0.10, (
        "±1 percentage point + 10 % of the value: BMD means read from figures or from memory (targets.md §3 rows "
        "flagged 'verify'), and two analyses of the same FREEDOM arm differ by 0.4 pp (§3 'LS BMD vs placebo' "
        "9.2 vs label 8.8)")),
    "serum_": (10.0, 0.0, (
        "±10 percentage points: marker medians read from figures or from memory; the label gives the month-6 "
        "CTX trough as a range (−45 to −80 %, §2) around FREEDOM's −72 %, and the CTX assay's own "
        "between-run CV is of the order of 10 %")),
}


def default_tolerance(readout: str, published: float) -> tuple[float, str]:
    """(tolerance in the readout's units, why) for a published point without a CI."""
    for key, (absolute, relative, why) in DEFAULTS.items():
        if readout.endswith(key) or readout.startswith(key):
            return absolute + relative * abs(published), why
    return 0.0, "no default tolerance for this readout: the published value itself"


def row_tolerance(row) -> tuple[float, str]:
    """The tolerance of a published row (`engine.trials.schema.PublishedRow`) and why."""
    if row.tolerance is not None:
        return float(row.tolerance), row.tolerance_why or "set in the trial file"
    if row.ci95:
        return 0.0, "the published 95 % CI or range"
    return default_tolerance(row.readout, row.mean)

"""Full-size validation of untreated bone loss: BMD proxy of ensembles of 1 mm³ volumes over 2 years.

A single 1 mm³ volume's BMD swings by several % with the number of open cavities, so the fast test
(tests/validation) checks bone loss through the BMUs' balance; this script runs the real readout,
`biopsy_bmd_change_pct`, on an ensemble of default-size volumes and reports the mean annual change with its
standard error, and the patient's lumbar-spine DXA change (whole-skeleton layer, engine/skeleton), next to the published
spine rates (targets.md §7):
- early postmenopausal (6 months after the final period): SWAN, Greendale 2012: LS ≈ −2.5 %/y
  across the transition (a remodeling-space transient plus BMU deficit);
- established postmenopause (60 y, 8 y after): placebo arms ≈ −0.6 to −0.8 %/y (McClung 2006);
- premenopausal (40 y): ≈ 0 %/y.

    .venv/bin/python benchmarks/validate_bone_loss.py               # 8 seeds per group, ~15 min on 2 cores
    .venv/bin/python benchmarks/validate_bone_loss.py --seeds 4 --size-um 800
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.scenario import scenario_from_text  # noqa: E402
from engine.skeleton.patient import SkeletonModel  # noqa: E402
from tests.validation.ensemble import (EARLY_POSTMENOPAUSAL, POSTMENOPAUSAL, PREMENOPAUSAL, TEMPLATE,  # noqa: E402
                                       run_ensemble)


def patient_spine_pct_per_year(patient: str, days: int) -> float:
    """The whole-skeleton layer's lumbar-spine DXA change per year for this patient (deterministic)."""
    model = SkeletonModel(scenario_from_text(TEMPLATE.format(seed=1, days=days, size_um=1000,
                                                             patient=patient)).scenario)
    model.spin_up()
    for _ in range(days):
        model.step()
    return model.skeleton.readouts()["lumbar_spine_bmd_change_pct"] / (days / 365.25)

GROUPS = {
    "early postmenopausal (0.5 y after FMP)": (EARLY_POSTMENOPAUSAL, "SWAN LS ~ -2.5 %/y"),
    "postmenopausal (8 y after FMP)": (POSTMENOPAUSAL, "placebo ~ -0.6 to -0.8 %/y"),
    "premenopausal (40 y)": (PREMENOPAUSAL, "~ 0 %/y"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=8, help="volumes per group (default 8)")
    parser.add_argument("--size-um", type=int, default=1000, help="cube edge in µm (default 1000, the default scenario)")
    parser.add_argument("--days", type=int, default=730, help="observed days after the spin-up (default 730)")
    args = parser.parse_args()
    report = {}
    for name, (patient, published) in GROUPS.items():
        pooled = run_ensemble(patient, range(1, args.seeds + 1), days=args.days, size_um=args.size_um)
        rates = np.array(pooled.bmd_change_pct_per_year)
        se = rates.std(ddof=1) / np.sqrt(len(rates)) if len(rates) > 1 else float("nan")
        report[name] = {"bmd_change_pct_per_year_mean": rates.mean(), "standard_error": se,
                        "focal_balance_pct_per_year": pooled.focal_balance_pct_per_year,
                        "activation_frequency_per_year": pooled.activation_frequency_per_year,
                        "published": published, "runs": rates.tolist()}
        spine = patient_spine_pct_per_year(patient, args.days)
        report[name]["lumbar_spine_bmd_change_pct_per_year"] = spine
        print(f"{name:42s} biopsy BMD {rates.mean():+.2f} ± {se:.2f} %/y (SE, n={len(rates)}); patient lumbar "
              f"spine (whole-skeleton layer) {spine:+.2f} %/y; BMU balance "
              f"{pooled.focal_balance_pct_per_year:+.2f} %/y; Ac.f {pooled.activation_frequency_per_year:.2f}/y; "
              f"published: {published}", flush=True)
    out = REPO / "outputs" / "benchmarks" / "validate_bone_loss.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

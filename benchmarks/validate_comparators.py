"""Long validation runs of the comparator drugs (tests marked `slow` in tests/validation/test_comparators.py):
teriparatide's anabolic window and 19-month BMD gain vs placebo (targets.md §6 'Teriparatide 20 µg/d BMD vs
placebo'), and zoledronate given after denosumab blunting the post-discontinuation loss. ~6-10 min on 2 cores.

    .venv/bin/python benchmarks/validate_comparators.py

The full-size comparisons with published rows are the bundled trials: `bmu trial
scenarios/trials/decide_dmab_vs_aln.yaml`, `bisphosphonates_3y.yaml`, `teriparatide_neer.yaml`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-m", "slow", "-v", "-o", "timeout=1800",
                              str(REPO / "tests" / "validation" / "test_comparators.py")], cwd=REPO))

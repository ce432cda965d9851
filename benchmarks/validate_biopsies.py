"""Long tissue-level validation runs (tests marked `slow`): denosumab's effect on 6-volume ensembles of
agent biopsies against the published markers' timing, FREEDOM's biopsies (Reid 2010) and the rebound
(tests/validation/test_denosumab_pd.py); the BMU cycle before and after menopause (wall thickness,
activation frequency, BMU balance, bone loss: tests/validation/test_bmu_histomorphometry.py). ~6 min on
2 cores.

    .venv/bin/python benchmarks/validate_biopsies.py

The patient-level targets run in the default suite (tests/validation/test_patient_level.py); tables of
published vs simulated: benchmarks/validate_denosumab.py and `bmu trial scenarios/trials/freedom_3y.yaml`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-m", "slow", "-v", "-o", "timeout=1800",
                              str(REPO / "tests" / "validation" / "test_denosumab_pd.py"),
                              str(REPO / "tests" / "validation" / "test_bmu_histomorphometry.py")], cwd=REPO))

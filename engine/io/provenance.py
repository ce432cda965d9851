"""Provenance of a run or trial: what produced a file, written into it (`/provenance` attributes).

Bit-identity of a run depends on the engine's commit, the versions of the numeric libraries and numba's
thread count (parallel reductions); a reader also wants the command line and the PK parameter values that
were in force (table values, scenario overrides and body-weight scaling resolved). All plain JSON/strings,
readable with h5py alone.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from engine import __version__

#: distributions whose versions are recorded (the numeric core and the I/O)
KEY_PACKAGES = ("numpy", "numba", "scipy", "h5py", "mesa", "pydantic", "dask", "distributed", "scikit-image")


def git_commit() -> str:
    """The engine checkout's commit (with '+dirty' when it has uncommitted changes), or '' outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit + ("+dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0], "bmu-engine": __version__}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def pk_parameters(scenario) -> dict[str, dict[str, float]]:
    """The PK parameter values each drug of the scenario's regimen runs with (after overrides and weight)."""
    from engine.pharmacology import DrugExposure

    exposure = DrugExposure(scenario.regimen, scenario.pharmacokinetics, scenario.patient.body_weight_kg)
    return {drug: {k: float(v) for k, v in getattr(model, "p", {}).items()} for drug, model in exposure.models.items()}


def provenance(scenario=None) -> dict[str, str]:
    """Attributes for `/provenance` (JSON strings where structured)."""
    import numba

    out = {"engine_version": __version__, "git_commit": git_commit(),
           "package_versions": json.dumps(package_versions(), sort_keys=True),
           "numba_threads": str(numba.get_num_threads()), "command_line": shlex.join(sys.argv)}
    if scenario is not None:
        out["pk_parameters"] = json.dumps(pk_parameters(scenario), sort_keys=True)
    return out


def write_provenance(h5file, scenario=None) -> None:
    group = h5file.require_group("provenance")
    group.attrs.update(provenance(scenario))

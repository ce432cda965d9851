"""Every results.h5 and trial.h5 says what produced it (/provenance)."""

import json

import h5py

from engine.io.provenance import git_commit, provenance
from engine.runner import run
from engine.scenario import scenario_from_text
from tests.conftest import SMALL_SCENARIO

REGIMEN = "regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: 0}]\npatient: " \
          "{sex: female, age_years: 62, years_since_menopause: 10, body_weight_kg: 80}\n"


def test_a_run_records_commit_versions_threads_command_and_pk_values(tmp_path):
    text = SMALL_SCENARIO.replace("patient: {sex: female, age_years: 62, years_since_menopause: 10}\n", "") + REGIMEN
    summary = run(scenario_from_text(text), tmp_path, days=1, progress=False, log=lambda *a: None, plot=False)
    with h5py.File(summary.results_path) as f:
        p = f["provenance"].attrs
        versions = json.loads(p["package_versions"])
        assert {"python", "numpy", "numba", "h5py", "mesa"} <= versions.keys()
        assert int(p["numba_threads"]) >= 1 and p["command_line"]
        pk = json.loads(p["pk_parameters"])["denosumab"]
        assert pk["central_volume_L"] > 0 and "linear_clearance_L_per_day" in pk
    # body weight 80 kg scales the reference adult's (66 kg) volumes up
    from engine.pharmacology.denosumab import DENOSUMAB_PK
    assert pk["central_volume_L"] > DENOSUMAB_PK.central_volume_L.value


def test_git_commit_is_the_checkout_head_or_empty():
    commit = git_commit()
    assert commit == "" or len(commit.split("+")[0]) == 40
    assert provenance()["git_commit"] == commit and "pk_parameters" not in provenance()

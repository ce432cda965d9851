"""What a user sees at the rough edges (issue: for the people who use it): one line on stderr, exit 2, no
traceback. Run in-process through `engine.cli.main` (the subprocess path is covered by tests/test_cli.py)."""

import h5py
import numpy as np
import pytest

from engine.cli import main
from tests.conftest import SCENARIOS


def run_cli(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse refuses its arguments this way
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_days_beyond_the_yaml_limit_are_refused(capsys):
    code, _, err = run_cli(capsys, "run", SCENARIOS / "default.yaml", "--days", "99999999")
    assert code == 2 and "at most 36500 days" in err and "Traceback" not in err


def test_plot_into_a_missing_folder_creates_it_and_an_unknown_format_is_named(capsys, tmp_path):
    results = tmp_path / "results.h5"
    with h5py.File(results, "w") as f:
        f.attrs["run_name"] = "x"
    code, _, err = run_cli(capsys, "plot", results, "--out", tmp_path / "a.docx")
    assert code == 2 and "the file name's ending picks the format" in one_line(err)
    code, _, err = run_cli(capsys, "plot", results, "--out", tmp_path / "new" / "deeper" / "x.svg")
    assert code == 2 and "not a results.h5" in one_line(err)   # the folder was made; the file is refused
    assert (tmp_path / "new" / "deeper").is_dir()


@pytest.mark.parametrize("command", ["validate", "run"])
def test_an_hdf5_file_given_as_a_scenario_says_what_it_is(capsys, tmp_path, command):
    path = tmp_path / "results.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros(3)
    code, _, err = run_cli(capsys, command, path)
    assert code == 2 and "is an HDF5 file" in one_line(err) and "bmu inspect" in err


def test_a_binary_file_given_as_a_trial_says_it_is_not_text(capsys, tmp_path):
    path = tmp_path / "trial.yaml"
    path.write_bytes(bytes(range(128, 256)))
    code, _, err = run_cli(capsys, "trial", path)
    assert code == 2 and "is not a text file" in one_line(err)


@pytest.mark.parametrize("value, says", [("1e9", "1e9 is text to YAML (an exponent without a decimal point); write "
                                                 "1000000000; allowed: 1 to 36500"),
                                         ("2.5", "expected a whole number; allowed: 1 to 36500"),
                                         ("40000", "out of range; allowed: 1 to 36500")])
def test_duration_values_name_what_is_allowed(capsys, tmp_path, value, says):
    path = tmp_path / "s.yaml"
    path.write_text((SCENARIOS / "default.yaml").read_text().replace("duration_days: 1095", f"duration_days: {value}"))
    assert f"duration_days: {value}" in path.read_text()
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2 and says in one_line(err)


def test_a_dosing_line_after_the_end_of_the_run_is_refused(capsys, tmp_path):
    text = (SCENARIOS / "denosumab_60mg_q6m_3y.yaml").read_text()
    path = tmp_path / "late.yaml"
    path.write_text(text.replace("duration_days: 1095", "duration_days: 100").replace("start_day: 0", "start_day: 182"))
    code, _, err = run_cli(capsys, "validate", path)
    assert code == 2 and "regimen[0].start_day = 182" in one_line(err) and "gives no dose" in err


def test_a_trial_arm_that_starts_after_the_trial_ends_is_refused(capsys, tmp_path):
    text = (SCENARIOS / "trials" / "freedom_3y.yaml").read_text()
    path = SCENARIOS / "trials" / "_late_test_trial.yaml"   # beside its base scenario and published file
    try:
        path.write_text(text.replace("start_day: 0,", "start_day: 2000,"))
        code, _, err = run_cli(capsys, "trial", path, "--out", tmp_path / "o")
    finally:
        path.unlink()
    assert code == 2 and "arms.denosumab_60mg_q6m.regimen[0].start_day = 2000" in one_line(err)


def test_validate_says_what_each_null_resolves_to(capsys):
    code, out, _ = run_cli(capsys, "validate", SCENARIOS / "man_denosumab.yaml")
    assert code == 0
    assert "years_since_menopause: null    # -> not applicable (a man)" in out
    assert "body_weight_kg: null    # -> the PK tables' reference adult, 66 kg" in out
    assert "folder: null    # -> outputs/man_denosumab" in out

"""The `bmu` command as a user runs it (subprocess): exit codes, one-line errors, help with examples."""

import subprocess
import sys

import h5py
import pytest

from tests.conftest import REPO, SCENARIOS


def bmu(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_run_then_inspect(small_scenario_file, tmp_path):
    out = tmp_path / "out"
    done = bmu("run", small_scenario_file, "--days", "3", "--out", out, "--seed", "11")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "days/s" in done.stdout
    assert "built 24x24x24 voxels" in done.stderr
    with h5py.File(out / "results.h5", "r") as f:
        assert f["timeseries/day"][-1] == 3 and f.attrs["seed"] == 11
    shown = bmu("inspect", out / "results.h5")
    assert shown.returncode == 0 and "free_rankl_nM" in shown.stdout and "nmol/L" in shown.stdout


def test_default_output_folder_is_named_after_the_scenario(small_scenario_file, tmp_path):
    done = bmu("run", small_scenario_file, "--days", "1", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "outputs" / "small" / "results.h5").exists()


def test_broken_scenario_one_line_exit_2():
    done = bmu("run", SCENARIOS / "broken.yaml")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "regimen[1].interval_days = -30" in lines[0]


@pytest.mark.parametrize("args, message", [
    (("run", "no/such.yaml"), "no/such.yaml: file not found"),
    (("inspect", "no/such.h5"), "no/such.h5: file not found"),
    (("run", "scenarios/default.yaml", "--days", "-5"), "must be at least 1"),
])
def test_bad_arguments_exit_2_without_traceback(args, message):
    done = bmu(*args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_unreachable_geometry_is_a_clear_error(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text("duration_days: 2\ngeometry: {volume_size_um: [100, 100, 100], voxel_size_um: 10, structure: "
                    "{type: synthetic_trabecular, bv_tv: 0.2, trabecular_thickness_um: 400}}\n"
                    "patient: {sex: male, age_years: 50}\n")
    done = bmu("run", path, "--out", tmp_path / "o")
    assert done.returncode == 2 and "trabecular_thickness_um = 400" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["run", "inspect", "validate"])
def test_help_teaches_with_an_example(command):
    done = bmu(command, "--help")
    assert done.returncode == 0 and "example" in done.stdout and "bmu " + command in done.stdout


def test_validate_prints_resolved_values():
    done = bmu("validate", SCENARIOS / "default.yaml")
    assert done.returncode == 0 and "rankl_decay_per_day: 10.13" in done.stdout


ARMS = """\
arms:
  placebo: []
  60mg: [{drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: 0}]
"""


def test_arms_run_each_into_its_folder_and_compare(small_scenario_text, tmp_path):
    """A scenario with arms: every arm runs into OUT/<arm>/ with its own regimen, and arms.png compares them."""
    path = tmp_path / "study.yaml"
    path.write_text(small_scenario_text + ARMS)
    out = tmp_path / "out"
    done = bmu("run", path, "--days", "4", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert (out / "arms.png").stat().st_size > 10_000
    with h5py.File(out / "placebo" / "results.h5", "r") as f:
        assert f["timeseries/serum_denosumab_ng_per_ml"][-1] == 0.0
    with h5py.File(out / "60mg" / "results.h5", "r") as f:
        serum = f["timeseries/serum_denosumab_ng_per_ml"][()]
        assert serum[0] == 0.0 and serum[-1] > 1000.0  # pre-dose baseline, then µg/mL within days
        assert f["timeseries/rankl_denosumab_nM"][-1] > 0.0
    one = bmu("run", path, "--days", "1", "--out", tmp_path / "one", "--quiet", "--arm", "60mg")
    assert one.returncode == 0, one.stderr
    assert (tmp_path / "one" / "60mg" / "results.h5").exists() and not (tmp_path / "one" / "placebo").exists()


def test_unknown_arm_is_a_clear_error(small_scenario_file, small_scenario_text, tmp_path):
    done = bmu("run", small_scenario_file, "--arm", "x", "--days", "1")
    assert done.returncode == 2 and "has no arms" in done.stderr and "Traceback" not in done.stderr
    path = tmp_path / "study.yaml"
    path.write_text(small_scenario_text + ARMS)
    done = bmu("run", path, "--arm", "120mg", "--days", "1")
    assert done.returncode == 2 and "placebo, 60mg" in done.stderr


def test_view_refuses_a_missing_file_a_bad_scenario_and_a_busy_port(tmp_path, capsys, small_scenario_file):
    from engine.cli import main
    import socket
    assert main(["view", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("duration_days: -1\n")
    assert main(["view", str(bad)]) == 2
    assert "duration_days" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["view", str(small_scenario_file), "--port", str(port)]) == 2
    assert "choose another --port" in capsys.readouterr().err


def test_view_refuses_an_h5_that_is_not_a_results_file(tmp_path, capsys):
    from engine.cli import main
    import h5py
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as f:
        f["a"] = 1
    assert main(["view", str(path)]) == 2
    assert "cannot be replayed" in capsys.readouterr().err

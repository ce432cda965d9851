"""Checkpoints: exact resume, crash safety, compatibility, bad files, overwrite safety.

A run interrupted at day K and resumed must write a results.h5 whose every dataset is bit-identical to
the uninterrupted run's. The scenario is a 300 µm volume spun up for 150 days (so BMUs in every phase
exist) with a denosumab dose on day 12, so interruption days include a dose day and a day inside a
BMU's reversal phase.
"""

import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.agents.bmu import REVERSAL
from engine.io.checkpoint import CHECKPOINT_NAME, CheckpointError, read_info, write_checkpoint
from engine.model import BoneModel
from engine.runner import OutputExistsError, ResumeError, resume, run
from engine.scenario import scenario_from_text
from tests.conftest import REPO

DAYS = 24
DOSE_DAY = 12
SCENARIO = f"""\
name: ck
seed: 10
duration_days: {DAYS}
geometry:
  volume_size_um: [300, 300, 300]
  voxel_size_um: 10
  structure: {{type: synthetic_trabecular, bv_tv: 0.25, trabecular_thickness_um: 70, seed: 2}}
patient: {{sex: female, age_years: 62, years_since_menopause: 10}}
regimen: [{{drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: {DOSE_DAY}}}]
numerics: {{spin_up_days: 150}}
outputs: {{snapshot_every_days: 5, checkpoint_every_days: 7}}
"""


def quiet(_message):
    pass


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def assert_identical(a_path, b_path):
    a, b = datasets(a_path), datasets(b_path)
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        assert x.shape == y.shape, name
        if x.dtype.hasobject or x.dtype.names:
            assert x.tolist() == y.tolist(), name
        else:
            assert x.tobytes() == y.tobytes(), name


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from engine.scenario import load_scenario
    path = tmp_path_factory.mktemp("scenario") / "ck.yaml"
    path.write_text(SCENARIO)
    return load_scenario(path)


@pytest.fixture(scope="module")
def uninterrupted(loaded, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    run(loaded, out_dir=out, progress=False, log=quiet)
    return out / "results.h5"


@pytest.fixture(scope="module")
def reversal_day(loaded):
    """A day (0 < d < DAYS) on which some BMU is in its reversal phase (same trajectory as the run)."""
    model = BoneModel(loaded.scenario, base_dir=loaded.base_dir)
    model.spin_up()
    for _ in range(DAYS - 1):
        model.step()
        if model.bmus.bmus_in(REVERSAL):
            return model.day
    pytest.fail("no BMU in reversal during the run; enlarge the volume")


def interrupted_then_resumed(loaded, tmp_path, day):
    run(loaded, out_dir=tmp_path, days=day, progress=False, log=quiet)
    assert read_info(tmp_path / CHECKPOINT_NAME).day == day
    resume(tmp_path / CHECKPOINT_NAME, until_day=DAYS, progress=False, log=quiet)
    return tmp_path / "results.h5"


@pytest.mark.parametrize("where", ["dose_day", "after_dose", "reversal", "checkpoint_cadence"])
def test_resume_is_bit_identical(where, loaded, uninterrupted, reversal_day, tmp_path):
    day = {"dose_day": DOSE_DAY, "after_dose": DOSE_DAY + 1, "reversal": reversal_day, "checkpoint_cadence": 7}[where]
    assert_identical(uninterrupted, interrupted_then_resumed(loaded, tmp_path, day))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.integers(min_value=1, max_value=DAYS - 1))
def test_any_interruption_day_resumes_identically(day, loaded, uninterrupted, tmp_path_factory):
    assert_identical(uninterrupted, interrupted_then_resumed(loaded, tmp_path_factory.mktemp("p"), day))


def bmu(*args, **kw):
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=300, **kw)


def start_bmu(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "engine.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, **(env or {})})


def wait_for(path, proc, timeout_s=120):
    start = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"bmu exited early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() - start > timeout_s:
            proc.kill()
            pytest.fail(f"{path} did not appear within {timeout_s} s")
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_writes_a_checkpoint_and_exits_130(sig, loaded, uninterrupted, tmp_path):
    """Ctrl-C / SIGTERM: the day in progress finishes, a checkpoint is written, the run says how to resume,
    exit code 130; resuming gives the uninterrupted results."""
    proc = start_bmu("run", loaded.source, "--out", tmp_path, "--quiet")
    wait_for(tmp_path / "results.h5", proc)  # created after the spin-up
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 130, err
    assert "bmu resume" in err and "checkpoint written" in err
    done = bmu("resume", tmp_path / CHECKPOINT_NAME, "--quiet")
    assert done.returncode == 0, done.stderr
    assert_identical(uninterrupted, tmp_path / "results.h5")


def test_kill_9_during_checkpoint_write_keeps_the_previous_one(loaded, uninterrupted, tmp_path):
    """kill -9 while the second checkpoint (day 14) is half written: the day-7 checkpoint is intact and
    resumes to the uninterrupted result; results.h5 rows written after day 7 are dropped on resume."""
    proc = start_bmu("run", loaded.source, "--out", tmp_path, "--quiet",
                     env={"BMU_CHECKPOINT_TEST_PAUSE_S": "30@14"})   # the day-7 checkpoint is written at once
    out = ""
    start = time.monotonic()
    while True:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"bmu ended before the second checkpoint: {proc.stderr.read()}")
        out += line
        if "checkpoint: half written" in line:
            break
        if time.monotonic() - start > 240:
            proc.kill()
            pytest.fail("no checkpoint write within 240 s")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert read_info(tmp_path / CHECKPOINT_NAME).day == 7
    done = bmu("resume", tmp_path / CHECKPOINT_NAME, "--quiet")
    assert done.returncode == 0, done.stderr
    assert_identical(uninterrupted, tmp_path / "results.h5")


def test_bad_checkpoint_files_give_one_clear_error(tmp_path, uninterrupted):
    good = uninterrupted.parent / CHECKPOINT_NAME
    cases = {
        "empty": b"",
        "text": b"this is not a checkpoint\n",
        "truncated": good.read_bytes()[: good.stat().st_size // 2],
    }
    corrupted = bytearray(good.read_bytes())
    with h5py.File(good, "r") as f:  # the first chunk of the largest array in the state (gzip + fletcher32)
        arrays = f["state/arrays"]
        largest = max(arrays, key=lambda name: arrays[name].size)
        chunk = arrays[largest].id.get_chunk_info(0)
        offset, size = chunk.byte_offset, chunk.size
    corrupted[offset + size // 4: offset + size // 4 + 100] = bytes(100)
    cases["corrupted"] = bytes(corrupted)
    for name, content in cases.items():
        path = tmp_path / f"{name}.h5"
        path.write_bytes(content)
        done = bmu("resume", path)
        assert done.returncode == 2, (name, done.stderr)
        assert "Traceback" not in done.stderr and str(path) in done.stderr, (name, done.stderr)
        assert done.stderr.count("\n") == 1, (name, done.stderr)
    done = bmu("resume", uninterrupted)  # a results.h5 is not a checkpoint
    assert done.returncode == 2 and "not a bmu checkpoint" in done.stderr
    done = bmu("resume", tmp_path / "missing.h5")
    assert done.returncode == 2 and "no such file" in done.stderr


def test_results_from_another_run_are_refused(loaded, uninterrupted, tmp_path):
    run(loaded, out_dir=tmp_path, days=5, progress=False, log=quiet)
    other = tmp_path / "results.h5"
    other.write_bytes(uninterrupted.read_bytes())  # same scenario, another run
    with pytest.raises(Exception, match="belongs to another run"):
        resume(tmp_path / CHECKPOINT_NAME, until_day=DAYS, progress=False, log=quiet)
    assert other.read_bytes() == uninterrupted.read_bytes()  # nothing written to it


def test_incompatible_version_and_other_scenario_are_refused(loaded, uninterrupted, tmp_path):
    ck = tmp_path / CHECKPOINT_NAME
    ck.write_bytes((uninterrupted.parent / CHECKPOINT_NAME).read_bytes())
    with h5py.File(ck, "r+") as f:
        f.attrs["engine_version"] = "0.0.1"
    done = bmu("resume", ck)
    assert done.returncode == 2 and "written by bmu-engine 0.0.1" in done.stderr
    done = bmu("inspect", ck)
    assert done.returncode == 0 and "resumable      no" in done.stdout
    other = tmp_path / "other.yaml"
    other.write_text(SCENARIO.replace("seed: 10", "seed: 5").replace("dose_mg: 60", "dose_mg: 30"))
    done = bmu("resume", uninterrupted.parent / CHECKPOINT_NAME, "--scenario", other, "--until-day", DAYS + 1)
    assert done.returncode == 2 and "seed = 5" in done.stderr and "dose_mg" in done.stderr


def test_inspect_shows_day_scenario_version_and_resumability(uninterrupted):
    done = bmu("inspect", uninterrupted.parent / CHECKPOINT_NAME)
    assert done.returncode == 0
    for text in (f"day            {DAYS}", "ck", "0.1.0", "resumable      yes"):
        assert text in done.stdout


def test_every_run_ends_with_a_checkpoint_and_can_be_extended(loaded, uninterrupted):
    info = read_info(uninterrupted.parent / CHECKPOINT_NAME)
    assert info.day == DAYS
    with pytest.raises(ResumeError, match="already at day"):
        resume(uninterrupted.parent / CHECKPOINT_NAME, progress=False, log=quiet)


def test_overwrite_is_refused_without_the_flag(loaded, uninterrupted):
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run(loaded, out_dir=uninterrupted.parent, progress=False, log=quiet, overwrite=False)
    done = bmu("run", loaded.source, "--out", uninterrupted.parent, "--days", "1")
    assert done.returncode == 2 and "--overwrite" in done.stderr


def test_full_disk_keeps_the_previous_checkpoint(loaded, uninterrupted, tmp_path, monkeypatch):
    """A write that fails (ENOSPC) leaves the old checkpoint untouched and says so."""
    ck = tmp_path / CHECKPOINT_NAME
    ck.write_bytes((uninterrupted.parent / CHECKPOINT_NAME).read_bytes())
    before = ck.read_bytes()
    model = BoneModel(scenario_from_text(SCENARIO).scenario)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("engine.io.checkpoint.os.replace", full)
    with pytest.raises(CheckpointError, match="disk is full.*previous checkpoint .* is kept"):
        write_checkpoint(ck, model, loaded=loaded, seed=3, until_day=DAYS, run_id="x", results_file="results.h5")
    assert ck.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_output_folder_is_a_clear_error(loaded, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        done = bmu("run", loaded.source, "--out", folder, "--days", "1", "--quiet")
        assert done.returncode == 1 and "cannot write output" in done.stderr and "Traceback" not in done.stderr
    finally:
        folder.chmod(0o700)


def test_unwritable_output_path_is_one_clear_error(loaded, tmp_path):
    """An output folder that cannot be created (here: under a regular file, which fails for root too)."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = bmu("run", loaded.source, "--out", blocker / "out", "--days", "1", "--quiet")
    assert done.returncode == 1 and "cannot write output" in done.stderr and "Traceback" not in done.stderr

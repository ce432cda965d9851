"""engine.io.state: object graphs to named HDF5 datasets and back, without pickle.

The full model's bit-identical resume is tested in test_checkpoint.py; here: identity and types survive
a round trip, and a file that names anything outside the engine, or carries a pickle, is refused without
running it.
"""

import collections
import json
import os
import pickle
import subprocess
import sys

import h5py
import numpy as np
import pytest

from engine.agents.bmu import BMU
from engine.io.checkpoint import CHECKPOINT_NAME, CHECKPOINT_VERSION, CheckpointError, load_model, read_info
from engine.io.state import StateError, read_state, write_state
from tests.conftest import REPO


def roundtrip(tmp_path, obj):
    with h5py.File(tmp_path / "s.h5", "w") as f:
        write_state(f.create_group("state"), obj)
    with h5py.File(tmp_path / "s.h5", "r") as f:
        return read_state(f["state"])


def test_values_types_and_shared_identity_survive(tmp_path):
    a = BMU(7, (1, 2, 3), 5, targeted=True)
    b = BMU(8, (4, 5, 6), 6, targeted=False)
    cavity = np.arange(40, dtype=np.int64)
    a.add_cavity(cavity)
    b.add_cavity(cavity + 100)  # same attribute path, another array
    shared = [1, 2.5, None]
    a.extra = {"list": shared, (1, 2): np.float32(0.1), "nan": float("nan"), "deque": collections.deque([1, 2], 3),
               "calendar": collections.defaultdict(list, {3: [b]}), "small": np.array([1.5, -0.0])}
    b.extra = {"same_list": shared, "back": a, "big": 2**80, "rng": np.random.default_rng(4)}
    a.partner = b
    back = roundtrip(tmp_path, a)
    assert isinstance(back, BMU) and back.label == 7 and back.origin == (1, 2, 3) and back.targeted is True
    assert np.array_equal(back.cavity, cavity) and back.cavity.dtype == np.int64
    bb = back.partner
    assert bb.extra["back"] is back  # cycles
    assert bb.extra["same_list"] is back.extra["list"]  # shared containers stay shared
    assert back.extra["calendar"][3][0] is bb and isinstance(back.extra["calendar"], collections.defaultdict)
    assert type(back.extra[(1, 2)]) is np.float32 and back.extra[(1, 2)] == np.float32(0.1)
    assert np.isnan(back.extra["nan"]) and back.extra["deque"].maxlen == 3
    assert np.signbit(back.extra["small"][1])
    assert bb.extra["big"] == 2**80
    assert np.array_equal(bb.cavity, cavity + 100)
    assert bb.extra["rng"].random() == np.random.default_rng(4).random()


def test_scratch_attributes_are_not_stored(tmp_path):
    """Work buffers named `_scratch*` are left out (the owner rebuilds them); the class default reads back."""
    from engine.grid.voxel_grid import VoxelGrid
    from engine.scenario.biology import BiologyParameters
    from engine.signalling import SignallingFields
    bone = np.zeros((8, 8, 8), np.float32)
    bone[:3] = 1.0
    sig = SignallingFields(VoxelGrid.from_bone(bone, 10.0), BiologyParameters(), 2, 1e-6, 100)
    sig.update(np.array([[2, 4, 4]]), np.array([0]), np.array([1e6]), np.array([1e6]))
    assert sig._scratch_hierarchy is not None
    with h5py.File(tmp_path / "s.h5", "w") as f:
        write_state(f.create_group("state"), sig)
        names = []
        f.visit(names.append)
        assert not [n for n in names if "scratch" in n]
    with h5py.File(tmp_path / "s.h5", "r") as f:
        back = read_state(f["state"])
    assert back._scratch_hierarchy is None and "_scratch_hierarchy" not in vars(back)
    back.update(np.array([[2, 4, 4]]), np.array([0]), np.array([1e6]), np.array([1e6]))
    np.testing.assert_array_equal(back.rankl_total_nM, sig.rankl_total_nM)


def test_a_function_in_the_state_is_refused_when_writing(tmp_path):
    a = BMU(1, (0, 0, 0), 0, targeted=False)
    a.callback = print
    with pytest.raises(StateError, match="callback"):
        roundtrip(tmp_path, a)


@pytest.mark.parametrize("name", ["os:system", "builtins:eval", "subprocess:Popen", "engine.cli:main",
                                  "engine.agents.bmu:np.ndarray.__new__"])
def test_names_outside_the_engine_classes_are_refused(tmp_path, name):
    with h5py.File(tmp_path / "s.h5", "w") as f:
        write_state(f.create_group("state"), BMU(1, (0, 0, 0), 0, targeted=False))
    with h5py.File(tmp_path / "s.h5", "r+") as f:
        f["state/objects/BMU"].attrs["class"] = name
    with h5py.File(tmp_path / "s.h5", "r") as f, pytest.raises(StateError, match="refused|does not have"):
        read_state(f["state"])


class _Marker:
    """Unpickling this creates a file: proof that a pickle was (or was not) loaded."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("version", [1, CHECKPOINT_VERSION])
def test_a_checkpoint_carrying_a_pickle_is_refused_unopened(tmp_path, version):
    """Format 1 (the old pickled state) and a /state replaced by pickled bytes: both refused with one line,
    and the payload is never unpickled (its marker file is not created)."""
    marker = tmp_path / "unpickled.txt"
    blob = pickle.dumps(_Marker(str(marker)))
    path = tmp_path / CHECKPOINT_NAME
    with h5py.File(path, "w") as f:
        f.attrs.update({"format": "bmu-checkpoint", "checkpoint_version": version, "day": 3,
                        "engine_version": __import__("engine").__version__,
                        "schema_version": __import__("engine.scenario.schema").scenario.schema.SCHEMA_VERSION})
        f.create_dataset("state", data=np.frombuffer(blob, np.uint8))
    with pytest.raises(CheckpointError, match="pickle|not a group"):
        load_model(read_info(path))
    assert not marker.exists()
    done = subprocess.run([sys.executable, "-m", "engine.cli", "resume", str(path)], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not marker.exists()


def test_layout_is_readable_with_plain_h5py(tmp_path):
    a = BMU(3, (0, 1, 2), 0, targeted=False)
    a.add_cavity(np.arange(100, dtype=np.int64))
    roundtrip(tmp_path, a)
    with h5py.File(tmp_path / "s.h5", "r") as f:
        table = f["state/objects/BMU"]
        assert table.attrs["class"] == "engine.agents.bmu:BMU"
        assert table["label"][()].tolist() == [3] and table["label"].attrs["kind"] == "int"
        assert json.loads(table.attrs["attributes"])[:2] == ["label", "origin"]
        assert any(name.startswith("BMU._cavity") for name in f["state/arrays"])

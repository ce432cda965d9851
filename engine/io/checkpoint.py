"""Checkpoints: the whole model state in one HDF5 file, written so that a crash never destroys the last one.

Layout of `checkpoint.h5`:

    /            attrs: format = "bmu-checkpoint", checkpoint_version, engine_version, schema_version,
                        scenario_name, scenario_sha256 (resolved scenario), scenario_yaml, scenario_source,
                        day, clock, seed, until_day (the day the run was asked to reach), run_id (of the
                        results.h5 it belongs to), results_file, created_utc
    /state       the whole BoneModel as named datasets (`engine.io.state`, no pickle): one table per class
                 (`objects/Osteocyte`, `objects/Osteoblast`, `objects/BMU`, `objects/DenosumabPK`,
                 `objects/PrecursorPool`, ...: a column per attribute), every grid and field array
                 (`arrays/VoxelGrid.bone_fraction`, ...), and `mesa/` (agents in registration order, next
                 agent id, the numpy Generator's and Mesa's `random.Random` states; numba kernels draw no
                 random numbers, so there is no other generator). gzip-compressed, each chunk fletcher32-
                 checksummed, so a damaged file fails to read instead of resuming wrong.

Crash safety: the file is written to a temporary name in the same folder, flushed and fsync'ed, then
renamed over the old checkpoint (`os.replace`, atomic on POSIX), and the folder is fsync'ed. A process
killed at any moment leaves either the old or the new checkpoint, never a half-written one.

Safety: reading a checkpoint builds only this engine's own classes, numpy arrays and generators and
builtins; it runs no code named by the file, so a checkpoint from someone else is data, not a program.
Checkpoints of format 1 (a pickle) are refused without being unpickled.

Compatibility: a state is only loaded by the engine version that wrote it (attribute names must match the
classes); anything else is refused with a message that says what differs. There is no --force.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

import h5py

from engine import __version__
from engine.io.state import StateError, read_state, write_state
from engine.scenario.schema import SCHEMA_VERSION

FORMAT = "bmu-checkpoint"
CHECKPOINT_VERSION = 9  # 1: a pickle (refused, never unpickled); 2: named datasets (engine.io.state); 3: the
# whole-skeleton layer keeps its precursor pools as one array pool and its tissue totals; 4: activation sites
# (agents and layer) are state; 5: a RANKL binder's reach (the volume's flag, the layer's compartments split
# into parts); 6: the young osteocytes' OPG and the osteomorphs (agents and layer) are state; 7: the cell index's
# source rows and the field solver's source-placement cache; 8: the source rows as a table
# (`agents.source_table`); 9: the source-placement cache kept by osteocyte id (2-8 are refused)
CHECKPOINT_NAME = "checkpoint.h5"
#: Test hook: seconds to sleep half-way through writing the temporary file (kill -9 test); "S@D" pauses only
#: the checkpoint of day D (the others are written at once).
PAUSE_ENV = "BMU_CHECKPOINT_TEST_PAUSE_S"


class CheckpointError(Exception):
    """A checkpoint cannot be written or used; the message names the file and what is wrong."""


@dataclass
class CheckpointInfo:
    path: Path
    attrs: dict

    @property
    def day(self) -> int:
        return int(self.attrs["day"])

    def incompatibility(self) -> str | None:
        """Why this engine cannot resume it, or None."""
        a = self.attrs
        problems = []
        if int(a.get("checkpoint_version", -1)) == 1:
            problems.append("checkpoint format 1 holds a Python pickle, which this engine never loads (loading "
                            "one can run any code); resume it with the bmu-engine version that wrote it")
        elif int(a.get("checkpoint_version", -1)) != CHECKPOINT_VERSION:
            problems.append(f"checkpoint format version {a.get('checkpoint_version')} (this engine reads "
                            f"{CHECKPOINT_VERSION})")
        if int(a.get("schema_version", -1)) != SCHEMA_VERSION:
            problems.append(f"scenario schema version {a.get('schema_version')} (this engine: {SCHEMA_VERSION})")
        if str(a.get("engine_version")) != __version__:
            problems.append(f"written by bmu-engine {a.get('engine_version')}, this is {__version__} (a checkpoint "
                            "holds the engine's own objects; resume it with the version that wrote it)")
        return "; ".join(problems) or None


def write_checkpoint(path: Path | str, model, *, loaded, seed: int, until_day: int, run_id: str,
                     results_file: str) -> Path:
    """Write the model's state atomically to `path` (temporary file + fsync + rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    attrs = {
        "format": FORMAT, "checkpoint_version": CHECKPOINT_VERSION, "engine_version": __version__,
        "schema_version": SCHEMA_VERSION, "scenario_name": loaded.name, "scenario_sha256": loaded.resolved_hash(),
        "scenario_yaml": loaded.text, "scenario_source": loaded.source, "day": int(model.day),
        "clock": int(model.clock), "seed": int(seed), "until_day": int(until_day), "run_id": run_id,
        "results_file": results_file,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(attrs)
            seconds, _, at_day = (os.environ.get(PAUSE_ENV, "") or "0").partition("@")
            pause = float(seconds) if not at_day or int(at_day) == int(attrs["day"]) else 0.0
            if pause > 0:
                f.create_group("partial")
                f.flush()
                print(f"checkpoint: half written to {tmp}", flush=True)
                time.sleep(pause)
                del f["partial"]
            write_state(f.create_group("state"), model)
            f.flush()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        reason = "the disk is full" if getattr(exc, "errno", None) == 28 or "No space" in str(exc) else str(exc)
        kept = f"; the previous checkpoint {path} is kept" if path.exists() else ""
        raise CheckpointError(f"cannot write checkpoint {path}: {reason}{kept}") from None
    return path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_info(path: Path | str) -> CheckpointInfo:
    """The checkpoint's attributes, after checking that the file is a readable checkpoint."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; give the checkpoint file (…/{CHECKPOINT_NAME})")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: is empty (0 bytes), not a checkpoint")
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            if attrs.get("format") != FORMAT:
                raise CheckpointError(f"{path}: is an HDF5 file but not a bmu checkpoint "
                                      f"(format attribute {attrs.get('format')!r}; a results.h5 is not resumable)")
            if "state" not in f:
                raise CheckpointError(f"{path}: has no /state (damaged checkpoint)")
    except OSError as exc:
        raise CheckpointError(f"{path}: not a readable HDF5 file (truncated, corrupted or another format: {exc})") \
            from None
    return CheckpointInfo(path, attrs)


def load_model(info: CheckpointInfo):
    """Rebuild the model of a compatible checkpoint from its named datasets (no pickle, no code from the file)."""
    why = info.incompatibility()
    if why:
        raise CheckpointError(f"{info.path}: cannot be resumed by this engine: {why}")
    try:
        with h5py.File(info.path, "r") as f:
            if not isinstance(f["state"], h5py.Group):
                raise StateError("/state is not a group of named datasets")
            return read_state(f["state"])
    except StateError as exc:
        raise CheckpointError(f"{info.path}: the state cannot be restored: {exc}") from None
    except (OSError, KeyError, ValueError, TypeError) as exc:  # a damaged chunk fails its checksum here
        raise CheckpointError(f"{info.path}: the state cannot be read (damaged file: {exc})") from None


def summary(info: CheckpointInfo) -> str:
    """What `bmu inspect` prints for a checkpoint."""
    a = info.attrs
    why = info.incompatibility()
    lines = [f"{info.path}: bmu checkpoint",
             f"  scenario       {a.get('scenario_name')} ({a.get('scenario_source')}), sha256 {str(a.get('scenario_sha256'))[:12]}",
             f"  day            {a.get('day')} (run asked to reach day {a.get('until_day')}), seed {a.get('seed')}",
             f"  engine         {a.get('engine_version')} (schema {a.get('schema_version')}), written {a.get('created_utc')}",
             f"  results        {a.get('results_file')}",
             f"  resumable      {'yes, with this engine' if why is None else 'no: ' + why}"]
    if why is None:
        lines.append(f"  resume with    bmu resume {info.path}")
    return "\n".join(lines)

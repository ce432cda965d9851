"""A model's whole state as named HDF5 datasets and attributes, and back: checkpoints without pickle.

Why not pickle: loading a pickle runs whatever code it names, and collaborators share checkpoints of long
runs. Here a checkpoint is data only. Restoring it creates instances of this engine's own classes (module
`engine.*`, and the PK classes of drugs registered in this process: `registry.trusted_modules`), numpy arrays, numpy random generators (PCG64 and friends by name), Python builtins and the
scenario's pydantic models (re-validated); it calls no constructor of the engine's classes and no function
named by the file. A name outside that list is refused (`StateError`) before anything is built.

Layout under the group given to `write_state` (all readable with plain h5py):

    objects/<Class>/...    one table per class of objects (agents, BMUs, PK models, processes): one row per
                           instance; `__index__` (int64) orders them; every attribute is a column named like
                           the attribute: int64/float64/bool columns where every row holds that type, else
                           `json` strings in the encoding below
    arrays/<path>          every numpy array of more than 16 elements, named after the first attribute path
                           that holds it (`VoxelGrid.bone_fraction`), gzip-compressed
    root                   attribute: JSON of the root object's reference
    mesa                   the Mesa model's bookkeeping: agents in registration order (`agent_order`, object
                           indices), the next agent id, both random generators' states (JSON attributes)

Encoding of one value (JSON): numbers, strings, booleans and null as themselves (floats round-trip exactly:
Python writes the shortest repr); {"r": i}: object number i; {"a": name}: array dataset; {"n": [dtype, shape,
values]}: small array; {"t": [...]}: tuple; {"l": [...]}: list; {"d": [[k, v], ...]}: dict (keys encoded too);
{"dd": [factory, pairs]}: defaultdict; {"q": [maxlen, items]}: deque; {"s": [...]}: set; {"x": [dtype, value]}:
numpy scalar; {"p": path}: pathlib.Path; {"g": state}: numpy Generator; {"m": [class, json]}: pydantic model;
{"nt": [class, items]}: named tuple; {"u": 1}: attribute not set on this instance. Lists, dicts and arrays shared by several owners are stored once
({"i": k, ...} at the first occurrence, {"c": k} after), so identity survives a round trip.
"""

from __future__ import annotations

import collections
import importlib
import itertools
import json
import pathlib
import random

import h5py
import mesa
import numpy as np
import pydantic

from engine.scratch import is_scratch

ARRAY_INLINE_MAX = 16
_BUILTIN_FACTORIES = {"list": list, "dict": dict, "int": int, "float": float, "set": set}
_BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM, "MT19937": np.random.MT19937,
                   "Philox": np.random.Philox, "SFC64": np.random.SFC64}
#: Attributes of mesa.Model that Mesa rebuilds itself (bound methods and agent registries).
_MESA_MODEL_KEYS = {"_user_step", "step", "_agents", "_agents_by_type", "_all_agents", "rng", "random"}
#: gzip for size; fletcher32 so that a damaged chunk fails to read instead of restoring wrong numbers.
_COMPRESSION = dict(compression="gzip", compression_opts=4, shuffle=True, fletcher32=True)


_UNSET = {"u": 1}


class StateError(Exception):
    """The state cannot be written or read; the message says which value or name is the problem."""


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _trusted(module: str) -> bool:
    """The engine's own modules, and the modules of registered drugs (a drug registered from outside the
    engine, e.g. a test's, has its PK objects in the state)."""
    if module == "engine" or module.startswith("engine."):
        return True
    from engine.pharmacology.registry import trusted_modules
    return module in trusted_modules()


def _engine_class(name: str) -> type:
    """The engine class a stored name refers to; anything outside the engine's own modules is refused."""
    module, _, qualname = name.partition(":")
    if not _trusted(module) or not qualname or "<" in qualname:
        raise StateError(f"refers to {name!r}, which is not one of this engine's classes (refused)")
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise StateError(f"refers to {name!r}, which this engine does not have") from None
    if not isinstance(obj, type):
        raise StateError(f"refers to {name!r}, which is not a class (refused)")
    return obj


# --- writing ---------------------------------------------------------------------------------------
class _Encoder:
    def __init__(self):
        self.objects: list = []          # index -> object
        self.object_index: dict[int, int] = {}
        self.shared: dict[int, int] = {}  # id(container or array) -> shared number
        self.keep_alive: list = []       # containers whose id() must stay unique while encoding
        self.arrays: dict[str, np.ndarray] = {}
        self.encoded: list = []          # index -> {attribute: encoded value}
        self.name_count: dict[str, int] = {}

    def ref(self, obj) -> dict:
        key = id(obj)
        if key not in self.object_index:
            self.object_index[key] = len(self.objects)
            self.objects.append(obj)
        return {"r": self.object_index[key]}

    def run(self, root) -> dict:
        top = self.ref(root)
        done = 0
        while done < len(self.objects):
            obj = self.objects[done]
            self.encoded.append(self.state_of(obj, type(obj).__qualname__))
            done += 1
        return top

    def state_of(self, obj, path: str) -> dict:
        items = [(k, v) for k, v in vars(obj).items() if not is_scratch(k)]  # work buffers (engine.scratch)
        if isinstance(obj, mesa.Model):
            items = [(k, v) for k, v in items if k not in _MESA_MODEL_KEYS]
        return {k: self.value(v, f"{path}.{k}") for k, v in items}

    def _shared(self, value) -> tuple[dict | None, int]:
        key = id(value)
        if key in self.shared:
            return {"c": self.shared[key]}, -1
        number = len(self.shared)
        self.shared[key] = number
        self.keep_alive.append(value)
        return None, number

    def value(self, v, path: str):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)) and type(v) in (int, float):
            return v
        if isinstance(v, np.generic):
            return {"x": [v.dtype.str, v.item()]}
        if isinstance(v, np.ndarray):
            seen, number = self._shared(v)
            if seen:
                return seen
            if v.dtype.kind not in "biuf":
                raise StateError(f"{path}: array of dtype {v.dtype} cannot be stored")
            if v.size <= ARRAY_INLINE_MAX:
                return {"i": number, "n": [v.dtype.str, list(v.shape), v.ravel().tolist()]}
            name = path.replace("/", "_")
            seen_count = self.name_count.get(name, 0)
            self.name_count[name] = seen_count + 1
            if seen_count:
                name = f"{name}.{seen_count}"
            self.arrays[name] = v
            return {"i": number, "a": name}
        if isinstance(v, tuple) and hasattr(type(v), "_fields"):
            return {"nt": [_class_name(type(v)), [self.value(x, f"{path}.{f}") for f, x in zip(v._fields, v)]]}
        if type(v) is tuple:
            return {"t": [self.value(x, f"{path}[{i}]") for i, x in enumerate(v)]}
        if type(v) is list:
            seen, number = self._shared(v)
            return seen or {"i": number, "l": [self.value(x, f"{path}[{i}]") for i, x in enumerate(v)]}
        if type(v) is collections.defaultdict:
            seen, number = self._shared(v)
            factory = getattr(v.default_factory, "__name__", None)
            if factory not in _BUILTIN_FACTORIES:
                raise StateError(f"{path}: defaultdict of {v.default_factory!r} cannot be stored")
            return seen or {"i": number, "dd": [factory, self._pairs(v, path)]}
        if type(v) is dict:
            seen, number = self._shared(v)
            return seen or {"i": number, "d": self._pairs(v, path)}
        if type(v) is collections.deque:
            seen, number = self._shared(v)
            return seen or {"i": number, "q": [v.maxlen, [self.value(x, f"{path}[{i}]") for i, x in enumerate(v)]]}
        if type(v) in (set, frozenset):
            return {"s": [self.value(x, path) for x in v]}
        if isinstance(v, pathlib.PurePath):
            return {"p": str(v)}
        if isinstance(v, np.random.Generator):
            return {"g": v.bit_generator.state}
        if isinstance(v, pydantic.BaseModel):
            return {"m": [_class_name(type(v)), v.model_dump_json()]}
        cls = type(v)
        if _trusted(cls.__module__) and hasattr(v, "__dict__") and not isinstance(v, type):
            return self.ref(v)
        raise StateError(f"{path}: a {cls.__module__}.{cls.__qualname__} cannot be stored in a checkpoint")

    def _pairs(self, d: dict, path: str) -> list:
        return [[self.value(k, f"{path}[key]"), self.value(x, f"{path}[{k!r}]")] for k, x in d.items()]


def _column(values: list) -> tuple[np.ndarray, str]:
    """The most specific HDF5 column for one attribute over all rows of a table, and its kind."""
    kinds = {type(v) for v in values}
    if values and kinds == {int}:
        try:
            return np.array(values, np.int64), "int"
        except OverflowError:
            pass
    if values and kinds == {float}:
        return np.array(values, np.float64), "float"
    if kinds == {bool}:
        return np.array(values, np.bool_), "bool"
    if kinds == {str}:
        return _utf8(values), "str"
    return _utf8([json.dumps(v, allow_nan=True) for v in values]), "json"


def _utf8(strings: list[str]) -> np.ndarray:
    """Fixed-length UTF-8 bytes (HDF5 compresses and checksums these; variable-length strings it cannot)."""
    raw = [x.encode("utf-8") for x in strings]
    return np.array(raw, dtype=f"S{max([1, *map(len, raw)])}")


def write_state(group: h5py.Group, root) -> None:
    """Write `root` (a BoneModel, or any engine object) and everything it refers to into `group`."""
    enc = _Encoder()
    top = enc.run(root)
    group.attrs["root"] = json.dumps(top)
    tables: dict[type, list[int]] = {}
    for index, obj in enumerate(enc.objects):
        tables.setdefault(type(obj), []).append(index)
    objects = group.create_group("objects")
    for cls, rows in tables.items():
        table = objects.create_group(cls.__qualname__ if cls.__qualname__ not in objects else _class_name(cls))
        table.attrs["class"] = _class_name(cls)
        table.create_dataset("__index__", data=np.array(rows, np.int64), **_COMPRESSION)
        names = list(dict.fromkeys(k for i in rows for k in enc.encoded[i]))
        table.attrs["attributes"] = json.dumps(names)
        for name in names:
            # {"u": 1}: this instance does not have the attribute (set on some instances only)
            data, kind = _column([enc.encoded[i].get(name, _UNSET) for i in rows])
            ds = table.create_dataset(name, data=data, **_COMPRESSION)
            ds.attrs["kind"] = kind
    arrays = group.create_group("arrays")
    for name, arr in enc.arrays.items():
        arrays.create_dataset(name, data=arr, chunks=True, **_COMPRESSION)
    if isinstance(root, mesa.Model):
        _write_mesa(group.create_group("mesa"), root, enc)


def _write_mesa(group: h5py.Group, model: mesa.Model, enc: _Encoder) -> None:
    counter = mesa.Agent._ids[model]
    next_id = next(counter)
    mesa.Agent._ids[model] = itertools.count(next_id)
    order = []
    for agent in model._agents:
        if id(agent) not in enc.object_index:
            raise StateError(f"agent {agent.unique_id} ({type(agent).__qualname__}) is not reachable from the model")
        order.append(enc.object_index[id(agent)])
    group.create_dataset("agent_order", data=np.array(order, np.int64), **_COMPRESSION)
    group.attrs["next_agent_id"] = int(next_id)
    group.attrs["numpy_generator"] = json.dumps(model.rng.bit_generator.state)
    version, internal, gauss = model.random.getstate()
    group.attrs["python_random"] = json.dumps([version, list(internal), gauss])


# --- reading ---------------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, group: h5py.Group):
        self.group = group
        self.objects: list = []
        self.shared: dict[int, object] = {}

    def value(self, v):
        if not isinstance(v, dict):
            return v
        if len(v) == 1 and "r" in v:
            return self.objects[v["r"]]
        if len(v) == 1 and "c" in v:
            return self.shared[v["c"]]
        if "n" in v:
            dtype, shape, values = v["n"]
            return self._keep(v, np.array(values, dtype=np.dtype(dtype)).reshape(shape))
        if "a" in v:
            return self._keep(v, self.group["arrays"][v["a"]][()])
        if "l" in v:
            out = self._keep(v, [])
            out.extend(self.value(x) for x in v["l"])
            return out
        if "d" in v:
            out = self._keep(v, {})
            out.update((self._key(k), self.value(x)) for k, x in v["d"])
            return out
        if "dd" in v:
            factory, pairs = v["dd"]
            if factory not in _BUILTIN_FACTORIES:
                raise StateError(f"defaultdict factory {factory!r} refused")
            out = self._keep(v, collections.defaultdict(_BUILTIN_FACTORIES[factory]))
            out.update((self._key(k), self.value(x)) for k, x in pairs)
            return out
        if "q" in v:
            maxlen, items = v["q"]
            out = self._keep(v, collections.deque(maxlen=maxlen))
            out.extend(self.value(x) for x in items)
            return out
        if "t" in v:
            return tuple(self.value(x) for x in v["t"])
        if "s" in v:
            return {self._key(x) for x in v["s"]}
        if "x" in v:
            dtype, value = v["x"]
            dt = np.dtype(dtype)
            if dt.kind not in "biuf":
                raise StateError(f"numpy scalar of dtype {dtype!r} refused")
            return dt.type(value)
        if "p" in v:
            return pathlib.Path(v["p"])
        if "g" in v:
            return _generator(v["g"])
        if "m" in v:
            name, text = v["m"]
            cls = _engine_class(name)
            if not issubclass(cls, pydantic.BaseModel):
                raise StateError(f"{name!r} is not a pydantic model (refused)")
            return cls.model_validate_json(text)
        if "nt" in v:
            name, items = v["nt"]
            cls = _engine_class(name)
            if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
                raise StateError(f"{name!r} is not a named tuple (refused)")
            return cls(*(self.value(x) for x in items))
        raise StateError(f"unknown value encoding {sorted(v)}")

    def _key(self, k):
        k = self.value(k)
        return tuple(k) if isinstance(k, list) else k

    def _keep(self, v: dict, out):
        self.shared[v["i"]] = out
        return out


def _generator(state: dict) -> np.random.Generator:
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise StateError(f"random generator {name!r} refused")
    bit_generator = _BIT_GENERATORS[name]()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def read_state(group: h5py.Group):
    """Rebuild the object written by `write_state` (refusing any class outside the engine)."""
    dec = _Decoder(group)
    tables = []
    count = 0
    for table in group["objects"].values():
        cls = _engine_class(str(table.attrs["class"]))
        rows = table["__index__"][()]
        names = json.loads(table.attrs["attributes"])
        columns = {}
        for name in names:
            ds = table[name]
            kind = ds.attrs["kind"]
            if kind == "json":
                columns[name] = [json.loads(x.decode("utf-8")) for x in ds[()]]
            elif kind == "str":
                columns[name] = [x.decode("utf-8") for x in ds[()]]
            elif kind in ("int", "float", "bool"):
                columns[name] = ds[()].tolist()
            else:
                raise StateError(f"{table.name}/{name}: unknown column kind {kind!r}")
        tables.append((cls, rows, names, columns))
        count += len(rows)
    dec.objects = [None] * count
    for cls, rows, _, _ in tables:
        for i in rows:
            dec.objects[int(i)] = cls.__new__(cls)  # no __init__: the state below is the whole object
    if any(o is None for o in dec.objects):
        raise StateError("object tables do not cover every object index (damaged state)")
    pending = sorted((int(i), cls, row, names, columns) for cls, rows, names, columns in tables
                     for row, i in enumerate(rows))
    root = dec.objects[json.loads(group.attrs["root"])["r"]]
    if isinstance(root, mesa.Model):
        _prepare_mesa(root, group["mesa"])
    for index, _, row, names, columns in pending:  # the order they were written: shared values come first
        obj = dec.objects[index]
        state = {name: dec.value(columns[name][row]) for name in names if columns[name][row] != _UNSET}
        if isinstance(obj, mesa.Model):
            state = {k: v for k, v in state.items() if k not in _MESA_MODEL_KEYS}
        obj.__dict__.update(state)
    if isinstance(root, mesa.Model):
        _finish_mesa(root, group["mesa"], dec)
    return root


def _prepare_mesa(model: mesa.Model, group: h5py.Group) -> None:
    mesa.Model.__init__(model, rng=0)  # Mesa's own registries and the wrapped step
    model.rng = _generator(json.loads(group.attrs["numpy_generator"]))
    version, internal, gauss = json.loads(group.attrs["python_random"])
    model.random = random.Random()
    model.random.setstate((version, tuple(internal), gauss))
    model._all_agents = mesa.agent.AgentSet([], random=model.random)


def _finish_mesa(model: mesa.Model, group: h5py.Group, dec: _Decoder) -> None:
    for index in group["agent_order"][()]:
        agent = dec.objects[int(index)]
        if not isinstance(agent, mesa.Agent):
            raise StateError(f"object {int(index)} in the agent order is not an agent")
        model.register_agent(agent)
    mesa.Agent._ids[model] = itertools.count(int(group.attrs["next_agent_id"]))

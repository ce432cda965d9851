"""Load a scenario YAML file into a validated `Scenario`, or fail with one clear line per problem.

Every failure is a `ScenarioError` whose lines read like

    scenarios/broken.yaml:14: regimen[1].interval_days = -30: Input should be greater than 0

naming the file, the line, the YAML path, the offending value and what is allowed. Unknown keys
get the nearest valid key suggested. Nothing here lets a traceback reach the user.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from engine.scenario import consistency
from engine.scenario.consistency import Problem
from engine.scenario.schema import Scenario


class ScenarioError(Exception):
    """A scenario cannot be used. `str(error)` is one line per problem, ready for stderr."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}{p}" for p in problems))


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with where it came from (for relative paths, output names and provenance)."""

    scenario: Scenario
    text: str
    source: str
    base_dir: Path = field(default=Path("."))

    @property
    def name(self) -> str:
        if self.scenario.name:
            return self.scenario.name
        stem = Path(self.source).stem
        return stem if stem and not stem.startswith("<") else "scenario"

    def arm(self, name: str) -> "LoadedScenario":
        """This scenario with arm `name` as its regimen (named <scenario>_<arm>). KeyError if no such arm."""
        regimen = self.scenario.arms[name]
        scenario = self.scenario.model_copy(update={"regimen": regimen, "arms": {},
                                                    "name": f"{self.name}_{name}"})
        return LoadedScenario(scenario=scenario, text=self.text, source=self.source, base_dir=self.base_dir)

    def resolved_json(self) -> str:
        """The fully resolved scenario (all defaults filled in) as JSON."""
        return json.dumps(self.scenario.model_dump(mode="json"), sort_keys=True)

    def resolved_hash(self) -> str:
        return hashlib.sha256(self.resolved_json().encode()).hexdigest()


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read and validate a scenario file."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, [": file not found"])
    if path.is_dir():
        raise ScenarioError(source, [": is a folder, expected a scenario .yaml file"])
    problem, text = read_yaml_text(path, "a scenario")
    if problem:
        raise ScenarioError(source, [problem])
    return scenario_from_text(text, source=source, base_dir=path.parent)


def load_with_base(path: str | Path, root: type[BaseModel], error: type["ScenarioError"], what: str,
                   keys: str) -> tuple[BaseModel, str, dict[tuple, int], "LoadedScenario"]:
    """A YAML file of model `root` that names a `base_scenario` (trials, sweeps): (validated model, text, line
    of each YAML path, the loaded base scenario), or `error` with one line per problem (`what`: "a trial";
    `keys`: the top-level keys named when the file is not a mapping)."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise error(source, [": file not found" if not path.exists() else ": is not a file"])
    problem, text = read_yaml_text(path, what)
    if problem:
        raise error(source, [problem])
    data, lines = parse_yaml(text, source, error)
    if not isinstance(data, dict):
        raise error(source, [f": the top level must be a mapping ({keys})"])
    try:
        model = root.model_validate(data)
    except ValidationError as exc:
        raise error(source, [_format_pydantic_error(err, data, lines, root=root)
                             for err in exc.errors(include_url=False)]) from None
    try:
        base = load_scenario(path.parent / model.base_scenario)
    except ScenarioError as exc:
        where = _line_prefix(("base_scenario",), lines)
        raise error(source, [f"{where}: base_scenario = {model.base_scenario!r}: {p.lstrip(': ')}"
                             for p in exc.problems]) from None
    return model, text, lines, base


def set_dotted(data: dict, dotted: str, value) -> None:
    """data["a"]["b"]["c"] = value for "a.b.c", creating the sections on the way."""
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def read_yaml_text(path: Path, what: str) -> tuple[str | None, str]:
    """(problem, text) of a YAML file: the problem (": ...", to follow the path) says what the file is when it
    is not YAML text — an HDF5 output of bmu, another binary file — instead of a decoding error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return f": cannot be read ({exc.strerror or exc})", ""
    if raw.startswith(HDF5_SIGNATURE):
        return (f": is an HDF5 file (a results.h5, trial.h5 or checkpoint written by bmu), not {what} YAML; look "
                "at it with `bmu inspect FILE`, plot a results.h5 with `bmu plot FILE`"), ""
    try:
        return None, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f": is not a text file (byte {exc.start} is not UTF-8); {what} is a YAML text file "
                "(see scenarios/README.md)"), ""


def scenario_from_text(text: str, source: str = "<string>", base_dir: Path | str = ".") -> LoadedScenario:
    """Parse YAML text and validate it (the file-free entry point, used by tests)."""
    data, lines = parse_yaml(text, source)
    return scenario_from_dict(data, source=source, base_dir=Path(base_dir), lines=lines, text=text)


def parse_yaml(text: str, source: str, error: type[ScenarioError] = ScenarioError) -> tuple[object, dict[tuple, int]]:
    """YAML text → (data, line of each YAML path); syntax errors and duplicated keys raise `error`
    (ScenarioError, or a subclass such as the trial loader's) with file:line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        problem = _alias_problem(node)
        if problem:
            raise error(source, [problem])
        data = yaml.safe_load(text)
    except RecursionError:
        raise error(source, [": invalid YAML: nested too deeply"]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise error(source, [f"{where}: invalid YAML syntax: {what}"]) from None
    except yaml.YAMLError as exc:
        raise error(source, [f": invalid YAML: {exc}"]) from None
    lines, duplicates = _line_map(node)
    if duplicates:
        raise error(source, [f":{line}: {_path_str(p)}: key appears twice; keep one" for p, line in duplicates])
    return data, lines


#: A scenario or trial has a few hundred values; aliases may not expand a file beyond this many.
MAX_YAML_VALUES = 100_000


def _alias_problem(node) -> str | None:
    """Aliases (`*name`) are trusted no further than this: one that refers to itself, or expansions beyond
    MAX_YAML_VALUES values (the "billion laughs" pattern), are refused before anything is built. Sizes are
    counted once per shared node, so the check is linear in the file, not in its expansion."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(n) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Refused(f":{n.start_mark.line + 1}: an alias refers to the value that contains it (recursive "
                           "YAML aliases are not allowed)")
        open_nodes.add(key)
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                total += size(item)
        open_nodes.discard(key)
        if total > MAX_YAML_VALUES:
            raise _Refused(f":{n.start_mark.line + 1}: YAML aliases expand this file to more than {MAX_YAML_VALUES:,} "
                           "values; allowed: a scenario or trial of ordinary size (write the values out)")
        sizes[key] = total
        return total

    try:
        if node is not None:
            size(node)
    except _Refused as refused:
        return str(refused)
    return None


class _Refused(Exception):
    pass


def scenario_from_dict(data: object, source: str = "<dict>", base_dir: Path | str = ".",
                       lines: dict[tuple, int] | None = None, text: str | None = None) -> LoadedScenario:
    """Validate already-parsed data. Raises `ScenarioError` (never anything else) on bad input."""
    lines = lines or {}
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(source, [f": the top level must be a mapping of keys (geometry, patient, ...), found {kind}"])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_format_pydantic_error(err, data, lines) for err in exc.errors(include_url=False)]
        raise ScenarioError(source, problems) from None
    base_dir = Path(base_dir)
    problems = consistency.check(scenario, base_dir)
    if problems:
        raise ScenarioError(source, [_format_problem(p, lines) for p in problems])
    if text is None:
        text = yaml.safe_dump(data, sort_keys=False)
    return LoadedScenario(scenario=scenario, text=text, source=source, base_dir=base_dir)


# ----------------------------------------------------------------------------------------------
# formatting

def _path_str(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = str(part)
        if not text.isprintable() or not text or any(ch in text for ch in ".[] "):
            text = repr(text)  # keep the message on one line and unambiguous
        out += f".{text}" if out else text
    return out or "(top level)"


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _line_prefix(path: tuple, lines: dict[tuple, int]) -> str:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return f":{lines[path[:n]]}"
    return ""


def _format_problem(problem: Problem, lines: dict[tuple, int]) -> str:
    value = f" = {_short(problem.value)}" if problem.has_value else ""
    return f"{_line_prefix(problem.path, lines)}: {_path_str(problem.path)}{value}: {problem.message}"


def _format_pydantic_error(err: dict, data: dict, lines: dict[tuple, int], root: type[BaseModel] = Scenario) -> str:
    path, model, node = _yaml_path(err["loc"], root)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = path[-1]
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
        message = f"unknown key; did you mean '{close[0]}'?" if close else f"unknown key; allowed here: {', '.join(allowed)}"
        return _format_problem(Problem(path, message), lines)
    if kind == "missing":
        fld = path[-1] if path else None
        info = model.model_fields.get(fld) if model is not None else None
        desc = f" ({info.description})" if info is not None and info.description else ""
        return _format_problem(Problem(path, f"required key is missing{desc}"), lines)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        ctx = err.get("ctx", {})
        field_name = str(ctx.get("discriminator", "type")).strip("'")
        allowed = ctx.get("expected_tags") or ", ".join(repr(t) for t in (node if isinstance(node, dict) else []))
        if kind == "union_tag_not_found":
            return _format_problem(Problem((*path, field_name), f"required key is missing; one of {allowed}"), lines)
        return _format_problem(Problem((*path, field_name), f"Input should be one of {allowed}",
                                       ctx.get("tag"), True), lines)
    message = err["msg"]
    value = err.get("input")
    if kind in ("int_parsing", "float_parsing", "int_from_float") or kind.startswith(("greater_than", "less_than")):
        if kind in ("int_parsing", "float_parsing") and isinstance(value, str) and _is_number(value):
            spelled = f"{int(float(value))}" if kind == "int_parsing" else f"{float(value):.1f} or {_yaml_float(value)}"
            message = f"{value} is text to YAML (an exponent without a decimal point); write {spelled}"
        elif kind in ("int_parsing", "int_from_float"):
            message = "expected a whole number"
        allowed = _allowed_range(model, path[-1] if path else None)
        if allowed:
            message = ("out of range" if kind.startswith(("greater_than", "less_than")) else message) + \
                f"; allowed: {allowed}"
    return _format_problem(Problem(path, message, value, "input" in err), lines)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _yaml_float(text: str) -> str:
    """`1e9` → `1.0e+9`, the spelling YAML 1.1 reads as a number."""
    mantissa, _, exponent = text.lower().partition("e")
    mantissa = mantissa if "." in mantissa else mantissa + ".0"
    exponent = exponent if exponent.startswith(("+", "-")) else "+" + exponent
    return f"{mantissa}e{exponent}"


def _allowed_range(model, field: object) -> str | None:
    """'1 to 36500' for a field with ge/gt/le/lt bounds, or None."""
    info = model.model_fields.get(field) if model is not None and isinstance(field, str) else None
    if info is None:
        return None
    low = high = None
    low_open = high_open = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            low = m.ge
        if getattr(m, "gt", None) is not None:
            low, low_open = m.gt, True
        if getattr(m, "le", None) is not None:
            high = m.le
        if getattr(m, "lt", None) is not None:
            high, high_open = m.lt, True
    if low is None and high is None:
        return None
    whole = info.annotation in (int, int | None)
    if whole and low_open:
        low, low_open = low + 1, False
    if whole and high_open:
        high, high_open = high - 1, False
    if low is not None and high is not None:
        return f"{low} to {high}" if not (low_open or high_open) else \
            f"{'above' if low_open else 'from'} {low} {'below' if high_open else 'up to'} {high}"
    if low is not None:
        return f"{'above' if low_open else 'at least'} {low}"
    return f"{'below' if high_open else 'at most'} {high}"


def _unwrap(annotation):
    """The BaseModel class reached through Optional/tuple/list/Annotated, or None."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin in (typing.Union, tuple, list) or str(origin) == "<class 'types.UnionType'>":
        models = [m for m in (_unwrap(a) for a in typing.get_args(annotation) if a is not Ellipsis) if m is not None]
        if len(models) == 1:
            return models[0]
        if models:
            return {m.model_fields["type"].annotation.__args__[0]: m for m in models}  # tagged union
    return None


def _yaml_path(loc: tuple, root: type[BaseModel] = Scenario) -> tuple[tuple, type[BaseModel] | None, object]:
    """Turn a pydantic `loc` into the YAML path (dropping union tags), the model at its parent, and what
    the path itself points to (a model class, a {tag: model} dict for a tagged union, or None)."""
    path: list = []
    model: object = root
    parent_model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(model, dict):  # tagged union: pydantic puts the tag in loc, YAML does not have it
            if part in model:
                model = model[part]
                continue
            model = None
        parent_model = model if isinstance(model, type) else None
        path.append(part)
        if isinstance(part, int):
            continue
        if isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
            model = _unwrap(model.model_fields[part].annotation)
        else:
            model = None
    return tuple(path), parent_model, model


def _line_map(node) -> tuple[dict[tuple, int], list[tuple[tuple, int]]]:
    """Map each YAML path to its 1-based line; also report keys that appear twice in a mapping."""
    lines: dict[tuple, int] = {}
    duplicates: list[tuple[tuple, int]] = []

    def walk(n, path: tuple):
        if isinstance(n, yaml.MappingNode):
            seen = set()
            for key_node, value_node in n.value:
                key = key_node.value
                sub = (*path, key)
                if key in seen:
                    duplicates.append((sub, key_node.start_mark.line + 1))
                seen.add(key)
                lines[sub] = key_node.start_mark.line + 1
                walk(value_node, sub)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return lines, duplicates

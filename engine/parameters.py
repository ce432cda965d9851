"""Parameter tables: name -> paper symbol -> unit -> value -> source, one row type for every table.

Like the `bone-models` package does for Pivonka and Martínez-Reina, every parameter is one `Parameter`
row that says where its value comes from, and a `note` where a paper and its code (or two papers)
disagree. A `ParameterTable` holds the rows of one model part (a drug's PK, a skeletal site's DXA
weights, ...) and gives them by attribute (`DENOSUMAB_PK.bioavailability.value`) or by name; the model
code reads values from a table, so the table is the single place a value is set.

Biology parameters are scenario keys: `engine.scenario.biology.BiologyParameters` (pydantic, for the
YAML checks) carries the same name, unit, value and source per field, and `biology_table()` gives them
as a ParameterTable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Parameter:
    name: str    # python name, unit in the name
    symbol: str  # symbol in the source paper or code
    unit: str
    value: float
    source: str
    note: str = ""
    #: values a scenario may set (`engine.scenario.consistency`): > minimum (≥ with minimum_inclusive), < maximum
    minimum: float = 0.0
    minimum_inclusive: bool = False
    maximum: float | None = None

    def allows(self, number: float) -> bool:
        above = number >= self.minimum if self.minimum_inclusive else number > self.minimum
        return above and (self.maximum is None or number < self.maximum)

    def allowed(self) -> str:
        """What `allows` accepts, in words for an error line."""
        low = f"{'>=' if self.minimum_inclusive else '>'} {self.minimum:g}"
        return low if self.maximum is None else f"{low} and < {self.maximum:g}"


class ParameterTable:
    """The rows of one table, by attribute or name (`table.x`, `table["x"]`), in order when iterated."""

    def __init__(self, *rows: Parameter):
        names = [p.name for p in rows]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in a table: {sorted(n for n in names if names.count(n) > 1)}")
        self.rows = tuple(rows)
        self._by_name = {p.name: p for p in rows}

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __getitem__(self, key: str | int) -> Parameter:
        """A row by name, or by position (a table is also a sequence of rows)."""
        return self.rows[key] if isinstance(key, (int, slice)) else self._by_name[key]

    def __getattr__(self, name: str) -> Parameter:
        by_name = self.__dict__.get("_by_name", {})
        if name in by_name:
            return by_name[name]
        raise AttributeError(f"no parameter {name!r} in this table; it has: {', '.join(by_name)}")

    def names(self) -> list[str]:
        return list(self._by_name)


def values(table) -> dict[str, float]:
    """{name: value} of a table."""
    return {p.name: p.value for p in table}


def with_overrides(table, overrides: dict[str, float] | None, what: str) -> dict[str, float]:
    """{name: value} of a table with per-patient overrides; an unknown name is a KeyError naming `what`."""
    p = values(table)
    if overrides:
        unknown = set(overrides) - set(p)
        if unknown:
            raise KeyError(f"unknown {what} parameters: {sorted(unknown)}")
        p.update(overrides)
    return p


def markdown(table) -> str:
    """The table as Markdown (for README files and issue notes)."""
    lines = ["| name | symbol | unit | value | source | note |", "|---|---|---|---|---|---|"]
    for p in table:
        cells = [f"`{p.name}`", p.symbol, p.unit, f"{p.value:g}", p.source, p.note]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def biology_table(biology=None) -> ParameterTable:
    """The biology parameters (defaults, or a scenario's values) as Parameter rows."""
    from engine.scenario.biology import BiologyParameters
    biology = biology or BiologyParameters()
    rows = []
    for name, field in type(biology).model_fields.items():
        extra = field.json_schema_extra or {}
        rows.append(Parameter(name, extra.get("symbol", "-"), extra.get("unit", ""), getattr(biology, name),
                              extra.get("source", ""), field.description or ""))
    return ParameterTable(*rows)

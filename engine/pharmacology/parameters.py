"""Parameter tables for drug models: name -> paper symbol -> unit -> value -> source.

Like the `bone-models` package does for Pivonka and Martínez-Reina, every drug parameter is one row that
says where its value comes from, and a `note` where a paper and its code (or two papers) disagree. The
model code reads values by name from a table, so the table is the single place a value is set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    name: str    # python name, unit in the name
    symbol: str  # symbol in the source paper or code
    unit: str
    value: float
    source: str
    note: str = ""


def values(table: tuple[Parameter, ...]) -> dict[str, float]:
    """{name: value} of a table."""
    return {p.name: p.value for p in table}


def with_overrides(table: tuple[Parameter, ...], overrides: dict[str, float] | None, what: str) -> dict[str, float]:
    """{name: value} of a table with per-patient overrides; an unknown name is a KeyError naming `what`."""
    p = values(table)
    if overrides:
        unknown = set(overrides) - set(p)
        if unknown:
            raise KeyError(f"unknown {what} parameters: {sorted(unknown)}")
        p.update(overrides)
    return p


def markdown(table: tuple[Parameter, ...]) -> str:
    """The table as Markdown (for README files and issue notes)."""
    lines = ["| name | symbol | unit | value | source | note |", "|---|---|---|---|---|---|"]
    for p in table:
        cells = [f"`{p.name}`", p.symbol, p.unit, f"{p.value:g}", p.source, p.note]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)

"""The drug registry: one `DrugModule` per drug, declared in that drug's own module.

A drug module says, in one place, everything the rest of the engine takes from it:
- `routes` and `dose_mg_range` (with the `usual_dose` shown when a dose is refused): the scenario checks
  (`engine.scenario.consistency`);
- `parameters`: its table (PK and action; `engine.parameters.ParameterTable`), whose names a scenario's
  `pharmacokinetics: {drug: {...}}` and a trial's variability may override;
- `make_pk(overrides, body_weight_kg)`: its PK model, which `DrugExposure` doses (`dose(mg, route)`),
  integrates (`advance(days)`, if it has one) and closes each day (`end_day()`, if it has one);
- how it reaches bone, by the capabilities its PK model offers:
    `rankl_kd_nM` set: a RANKL binder; the PK gives `marrow_nM` (free drug in the marrow), which binds RANKL
        with that K_D (`engine.signalling`; `kd_parameter` names the table row, so a patient may override it);
    `bone_seeking`: binds bone mineral; the PK gives `take_skeletal_uptake()`, `recycled()` and
        `p["osteoclast_ec50_uM"]` (`engine.processes.bone_drug`);
    `systemic_fold(name)` on the PK: multiplies a systemic factor (`rankl_fold_max`,
        `osteoblast_lifespan_fold_max`, `osteoblast_recruitment_fold_max`; `DrugExposure.fold`);
    `bone_processes`: what it adds to a process every patient has (today: "lining_cell_reactivation": its
        PK's `anabolic_effect` × `p["lining_activation_per_day_max"]` is added to the base rate of modeling-
        based formation, `engine.processes.systemic.lining_activation_per_day`);
- `readouts`: name -> Readout(units, long name, function of the model), recorded in every run;
- `view_presets`: regimens the browser view offers.

Adding a drug: write its module with a table, a PK class and a `register(DrugModule(...))` call, and list
the module in `BUILTIN_MODULES` (or import it before building a scenario: tests register a test-only drug
from the test file). Nothing else changes (engine/README.md, "Adding a drug").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.parameters import ParameterTable

#: the drugs that ship with the engine, in the order they are listed (schema docs, view presets)
BUILTIN_MODULES = ("engine.pharmacology.denosumab", "engine.pharmacology.bisphosphonates",
                   "engine.pharmacology.teriparatide")
#: K_D handed to the binding kernel when no RANKL binder is given (any positive value: the bound term is 0;
#: kept at denosumab's 3 pM so that untreated runs are bit-identical to engines before the registry)
NO_BINDER_KD_NM = 0.003


@dataclass(frozen=True)
class Readout:
    units: str       # UDUNITS string
    long_name: str
    value: Callable[[Any], float]  # function of the BoneModel


@dataclass(frozen=True)
class DrugModule:
    name: str
    description: str
    routes: tuple[str, ...]
    dose_mg_range: tuple[float, float]
    usual_dose: str
    parameters: ParameterTable
    make_pk: Callable[[dict[str, float], float | None], Any]
    rankl_kd_nM: float | None = None
    kd_parameter: str | None = None
    bone_seeking: bool = False
    bone_processes: tuple[str, ...] = ()
    readouts: dict[str, Readout] = field(default_factory=dict)
    view_presets: dict[str, tuple[dict, ...]] = field(default_factory=dict)


_REGISTRY: dict[str, DrugModule] = {}
_loaded = False


def register(module: DrugModule) -> DrugModule:
    """Add a drug (a second registration under the same name replaces the first: reloading a module)."""
    if not module.name.replace("_", "").isalnum():
        raise ValueError(f"drug name {module.name!r}: letters, digits and underscores only")
    _REGISTRY[module.name] = module
    return module


def unregister(name: str) -> None:
    """Remove a drug (tests that register a test-only drug clean up with this)."""
    _REGISTRY.pop(name, None)


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for name in BUILTIN_MODULES:
            importlib.import_module(name)


def drugs() -> dict[str, DrugModule]:
    """Every registered drug, by name."""
    _load_builtins()
    return dict(_REGISTRY)


def drug(name: str) -> DrugModule:
    """The registered drug `name`; KeyError with the allowed names otherwise."""
    registered = drugs()
    if name not in registered:
        raise KeyError(f"unknown drug {name!r}; allowed: {', '.join(registered)}")
    return registered[name]


def trusted_modules() -> set[str]:
    """Python modules of the registered drugs' PK models: a checkpoint may hold their objects
    (`engine.io.state` builds nothing else outside the engine)."""
    return {getattr(m.make_pk, "__module__", "") for m in drugs().values()} - {""}


def parameter_tables() -> dict[str, ParameterTable]:
    """{drug: its parameter table}: the names a scenario's `pharmacokinetics:` may override."""
    return {name: module.parameters for name, module in drugs().items()}


def drug_readouts() -> dict[str, Readout]:
    """Readouts declared by the registered drugs (recorded in every run; 0 when the drug is not given)."""
    out: dict[str, Readout] = {}
    for module in drugs().values():
        for name, readout in module.readouts.items():
            if name in out and out[name] is not readout:
                raise ValueError(f"readout {name!r} is declared by two drugs")
            out[name] = readout
    return out

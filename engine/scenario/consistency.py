"""Checks across fields of a validated Scenario, each reported at its exact YAML path.

pydantic checks one value at a time; these checks need two or more (the route allowed for a drug,
a volume that divides into whole voxels, a menopause after age 20...). Each returns `Problem`s
instead of raising, so a user sees every problem of a file at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.pharmacology import registry
from engine.scenario.schema import MicroCTVolume, Scenario

MAX_VOXELS = 512**3  # a guard against unit slips (1 µm voxels in a 1 mm volume = 1e9 voxels)
DEFAULT_FIELD_CELL_MIN_UM = 20.0

@dataclass(frozen=True)
class Problem:
    """One thing wrong in a scenario: where (YAML path), what value, and what is allowed."""

    path: tuple
    message: str
    value: object = None
    has_value: bool = False


def grid_shape(scenario: Scenario, micro_ct_shape: tuple[int, int, int] | None = None) -> tuple[int, int, int]:
    """Voxel counts (z, y, x) of the simulated volume."""
    g = scenario.geometry
    if g.volume_size_um is None:
        assert micro_ct_shape is not None
        return micro_ct_shape
    return tuple(int(round(s / g.voxel_size_um)) for s in g.volume_size_um)


def field_cell_factor(scenario: Scenario) -> int:
    """Voxels per field-grid cell edge (1 = fields solved at voxel resolution)."""
    voxel = scenario.geometry.voxel_size_um
    requested = scenario.numerics.field_cell_size_um
    if requested is None:
        return max(1, int(np.ceil(DEFAULT_FIELD_CELL_MIN_UM / voxel - 1e-9)))
    return int(round(requested / voxel))


def resolve_micro_ct_path(structure: MicroCTVolume, base_dir: Path) -> Path:
    path = Path(structure.path)
    return path if path.is_absolute() else base_dir / path


def check(scenario: Scenario, base_dir: Path) -> list[Problem]:
    """All cross-field problems of a scenario (empty list when it is consistent)."""
    return [*_check_geometry(scenario, base_dir), *_check_patient(scenario), *_check_regimen(scenario),
            *_check_pharmacokinetics(scenario), *_check_biology(scenario)]


def _check_biology(s: Scenario) -> list[Problem]:
    """Osteoblast fates are shares of one cohort: osteocyte + lining may not exceed 1 (the rest is apoptosis)."""
    b = s.biology
    total = b.osteoblast_to_osteocyte_fraction + b.osteoblast_to_lining_fraction
    if total > 1.0:
        return [Problem(("biology", "osteoblast_to_lining_fraction"),
                        f"osteoblast_to_osteocyte_fraction + osteoblast_to_lining_fraction = {total:g}; allowed: "
                        f"at most 1 (the rest of the osteoblasts die by apoptosis)",
                        b.osteoblast_to_lining_fraction, True)]
    return []


def _is_multiple(value: float, unit: float) -> bool:
    ratio = value / unit
    return abs(ratio - round(ratio)) < 1e-6 * max(1.0, ratio) and round(ratio) >= 1


def _too_many_voxels(counts, voxel_size_um: float) -> list[Problem]:
    """The voxel cap, checked on (possibly fractional) counts per axis before anything is allocated."""
    total = math.prod(float(n) for n in counts)  # Python floats: a silly size overflows to inf without a warning
    if total <= MAX_VOXELS:
        return []
    return [Problem(("geometry", "voxel_size_um"),
                    f"gives {total:.3g} voxels in the volume, more than the limit {MAX_VOXELS:.3g} "
                    "(check the units: sizes are in µm)", voxel_size_um, True)]


def _check_geometry(s: Scenario, base_dir: Path) -> list[Problem]:
    g = s.geometry
    problems: list[Problem] = []
    shape = None
    if isinstance(g.structure, MicroCTVolume):
        from engine.grid.micro_ct import SUFFIXES, inspect_volume, is_volume_path

        path = resolve_micro_ct_path(g.structure, base_dir)
        where = ("geometry", "structure", "path")
        if not is_volume_path(path):
            return [Problem(where, f"µCT volumes are read from a numpy .npy file, a multi-page TIFF stack or a folder "
                                   f"of TIFF slices ({', '.join(SUFFIXES)})", g.structure.path, True)]
        if not path.exists():
            return [Problem(where, f"file not found (looked for {path})", g.structure.path, True)]
        try:
            info = inspect_volume(path)
        except Exception as exc:  # any unreadable file: say so, never a traceback
            return [Problem(where, f"cannot be read as a µCT volume ({exc.__class__.__name__}: {exc})",
                            g.structure.path, True)]
        if len(info.shape) != 3 or min(info.shape) < 4:
            return [Problem(where, f"must hold a 3-D array with at least 4 voxels per axis, found shape {info.shape}",
                            g.structure.path, True)]
        if not (info.dtype == bool or np.issubdtype(info.dtype, np.number)):
            return [Problem(where, f"must hold numbers or booleans, found dtype {info.dtype}", g.structure.path, True)]
        if info.voxel_size_um is not None:
            calibrated = info.voxel_size_um
            if max(calibrated) / min(calibrated) > 1.01:
                return [Problem(where, "has anisotropic voxels (z, y, x = "
                                + ", ".join(f"{v:g}" for v in calibrated) + " µm); the engine needs cubic voxels: "
                                "resample the stack first", g.structure.path, True)]
            if abs(calibrated[2] / g.voxel_size_um - 1.0) > 0.01:
                return [Problem(("geometry", "voxel_size_um"), f"does not match the µCT file's calibration "
                                f"({calibrated[2]:g} µm per voxel in {path.name}); set voxel_size_um: {calibrated[2]:g}",
                                g.voxel_size_um, True)]
        shape = info.shape
        if too_many := _too_many_voxels(shape, g.voxel_size_um):
            return too_many
        if g.volume_size_um is not None:
            expected = tuple(n * g.voxel_size_um for n in shape)
            if any(abs(a - b) > 1e-6 * b for a, b in zip(g.volume_size_um, expected)):
                problems.append(Problem(("geometry", "volume_size_um"),
                                        f"does not match the µCT array: shape {shape} x {g.voxel_size_um} µm = "
                                        f"{list(expected)} µm (omit volume_size_um to take it from the array)",
                                        list(g.volume_size_um), True))
                return problems
    elif g.volume_size_um is None:
        return [Problem(("geometry", "volume_size_um"),
                        "is required for synthetic_trabecular geometry: edge lengths [z, y, x] in µm, e.g. [1000, 1000, 1000]")]
    else:
        if too_many := _too_many_voxels([size / g.voxel_size_um for size in g.volume_size_um], g.voxel_size_um):
            return too_many
        for axis, size in enumerate(g.volume_size_um):
            if not _is_multiple(size, g.voxel_size_um):
                problems.append(Problem(("geometry", "volume_size_um", axis),
                                        f"must be a whole multiple of voxel_size_um = {g.voxel_size_um} µm",
                                        size, True))
        if problems:
            return problems
        shape = grid_shape(s)
        if min(shape) < 4:
            return [Problem(("geometry", "volume_size_um"),
                            f"gives {shape} voxels; at least 4 voxels per axis are needed", list(g.volume_size_um), True)]
    cell = s.numerics.field_cell_size_um
    if cell is not None:
        if not _is_multiple(cell, g.voxel_size_um):
            problems.append(Problem(("numerics", "field_cell_size_um"),
                                    f"must be a whole multiple of voxel_size_um = {g.voxel_size_um} µm", cell, True))
        else:
            factor = field_cell_factor(s)
            if any(n % factor for n in shape):
                problems.append(Problem(("numerics", "field_cell_size_um"),
                                        f"must divide the volume evenly: {shape} voxels are not multiples of {factor}",
                                        cell, True))
    elif any(n % field_cell_factor(s) for n in shape):
        problems.append(Problem(("numerics", "field_cell_size_um"),
                                f"the default field cell ({field_cell_factor(s)} voxels) does not divide the volume "
                                f"{shape}; set numerics.field_cell_size_um to a multiple of {g.voxel_size_um} µm that does"))
    return problems


def _check_patient(s: Scenario) -> list[Problem]:
    p = s.patient
    ysm = p.years_since_menopause
    if ysm is None:
        return []
    where = ("patient", "years_since_menopause")
    if p.sex == "male":
        return [Problem(where, "applies to women only; omit it (or set null) for sex: male", ysm, True)]
    if ysm > p.age_years - 20:
        return [Problem(where, f"implies menopause before age 20 (age_years = {p.age_years}); "
                               f"allowed: 0 to {p.age_years - 20:g}", ysm, True)]
    return []


def _check_pharmacokinetics(s: Scenario) -> list[Problem]:
    """Overrides name a registered drug and a row of its table, with a value the row allows (> 0 unless it says)."""
    problems: list[Problem] = []
    tables = registry.parameter_tables()
    for drug, overrides in s.pharmacokinetics.items():
        if drug not in tables:
            problems.append(Problem(("pharmacokinetics", drug), f"is not a known drug; allowed: {', '.join(tables)}"))
            continue
        known = tables[drug].names()
        for name, number in overrides.items():
            if name not in known:
                problems.append(Problem(("pharmacokinetics", drug, name),
                                        f"unknown {drug} PK parameter {name!r}; allowed: {', '.join(known)}"))
            elif not tables[drug][name].allows(number):
                problems.append(Problem(("pharmacokinetics", drug, name),
                                        f"{name} must be {tables[drug][name].allowed()}", number, True))
    return problems


def _check_regimen(s: Scenario) -> list[Problem]:
    problems = _check_dosing_lines(s.regimen, ("regimen",)) + doses_after_end(s.regimen, ("regimen",), s.duration_days)
    for name, lines in s.arms.items():
        problems += _check_dosing_lines(lines, ("arms", name)) + doses_after_end(lines, ("arms", name), s.duration_days)
    if s.arms and s.regimen:
        problems.append(Problem(("regimen",), "must be empty when arms are given (each arm is a full regimen; "
                                              f"arms: {', '.join(s.arms)})"))
    return problems


def doses_after_end(lines, where: tuple, duration_days: int) -> list[Problem]:
    """A dosing line whose first dose comes at or after the last simulated day gives no dose at all: almost
    always a slip (days written as months, a run shortened); refused rather than run without the drug. (Later
    doses of a line that has started may fall after the end: a regimen is often written for longer than a run.)"""
    return [Problem((*where, i, "start_day"), f"is not before the end of the run (duration_days = {duration_days}), so "
                    "this line gives no dose; start it earlier or make the run longer", dose.start_day, True)
            for i, dose in enumerate(lines) if dose.start_day >= duration_days]


def _check_dosing_lines(lines, where: tuple) -> list[Problem]:
    """Each line's drug is registered, its route one of the drug's and its dose inside the drug's range (a dose
    outside it is almost always a unit slip, µg written as mg: refused with the labelled dose)."""
    problems: list[Problem] = []
    drugs = registry.drugs()
    for i, dose in enumerate(lines):
        if dose.drug not in drugs:
            problems.append(Problem((*where, i, "drug"), f"is not a known drug; allowed: {', '.join(drugs)}",
                                    dose.drug, True))
            continue
        rules = drugs[dose.drug]
        if dose.route not in rules.routes:
            problems.append(Problem((*where, i, "route"),
                                    f"is not a route for {dose.drug}; allowed: {', '.join(rules.routes)}",
                                    dose.route, True))
        low, high = rules.dose_mg_range
        if not low <= dose.dose_mg <= high:
            problems.append(Problem((*where, i, "dose_mg"),
                                    f"is outside {low:g}-{high:g} mg for {dose.drug} (usual: {rules.usual_dose})",
                                    dose.dose_mg, True))
        if dose.number_of_doses > 1 and dose.interval_days is None:
            problems.append(Problem((*where, i, "interval_days"),
                                    f"is required when number_of_doses = {dose.number_of_doses} > 1 (days between doses)"))
    return problems

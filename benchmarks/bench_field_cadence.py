"""Does the field cadence change the biology? The default woman's 1 mm³ volume with RANKL/OPG re-solved every
day (the default) and every 14 days, same seeds (both spun up at 14 days: `numerics.spin_up_field_update_days`).

    .venv/bin/python benchmarks/bench_field_cadence.py [--seeds 1 2 3 4] [--days 365]

For each cadence and seed: build, spin up, step `days` with readouts; per seed the year's mean ES/BS, OS/BS,
Ac.f, resorbed and formed matrix per day, RANK occupancy, osteoclasts and active BMUs, the RANK occupancy the
osteoclasts read over the marrow mean (`engine.signalling`, item 4) and their nuclei, the biopsy BMD change at
the end, and the stepping cost. Prints mean ± SD over seeds for both cadences and the difference of the means in
units of its standard error, √(SD₁²/n + SD₂²/n) (|Δ/SE| > 2: beyond noise at ~95 %), and how much the converged
RANKL field itself moves from one day to the next (rms over the marrow, relative to its mean).
It then checks the solver's stopping tolerances (`numerics.field_solver_rtol` for RANKL, `opg_solver_rtol` for
OPG): each day of a default run, the fields as solved against the same day's equations solved to 1e-10, and
the RANK occupancy binding gives with each (rms and worst field cell, relative to the marrow mean), with OPG
re-solved daily (the default) and every third day.
Before the osteoclasts read the marrow around them (sources in open cells), daily fields moved OS/BS by +2.8
and formation by +3.5 standard errors (4 seeds), which kept the default at 14 days. Writes
outputs/benchmarks/bench_field_cadence.md. About 6 minutes on 2 cores with the defaults (12 seeds).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from engine.agents.osteoclast import Osteoclast
from engine.kernels.binding import bind_rankl
from engine.kernels.fields import solve_cg
from engine.kernels.multigrid import prolong_into_marrow, restrict, solve_mgcg
from engine.model import BoneModel
from engine.readouts import record
from engine.scenario import load_scenario
from engine.units import DAYS_PER_YEAR

REPO = Path(__file__).resolve().parents[1]
READOUTS = ("eroded_surface_pct", "osteoid_surface_pct", "activation_frequency_per_year", "resorbed_um3_per_day",
            "formed_um3_per_day", "rank_occupancy", "n_osteoclasts", "n_active_bmus")


def scenario(seed: int, field_update_days: int | None = None, opg_update_every: int | None = None):
    """The default scenario with its own model seed and microstructure for `seed` (also bench_agent_balance.py and
    bench_spin_up.py), and the field cadences given (default: the scenario's own)."""
    loaded = load_scenario(REPO / "scenarios" / "default.yaml")
    data = loaded.scenario.model_dump()
    data["seed"] = seed
    data["geometry"]["structure"]["seed"] = 7 + seed
    if field_update_days is not None:
        data["numerics"]["field_update_days"] = field_update_days
    if opg_update_every is not None:
        data["numerics"]["opg_update_every"] = opg_update_every
    return type(loaded.scenario).model_validate(data)


def one_run(seed: int, cadence: tuple[int, int], days: int) -> dict:
    model = BoneModel(scenario(seed, *cadence), whole_skeleton=False)
    model.spin_up()
    rows = []
    ratios, nuclei = [], []  # per osteoclast-day: the RANK occupancy it reads over the marrow mean, its nuclei
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
        rows.append(record(model))
        mean = model.precursors.rank_occupancy
        for cell in model.agents_by_type.get(Osteoclast, ()):
            ratios.append(model.local_rank_occupancy(cell.voxel) / mean)
            nuclei.append(cell.nuclei)
    t1 = time.perf_counter()
    result = {k: float(np.nanmean([r[k] for r in rows])) for k in READOUTS}
    result["osteoclast_site_occupancy_ratio"] = float(np.mean(ratios)) if ratios else float("nan")
    result["osteoclast_nuclei"] = float(np.mean(nuclei)) if nuclei else float("nan")
    result["biopsy_bmd_change_pct_at_end"] = rows[-1]["biopsy_bmd_change_pct"]
    result["s_per_simulated_year"] = (t1 - t0) * DAYS_PER_YEAR / days
    return result


def converged_rankl(model: BoneModel) -> np.ndarray:
    """Today's RANKL total solved tightly (1e-10) for today's sources and marrow, from zero."""
    sig, b = model.signalling, model.biology
    sig.refresh_geometry()
    positions, ids, rankl, _ = model.field_sources()
    sig.place_sources(positions, ids)
    rhs = sig._rhs(positions, rankl, b.rankl_diffusivity_um2_per_s)
    c = np.zeros_like(sig.marrow)
    solve_cg(c, sig.marrow, rhs, sig._alpha(b.rankl_decay_per_day, b.rankl_diffusivity_um2_per_s), 1e-10, 100000)
    return c


def day_to_day_field_change(seed: int) -> tuple[float, float]:
    """(rms relative change of the converged RANKL field over 1 day, over 14 days), after the spin-up."""
    model = BoneModel(scenario(seed, 1, 1), whole_skeleton=False)
    model.spin_up()
    before = converged_rankl(model)
    changes = []
    for days in (1, 13):
        for _ in range(days):
            model.step()
        now = converged_rankl(model)
        marrow = model.signalling.marrow > 0
        changes.append(float(np.sqrt(np.mean((now - before)[marrow] ** 2)) / before[marrow].mean()))
    return changes[0], changes[1]


def solver_errors(seed: int, days: int, opg_update_every: int) -> dict:
    """Mean (rms) and largest (worst field cell) error of the RANKL and OPG totals as solved, and of the RANK
    occupancy that binding gives with each of them (the other field exact), each relative to its marrow mean,
    against the same day's equations solved to 1e-10 (RANKL on the field grid, OPG on its 2x coarser grid, as
    the model solves them), over `days` days after the spin-up."""
    model = BoneModel(scenario(seed, 1, opg_update_every), whole_skeleton=False)
    model.spin_up()
    sig, b = model.signalling, model.biology
    update = model._update_fields
    errors = {key: [] for key in ("rankl", "opg", "occupancy from RANKL", "occupancy from OPG")}

    def relative(a: np.ndarray, ref: np.ndarray, marrow: np.ndarray) -> tuple[float, float]:
        d = (a - ref)[marrow]
        return float(np.sqrt(np.mean(d**2)) / ref[marrow].mean()), float(np.abs(d).max() / ref[marrow].mean())

    def occupancy(rankl: np.ndarray, opg: np.ndarray) -> np.ndarray:
        bound = [np.zeros_like(sig.marrow) for _ in range(5)]
        bind_rankl(rankl, opg, sig.drug_total_nM, sig.marrow, b.rankl_opg_kd_nM, sig.drug_kd_nM, b.rankl_rank_kd_nM,
                   *bound)
        return bound[4]

    def checked_update(solve_opg: bool = True) -> None:
        update(solve_opg)
        positions, _, rankl, opg = model.field_sources()  # as the day's update placed them
        hierarchy = sig._scratch_hierarchy
        rankl_rhs = sig._rhs(positions, rankl, b.rankl_diffusivity_um2_per_s).copy()
        rankl_ref = sig.rankl_total_nM.copy()
        solve_mgcg(hierarchy, rankl_ref, rankl_rhs, sig._alpha(b.rankl_decay_per_day, b.rankl_diffusivity_um2_per_s),
                   1e-10, 1000)
        opg_rhs = sig._rhs(positions, opg, b.opg_diffusivity_um2_per_s)
        opg_rhs_2x = np.empty(sig.opg_total_2x_nM.shape)
        restrict(opg_rhs, opg_rhs_2x)
        opg_ref_2x = sig.opg_total_2x_nM.copy()
        solve_mgcg(hierarchy.coarser(1), opg_ref_2x, opg_rhs_2x,
                   sig._alpha(b.opg_decay_per_day, b.opg_diffusivity_um2_per_s), 1e-10, 1000)
        opg_ref = np.empty_like(sig.opg_total_nM)
        prolong_into_marrow(opg_ref_2x, sig.marrow, opg_ref)
        marrow = sig.marrow > 0
        exact = occupancy(rankl_ref, opg_ref)
        errors["rankl"].append(relative(sig.rankl_total_nM, rankl_ref, marrow))
        errors["opg"].append(relative(sig.opg_total_nM, opg_ref, marrow))
        errors["occupancy from RANKL"].append(relative(occupancy(sig.rankl_total_nM, opg_ref), exact, marrow))
        errors["occupancy from OPG"].append(relative(occupancy(rankl_ref, sig.opg_total_nM), exact, marrow))

    model._update_fields = checked_update
    for _ in range(days):
        model.step()
    return {key: (float(np.mean([e[0] for e in v])), float(np.max([e[1] for e in v]))) for key, v in errors.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 13)))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--accuracy-days", type=int, default=60, help="days of the solver-tolerance check")
    args = parser.parse_args()
    cadences = {"every day (default)": (1, 1), "every 14 days": (14, 1)}
    results = {name: [one_run(seed, cadence, args.days) for seed in args.seeds] for name, cadence in cadences.items()}
    (a_name, a), (b_name, b) = results.items()
    lines = [f"# Field cadence: {len(args.seeds)} seeds x {args.days} days, 1 mm³, default woman", "",
             f"| readout (mean over the run) | {a_name}: mean ± SD | {b_name}: mean ± SD | Δ / SE |", "|---|---|---|---|"]
    for key in (*READOUTS, "osteoclast_site_occupancy_ratio", "osteoclast_nuclei", "biopsy_bmd_change_pct_at_end",
                "s_per_simulated_year"):
        x, y = np.array([r[key] for r in a]), np.array([r[key] for r in b])
        se = float(np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))) if len(x) > 1 else float("nan")
        lines.append(f"| {key} | {x.mean():.4g} ± {x.std(ddof=1):.2g} | {y.mean():.4g} ± {y.std(ddof=1):.2g} | "
                     f"{(y.mean() - x.mean()) / se if se else float('nan'):+.1f} |")
    one, fourteen = day_to_day_field_change(args.seeds[0])
    lines += ["", f"Converged RANKL field, rms change over the marrow relative to its mean: {100 * one:.0f} % in one day, "
              f"{100 * fourteen:.0f} % in 14 days (seed {args.seeds[0]}, after the spin-up)."]
    n = scenario(args.seeds[0], 1, 1).numerics
    lines += ["", f"## Solver tolerances: the fields as solved against the same day's equations solved to 1e-10",
              "", f"RANKL stops at `field_solver_rtol` = {n.field_solver_rtol:g}, OPG at `opg_solver_rtol` = "
              f"{n.opg_solver_rtol:g} (estimated energy-norm error); seed {args.seeds[0]}, {args.accuracy_days} days "
              "after the spin-up. Errors relative to the marrow mean: rms over the marrow (mean over days) / worst "
              "field cell (worst day).", "",
              "| OPG re-solved | RANKL total | OPG total | RANK occupancy from RANKL's error | from OPG's |",
              "|---|---|---|---|---|"]
    for label, every in (("every day (default)", 1), ("every third day", 3)):
        e = solver_errors(args.seeds[0], args.accuracy_days, every)
        lines.append(f"| {label} | " + " | ".join(f"{v[0]:.1e} / {v[1]:.1e}" for v in e.values())
                     + " |")
    text = "\n".join(lines)
    print(text)
    out = REPO / "outputs" / "benchmarks" / "bench_field_cadence.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

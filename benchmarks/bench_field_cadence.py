"""Does the field cadence change the biology? The default woman's 1 mm³ volume with RANKL/OPG re-solved every
14 days (the default, the cadence the biology was calibrated at) and every day, same seeds.

    .venv/bin/python benchmarks/bench_field_cadence.py [--seeds 1 2 3 4] [--days 365]

For each cadence and seed: build, spin up, step `days` with readouts; per seed the year's mean ES/BS, OS/BS,
Ac.f, resorbed and formed matrix per day, RANK occupancy, osteoclasts and active BMUs, the biopsy BMD change
at the end, and the stepping cost. Prints mean ± SD over seeds for both cadences and the difference of the
means in units of its standard error, √(SD₁²/n + SD₂²/n) (|Δ/SE| > 2: beyond noise at ~95 %), and how much
the converged RANKL field itself moves from one day to the next (rms over the marrow, relative to its mean).
With 4 seeds only large effects clear 2 SE; `tests/validation/test_bmu_histomorphometry.py` pools 10 seeds. Writes outputs/benchmarks/bench_field_cadence.md.
About 4 minutes on 2 cores with the defaults.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from engine.kernels.fields import solve_cg
from engine.model import BoneModel
from engine.processes import systemic
from engine.readouts import record
from engine.scenario import load_scenario
from engine.units import DAYS_PER_YEAR

REPO = Path(__file__).resolve().parents[1]
READOUTS = ("eroded_surface_pct", "osteoid_surface_pct", "activation_frequency_per_year", "resorbed_um3_per_day",
            "formed_um3_per_day", "rank_occupancy", "n_osteoclasts", "n_active_bmus")


def scenario(seed: int, field_update_days: int, opg_update_every: int):
    loaded = load_scenario(REPO / "scenarios" / "default.yaml")
    data = loaded.scenario.model_dump()
    data["seed"] = seed
    data["geometry"]["structure"]["seed"] = 7 + seed
    data["numerics"]["field_update_days"] = field_update_days
    data["numerics"]["opg_update_every"] = opg_update_every
    return type(loaded.scenario).model_validate(data)


def one_run(seed: int, cadence: tuple[int, int], days: int) -> dict:
    model = BoneModel(scenario(seed, *cadence), whole_skeleton=False)
    model.spin_up()
    rows = []
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
        rows.append(record(model))
    result = {k: float(np.nanmean([r[k] for r in rows])) for k in READOUTS}
    result["biopsy_bmd_change_pct_at_end"] = rows[-1]["biopsy_bmd_change_pct"]
    result["s_per_simulated_year"] = (time.perf_counter() - t0) * DAYS_PER_YEAR / days
    return result


def converged_rankl(model: BoneModel) -> np.ndarray:
    """Today's RANKL total solved tightly (1e-10) for today's sources and marrow, from zero."""
    sig, b = model.signalling, model.biology
    sig.refresh_geometry()
    positions, rankl, _, _ = model.cells.sources()
    sig._source_voxels = sig.nearest_marrow_voxels(positions)
    rhs = sig._rhs(positions, rankl * systemic.rankl_factor(model.physiology, model.exposure),
                   b.rankl_diffusivity_um2_per_s)
    c = np.zeros_like(sig.marrow)
    solve_cg(c, sig.marrow, rhs, sig._alpha(b.rankl_decay_per_day, b.rankl_diffusivity_um2_per_s), 1e-10, 100000)
    return c


def day_to_day_field_change(seed: int) -> tuple[float, float]:
    """(rms relative change of the converged RANKL field over 1 day, over 14 days), after the spin-up."""
    model = BoneModel(scenario(seed, 14, 3), whole_skeleton=False)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    cadences = {"every 14 days (default)": (14, 3), "every day": (1, 1)}
    results = {name: [one_run(seed, cadence, args.days) for seed in args.seeds] for name, cadence in cadences.items()}
    (a_name, a), (b_name, b) = results.items()
    lines = [f"# Field cadence: {len(args.seeds)} seeds x {args.days} days, 1 mm³, default woman", "",
             f"| readout (mean over the run) | {a_name}: mean ± SD | {b_name}: mean ± SD | Δ / SE |", "|---|---|---|---|"]
    for key in (*READOUTS, "biopsy_bmd_change_pct_at_end", "s_per_simulated_year"):
        x, y = np.array([r[key] for r in a]), np.array([r[key] for r in b])
        se = float(np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))) if len(x) > 1 else float("nan")
        lines.append(f"| {key} | {x.mean():.4g} ± {x.std(ddof=1):.2g} | {y.mean():.4g} ± {y.std(ddof=1):.2g} | "
                     f"{(y.mean() - x.mean()) / se if se else float('nan'):+.1f} |")
    one, fourteen = day_to_day_field_change(args.seeds[0])
    lines += ["", f"Converged RANKL field, rms change over the marrow relative to its mean: {100 * one:.0f} % in one day, "
              f"{100 * fourteen:.0f} % in 14 days (seed {args.seeds[0]}, after the spin-up)."]
    text = "\n".join(lines)
    print(text)
    out = REPO / "outputs" / "benchmarks" / "bench_field_cadence.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

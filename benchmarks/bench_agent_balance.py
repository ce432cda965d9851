"""Where does the agents' biopsy lose its bone? The default woman's 1 mm³ volume against the whole-skeleton layer.

    .venv/bin/python benchmarks/bench_agent_balance.py [--seeds 8] [--years 2] [--spin-up-days 400] [--workers 2]

The two solvers must agree (DESIGN.md): per mm² of bone surface they do within the ensemble's noise
(`calibrate_skeleton.py`), but the default 1 mm³ biopsy loses bone several times faster than the layer's
trabecular compartment of the same patient (8 volumes, 3 years: −8.4 % of bone against −2.5 %). This splits
the agents' loss into its parts, per volume and per year after the spin-up, mean ± SE over seeds (the layer is
deterministic):
- bone volume change = formed − resorbed matrix (exact: nothing else moves bone);
- the flux balance, formed / resorbed over the year, against the balance of the BMUs that *started and
  finished* in it (their formed / resorbed): a flux balance below the completed BMUs' means formation lags
  resorption, i.e. the remodeling space is still growing (the start state is not steady);
- mineral per bone volume (tissue mineralization), whose drift says whether the tissue-age reseed at the end
  of the spin-up matched the turnover that followed: the reseed's turnover (from the spin-up's last half
  year of formation) against the realised formation turnover of the first year;
- resorption turnover and the BMD change;
- the bone surface per bone volume (marching cubes, µm²/µm³ as 1/mm) at the end of each year, against its value at
  day 0: activation scales with surface, so a surface that grows raises turnover (the remodeling cycles' unfilled
  deficits roughen the voxel surface; a flat slab's surface grows ~1.5× in 3 years, and not at all when every
  cavity is refilled completely).
What it showed (issue 18 notes): resorption turnover 0.33-0.38/y against the layer's 0.26 (the volume has ~20 %
more surface per bone at day 0, and its surface keeps growing), a flux balance below the completed BMUs' in
the years the surface grows, and BS/BV +22 % by year 3.
Writes outputs/benchmarks/bench_agent_balance.md. About 2 minutes on 2 cores with the defaults.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_field_cadence import scenario  # noqa: E402
from engine.grid.measure import bone_surface_to_volume_per_mm  # noqa: E402
from engine.model import BoneModel  # noqa: E402
from engine.units import DAYS_PER_YEAR  # noqa: E402

DAYS_PER_YEAR_INT = int(round(DAYS_PER_YEAR))


def one_volume(seed: int, years: int, spin_up_days: int) -> list[dict]:
    """Per simulated year of one volume: the balance's parts (module docstring)."""
    model = BoneModel(scenario(seed, 14, 3), whole_skeleton=True)
    reseed = {}
    seed_by_tissue_age = model.mineralization.seed_by_tissue_age

    def recording_reseed(*args, **kwargs):
        reseed["turnover_per_year"] = 1.0 / kwargs["mean_age_years"]
        return seed_by_tissue_age(*args, **kwargs)

    model.mineralization.seed_by_tissue_age = recording_reseed
    model.spin_up(spin_up_days)
    grid, layer = model.grid, model.skeleton.layer
    voxel_um3 = grid.voxel_size_um**3
    rows = []
    bs_bv0 = bone_surface_to_volume_per_mm(grid.bone_fraction, grid.voxel_size_um)
    for year in range(years):
        bone0 = float(grid.bone_fraction.sum(dtype=np.float64)) * voxel_um3
        mineral0 = float(grid.mineral_fraction.sum(dtype=np.float64)) * voxel_um3
        layer_bone0, layer_mineral0 = float(layer.bone_mm3[0]), float(layer.mineral[0])
        first_clock = model.clock
        resorbed = formed = 0.0
        for _ in range(DAYS_PER_YEAR_INT):
            model.step()
            r, f = model.markers.history[-1]
            resorbed += r
            formed += f
        bone1 = float(grid.bone_fraction.sum(dtype=np.float64)) * voxel_um3
        mineral1 = float(grid.mineral_fraction.sum(dtype=np.float64)) * voxel_um3
        done = [c for c in model.bmus.completed if c["started_clock_day"] > first_clock and c["resorbed_um3"] > 0]
        done_res = sum(c["resorbed_um3"] for c in done)
        act, res_l, form_l = layer.mean_over(DAYS_PER_YEAR_INT)
        rows.append({
            "bone_change_pct": 100.0 * (bone1 / bone0 - 1.0),
            "resorption_turnover_per_year": resorbed / bone0,
            "formation_turnover_per_year": formed / bone0,
            "flux_formed_over_resorbed": formed / resorbed if resorbed else float("nan"),
            "completed_bmus": len(done),
            "completed_formed_over_resorbed": (sum(c["formed_um3"] for c in done) / done_res) if done_res else float("nan"),
            "mineral_per_bone_change_pct": 100.0 * ((mineral1 / bone1) / (mineral0 / bone0) - 1.0),
            "bmd_change_pct": 100.0 * (mineral1 / mineral0 - 1.0),
            "bs_bv_per_mm_change_from_day0_pct": 100.0 * (bone_surface_to_volume_per_mm(grid.bone_fraction,
                                                                                      grid.voxel_size_um) / bs_bv0 - 1.0),
            "reseed_turnover_per_year": reseed.get("turnover_per_year", float("nan")) if year == 0 else float("nan"),
            "layer_bone_change_pct": 100.0 * (float(layer.bone_mm3[0]) / layer_bone0 - 1.0),
            "layer_resorption_turnover_per_year": res_l[0] * DAYS_PER_YEAR / (layer_bone0 * 1e9),
            "layer_flux_formed_over_resorbed": form_l[0] / res_l[0] if res_l[0] else float("nan"),
            "layer_mineral_change_pct": 100.0 * (float(layer.mineral[0]) / layer_mineral0 - 1.0),
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=8, help="agent volumes (default 8)")
    parser.add_argument("--years", type=int, default=2, help="simulated years after the spin-up (default 2)")
    parser.add_argument("--spin-up-days", type=int, default=400, help="spin-up before day 0 (default 400, the scenario's)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(one_volume, seeds, [args.years] * len(seeds), [args.spin_up_days] * len(seeds)))
    keys = list(runs[0][0])
    lines = [f"# Agent balance: {len(seeds)} default 1 mm³ volumes, {args.spin_up_days}-day spin-up, per year after it",
             "", "Mean ± SE over volumes (NaN-free values only); `layer_*`: the patient's vertebral trabecular compartment "
             "(deterministic, the same in every volume).", "",
             "| quantity | " + " | ".join(f"year {y + 1}" for y in range(args.years)) + " |",
             "|---|" + "---|" * args.years]
    for key in keys:
        cells = []
        for y in range(args.years):
            x = np.array([run[y][key] for run in runs], float)
            x = x[np.isfinite(x)]
            if not x.size:
                cells.append("–")
            elif x.size == 1 or np.ptp(x) == 0:
                cells.append(f"{x.mean():.3g}")
            else:
                cells.append(f"{x.mean():.3g} ± {x.std(ddof=1) / np.sqrt(x.size):.2g}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    out = REPO / "outputs" / "benchmarks" / "bench_agent_balance.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""Whole-model speed: seconds per simulated year, start-up, where the time goes, and how cost grows with voxels.

For each size (default: the 1 mm default cube and a 2 mm cube, 10 µm voxels: 10⁶ and 8·10⁶ voxels, an
untreated postmenopausal woman) a fresh process builds the model, spins it up, then times `days` steps
with readouts, splitting the time of each step into: fields (RANKL/OPG transport, re-solved every day by
default, and binding), remodeling kernels (resorb/advance, deposit, mineralize, surface counts), agent
Python (osteoclast decisions, activation, BMU phases, fates) and readouts. Per size it prints the
stepping cost in seconds per simulated year (target ≤ 5 s for 1 mm³ on 2 cores; the mean over the run and the
cheapest 30-day stretch, since a shared machine's wall time swings from minute to minute), the start-up (build +
spin-up, target ≤ 5 s warm), the split, the field solver's mean iterations per day, and the peak memory
of the process in bytes per voxel. Between the sizes: the cost per simulated day against the voxel ratio
(target: ≤ 8.5× for 8× the voxels, within 24 GB), as the ratio of the means over `--seeds` seeds per size
(default 3). Why seeds: how much a volume remodels, and so how many iterations its daily RANKL solve takes,
is a property of its realization (at 8 mm³, 120 days took 3.7 to 4.9 iterations a day between three seeds), and
the ratio should not depend on one draw. The runs alternate small, large, large, small, ... so that the machine's
drift over the minutes they take does not enter the ratio either.

It also reports the first run's numba compile time on this machine (a fresh process with an empty
NUMBA_CACHE_DIR, then the same with the cache it wrote), the whole-skeleton layer's cost per simulated
year (the patient-level readouts alone, `engine.skeleton.patient.SkeletonModel`), and, side by side, a
0-D ODE peer (Martínez-Reina 2019 in the `bone_models` package, the `bench` extra: `.venv/bin/pip install -e
".[bench]"`), timed before and after the runs. The peer is this run's yardstick of the machine: a shared
2-core machine runs 1.0-1.5x slower from one hour to the next, so the report also scales the 1 mm³ figures to
the machine speed of issue 19's measurement (the peer at 2.3 s per simulated year).

    .venv/bin/python benchmarks/bench_model.py            # ~4 min on 2 cores (--seeds 1: ~2.5 min)
    .venv/bin/python benchmarks/bench_model.py --days 100 --sizes 600 1000
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import engine.processes.bmu_phases as phases_mod
import engine.processes.mineralization as mineral_mod
import engine.processes.resorption as resorption_mod
import engine.processes.surface_census as census_mod
from engine.agents.osteoblast import Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.model import BoneModel
from engine.readouts import record
from engine.scenario import load_scenario
from engine.units import DAYS_PER_YEAR

REPO = Path(__file__).resolve().parents[1]
#: days per stretch for the best-stretch cost (`best_stretch_s_per_day`)
STRETCH_DAYS = 30
RATIO_SEEDS = 3  # seeds per size behind the cost ratio (`--seeds`)
#: the remodeling kernels, by the process module that calls each
KERNELS = ((resorption_mod, "resorb_and_advance"), (phases_mod, "deposit_many"), (mineral_mod, "mineralize"),
           (census_mod, "surface_phase_counts"))


class Timer:
    def __init__(self):
        self.totals: dict[str, float] = {}

    @contextmanager
    def section(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - t0

    def wrap(self, module, name: str, section: str):
        """Time every call of module.name under `section` (the module's own reference is patched)."""
        original = getattr(module, name)

        def timed(*args, **kwargs):
            with self.section(section):
                return original(*args, **kwargs)

        setattr(module, name, timed)
        return original


def scenario_for(size_um: int, seed: int | None = None):
    """The default scenario at another cube size (and seed: default, the scenario's own)."""
    loaded = load_scenario(REPO / "scenarios" / "default.yaml")
    data = loaded.scenario.model_dump()
    data["geometry"]["volume_size_um"] = [size_um] * 3
    if seed is not None:
        data["seed"] = seed
    return type(loaded.scenario).model_validate(data)


def bench(size_um: int, days: int, seed: int | None = None) -> dict:
    scenario = scenario_for(size_um, seed)
    t0 = time.perf_counter()
    model = BoneModel(scenario)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.spin_up()
    spin_s = time.perf_counter() - t0
    timer = Timer()
    originals = [(mod, name, timer.wrap(mod, name, "remodeling kernels")) for mod, name in KERNELS]
    update, rebind = model._update_fields, model.signalling.rebind

    def timed_update(*a, **k):
        with timer.section("fields"):
            return update(*a, **k)

    def timed_rebind(*a, **k):
        with timer.section("fields"):
            return rebind(*a, **k)

    refresh = model.signalling.refresh_geometry

    def timed_refresh(*a, **k):
        with timer.section("fields"):
            return refresh(*a, **k)

    model._update_fields, model.signalling.rebind = timed_update, timed_rebind
    model.signalling.refresh_geometry = timed_refresh
    agents = []
    iterations = []
    day_s = []
    t0 = time.perf_counter()
    try:
        for _ in range(days):
            t_day = time.perf_counter()
            with timer.section("step"):
                model.step()
            with timer.section("readouts"):
                row = record(model)
            day_s.append(time.perf_counter() - t_day)
            agents.append(len(model.agents))
            iterations.append((row["rankl_solver_iterations"], row["opg_solver_iterations"]))
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    wall = time.perf_counter() - t0
    step = timer.totals.pop("step")
    split = {
        "fields": timer.totals.get("fields", 0.0),
        "remodeling kernels": timer.totals.get("remodeling kernels", 0.0),
        "readouts (I/O-side work)": timer.totals.get("readouts", 0.0),
    }
    split["agent Python and bookkeeping"] = step - split["fields"] - split["remodeling kernels"]
    return {
        "size_um": size_um, "seed": scenario.seed, "voxels": int(np.prod(model.grid.shape)), "days": days,
        "wall_s": wall,
        "days_per_s": days / wall, "build_s": build_s, "spin_up_s": spin_s, "spin_up_days": model.clock - days,
        "mean_agents": float(np.mean(agents)),
        "osteoclasts": len(model.agents_by_type.get(Osteoclast, [])),
        "osteoblasts_and_lining": len(model.agents_by_type.get(Osteoblast, [])),
        "split_s": split, "split_pct": {k: 100.0 * v / wall for k, v in split.items()},
        "s_per_simulated_year": DAYS_PER_YEAR * wall / days,
        # the least of the run's 30-day stretches: wall time on a shared machine swings from minute to minute,
        # and what the machine adds is never negative (the same reason timeit reports its minimum)
        "s_per_simulated_year_best_stretch": DAYS_PER_YEAR * best_stretch_s_per_day(day_s, STRETCH_DAYS),
        "mean_solver_iterations_per_day": {"rankl": float(np.mean([i[0] for i in iterations])),
                                           "opg": float(np.mean([i[1] for i in iterations]))},
        "field_update_days": scenario.numerics.field_update_days,
        "field_solver_rtol": scenario.numerics.field_solver_rtol,
        "opg_solver_rtol": scenario.numerics.opg_solver_rtol,
    }


def best_stretch_s_per_day(day_s: list[float], stretch_days: int) -> float:
    """Seconds per day of the cheapest run of `stretch_days` consecutive days (all days if fewer)."""
    if len(day_s) <= stretch_days:
        return float(np.mean(day_s))
    sums = np.convolve(day_s, np.ones(stretch_days), mode="valid")
    return float(sums.min() / stretch_days)


FIRST_STEP = ("import time; t = time.perf_counter(); from engine.model import BoneModel; "
              "from engine.scenario import load_scenario; "
              "m = BoneModel(load_scenario('scenarios/default.yaml').scenario); m.step(); "
              "print(time.perf_counter() - t)")


def compile_seconds() -> tuple[float, float]:
    """(cold, warm) seconds to import, build and step the default model once in a fresh process: cold with an
    empty numba cache (what a first run pays), warm with the cache that run wrote."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [float(subprocess.run([sys.executable, "-c", FIRST_STEP], env=env, cwd=REPO, capture_output=True,
                                     text=True, check=True).stdout.split()[-1]) for _ in range(2)]
    return runs[0], runs[1]


PEER_RECORDED_S_PER_YEAR = 2.3  # issue 19's measurement of the peer on this project's 2-core machine (Nov 2026)
PEER_RUNS = 3


def peer_seconds_per_year() -> tuple[float | None, str]:
    """Seconds per simulated year of the 0-D ODE peer (Martínez-Reina 2019, `bone_models`): the median of
    `PEER_RUNS` one-year solves in this process, or None when the package is not installed (`pip install -e
    ".[bench]"`). The peer runs on one core; its figure is this run's yardstick of the machine's speed."""
    try:
        from bone_models.load_cases.martinez_reina_load_cases import Martinez_Reina_Load_Case
        from bone_models.models.martinez_reina_model import Martinez_Reina_Model
    except ImportError:
        return None, 'not installed (pip install -e ".[bench]")'
    times = []
    for _ in range(PEER_RUNS):
        model = Martinez_Reina_Model(Martinez_Reina_Load_Case())
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its steady state
            t0 = time.perf_counter()
            model.solve_bone_cell_population_model([0, 365])
            times.append(time.perf_counter() - t0)
    return float(np.median(times)), f"median of {PEER_RUNS} one-year solves, measured in this run"


def one_size(size_um: int, days: int, seed: int | None = None) -> dict:
    """One size in this process (run by `main` in a fresh process per size, so peak memory is its own)."""
    warm = BoneModel(scenario_for(600))  # JIT (cached) and imports, not timed: a step and its readouts
    warm.step()
    record(warm)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = bench(size_um, days, seed)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["peak_rss_bytes"] = peak_kb * 1024
    result["rss_before_model_bytes"] = base_kb * 1024
    result["peak_bytes_per_voxel"] = peak_kb * 1024 / result["voxels"]
    return result


def layer_seconds_per_year(years: int = 3) -> float:
    """The whole-skeleton layer alone (denosumab patient), per simulated year, spin-up included."""
    from engine.skeleton.patient import SkeletonModel

    loaded = load_scenario(REPO / "scenarios" / "denosumab_60mg_q6m_3y.yaml")
    SkeletonModel(loaded.scenario, loaded.base_dir).step()  # compiled, not timed
    t0 = time.perf_counter()
    model = SkeletonModel(loaded.scenario, loaded.base_dir)
    model.spin_up()
    for _ in range(int(years * 365.25)):
        model.step()
    return (time.perf_counter() - t0) / years


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=120, help="timed days per size (default 120)")
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 2000], metavar="UM",
                        help="edge lengths of the two cubes in µm (default 1000 2000: 1 and 8 mm³)")
    parser.add_argument("--seeds", type=int, default=RATIO_SEEDS, metavar="N",
                        help=f"seeds per size for the cost ratio (default {RATIO_SEEDS}): how much a volume "
                             "remodels, and so how many iterations its daily RANKL solve takes, depends on its "
                             "realization")
    parser.add_argument("--one", type=int, metavar="UM", help=argparse.SUPPRESS)  # internal: one size, JSON out
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # internal: its seed
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.days, args.seed)))
        return
    def one(size: int, seed: int) -> dict:
        run = subprocess.run([sys.executable, __file__, "--one", str(size), "--days", str(args.days), "--seed",
                              str(seed)], cwd=REPO, capture_output=True, text=True, check=True)
        return json.loads(run.stdout.strip().splitlines()[-1])

    # each seed runs at both sizes, in the order small, large, large, small, small, large, ...: the machine's speed
    # drifts over the minutes the runs take, and the ratio between the sizes should not measure that drift
    base_seed = scenario_for(args.sizes[0]).seed
    seeds = [base_seed + i for i in range(max(args.seeds, 1))]
    peer_before, peer_how = peer_seconds_per_year()
    runs: dict[tuple[int, int], dict] = {}
    for i, seed in enumerate(seeds):
        for size in (args.sizes if i % 2 == 0 else args.sizes[::-1]):
            runs[size, seed] = one(size, seed)
    peer_after, _ = peer_seconds_per_year()
    small, large = runs[args.sizes[0], base_seed], runs[args.sizes[1], base_seed]
    results = [small, large]
    for r in results:
        startup = r["build_s"] + r["spin_up_s"]
        print(f"{r['size_um']} µm cube ({r['voxels']:,} voxels, ~{r['mean_agents']:.0f} agents), seed {r['seed']}: "
              f"stepping {r['s_per_simulated_year']:.1f} s per simulated year ({r['days_per_s']:.1f} days/s; "
              f"best {STRETCH_DAYS}-day stretch {r['s_per_simulated_year_best_stretch']:.1f}); "
              f"start-up {startup:.1f} s (build {r['build_s']:.1f} s + {r['spin_up_days']}-day spin-up "
              f"{r['spin_up_s']:.1f} s); peak memory {r['peak_rss_bytes'] / 2**30:.2f} GiB = "
              f"{r['peak_bytes_per_voxel']:.0f} B/voxel (the process before the model: "
              f"{r['rss_before_model_bytes'] / 2**20:.0f} MiB; the model's own: "
              f"{(r['peak_rss_bytes'] - r['rss_before_model_bytes']) / r['voxels']:.0f} B/voxel)")
        it = r["mean_solver_iterations_per_day"]
        print(f"    fields re-solved every {r['field_update_days']} day(s) to an energy-norm error of "
              f"{r['field_solver_rtol']:g} (RANKL) and {r['opg_solver_rtol']:g} (OPG): {it['rankl']:.1f} RANKL and "
              f"{it['opg']:.1f} OPG iterations per day")
        for k, v in r["split_pct"].items():
            print(f"    {k:32s} {v:5.1f} %")
    for size in args.sizes:
        print(f"{size} µm, per seed: " + "; ".join(
            f"seed {seed}: {runs[size, seed]['s_per_simulated_year']:.1f} s per simulated year (best stretch "
            f"{runs[size, seed]['s_per_simulated_year_best_stretch']:.1f}), "
            f"{runs[size, seed]['mean_solver_iterations_per_day']['rankl']:.1f} RANKL iterations per day"
            for seed in seeds))
    voxel_ratio = large["voxels"] / small["voxels"]
    agent_ratio = large["mean_agents"] / small["mean_agents"]

    def mean_over_seeds(size: int, key: str) -> float:
        return float(np.mean([runs[size, seed][key] for seed in seeds]))

    small_s, large_s = (mean_over_seeds(size, "s_per_simulated_year") for size in args.sizes)
    cost_ratio = large_s / small_s
    best_ratio = (mean_over_seeds(args.sizes[1], "s_per_simulated_year_best_stretch")
                  / mean_over_seeds(args.sizes[0], "s_per_simulated_year_best_stretch"))
    print(f"cost per simulated day grows {cost_ratio:.1f}x for {voxel_ratio:.1f}x voxels and {agent_ratio:.1f}x agents "
          f"(means over {len(seeds)} seed(s) per size; {best_ratio:.1f}x between the best {STRETCH_DAYS}-day "
          f"stretches; target <= {8.5 * voxel_ratio / 8:.1f}x)")
    default = small if small["size_um"] == 1000 else large
    label = "the default 1 mm³ volume" if default["size_um"] == 1000 else f"the {default['size_um']} µm cube"
    print(f"{label}: {default['s_per_simulated_year']:.1f} s per simulated year stepping (best {STRETCH_DAYS}-day "
          f"stretch {default['s_per_simulated_year_best_stretch']:.1f}; target <= 5), start-up "
          f"{default['build_s'] + default['spin_up_s']:.1f} s (target <= 5 warm)")
    peer = None if peer_before is None else 0.5 * (peer_before + peer_after)
    if peer is None:
        print(f"0-D ODE peer (Martínez-Reina 2019, bone_models): {peer_how}; its figure from issue 19 on this "
              f"project's machine: {PEER_RECORDED_S_PER_YEAR} s per simulated year")
    else:
        ours = mean_over_seeds(default["size_um"], "s_per_simulated_year")
        speed = peer / PEER_RECORDED_S_PER_YEAR
        print(f"0-D ODE peer (Martínez-Reina 2019, bone_models), side by side: {peer:.1f} s per simulated year "
              f"({peer_before:.1f} before the runs, {peer_after:.1f} after; {peer_how}); {label} (mean over its "
              f"{len(seeds)} seed(s)) "
              f"takes {ours / peer:.2f}x the peer's time per simulated year (stretch: < 1)")
        print(f"this machine today runs the peer {speed:.2f}x as long as issue 19's measurement "
              f"({PEER_RECORDED_S_PER_YEAR} s); at that machine speed {label} would step in "
              f"{ours / speed:.1f} s per simulated year (target <= 5) and start in "
              f"{(default['build_s'] + default['spin_up_s']) / speed:.1f} s (target <= 5)")
    cold, warm = compile_seconds()
    print(f"first run on this machine (empty numba cache): {cold:.1f} s to import, build and step the default "
          f"model once; with the cache: {warm:.1f} s (compile paid once: {cold - warm:.1f} s)")
    layer = layer_seconds_per_year()
    print(f"whole-skeleton layer alone (patient-level readouts): {layer * 1e3:.0f} ms per simulated year, "
          "its 400-day spin-up included")
    out = REPO / "outputs" / "benchmarks" / "bench_model.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"small": small, "large": large, "runs": [runs[size, seed] for seed in seeds
                                                                         for size in args.sizes],
                               "seeds": seeds, "cost_ratio": cost_ratio,
                               "cost_ratio_best_stretches": best_ratio, "voxel_ratio": voxel_ratio,
                               "agent_ratio": agent_ratio, "peer_s_per_simulated_year": peer, "peer_source": peer_how,
                               "peer_recorded_s_per_simulated_year": PEER_RECORDED_S_PER_YEAR,
                               "compile_cold_s": cold, "compile_warm_s": warm,
                               "layer_s_per_simulated_year": layer}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

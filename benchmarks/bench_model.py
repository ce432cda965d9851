"""Whole-model speed: simulated days per second for two volume sizes, and where the time goes.

For each size (default: a 0.6 mm and the 1 mm default cube, 10 µm voxels, untreated postmenopausal
woman) it builds the model, spins it up, then times `days` steps with readouts, splitting the time of
each step into: fields (RANKL/OPG transport and binding), remodeling kernels (resorb/advance, deposit,
mineralize, surface counts), agent Python (osteoclast decisions, activation, BMU phases, fates) and
readouts. It reports days/s, the split, and how cost grows with voxels and with agents (ratios between
the two sizes), plus the projected seconds per simulated year of the default scenario, including the
build and spin-up (target: ≤ 15 s per simulated year on 2 cores).

It also reports the first run's numba compile time on this machine (a fresh process with an empty
NUMBA_CACHE_DIR, then the same with the cache it wrote) and the whole-skeleton layer's cost per
simulated year (the patient-level readouts alone, `engine.skeleton.patient.SkeletonModel`).

    .venv/bin/python benchmarks/bench_model.py            # ~3 min on 2 cores
    .venv/bin/python benchmarks/bench_model.py --days 100 --sizes 700 1000
"""

from __future__ import annotations

import argparse
import json
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

REPO = Path(__file__).resolve().parents[1]
#: the remodeling kernels, by the process module that calls each
KERNELS = ((resorption_mod, "resorb_and_advance"), (phases_mod, "deposit"), (mineral_mod, "mineralize"),
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


def scenario_for(size_um: int):
    loaded = load_scenario(REPO / "scenarios" / "default.yaml")
    data = loaded.scenario.model_dump()
    data["geometry"]["volume_size_um"] = [size_um] * 3
    return type(loaded.scenario).model_validate(data)


def bench(size_um: int, days: int) -> dict:
    scenario = scenario_for(size_um)
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

    model._update_fields, model.signalling.rebind = timed_update, timed_rebind
    agents = []
    t0 = time.perf_counter()
    try:
        for _ in range(days):
            with timer.section("step"):
                model.step()
            with timer.section("readouts"):
                record(model)
            agents.append(len(model.agents))
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
        "size_um": size_um, "voxels": int(np.prod(model.grid.shape)), "days": days, "wall_s": wall,
        "days_per_s": days / wall, "build_s": build_s, "spin_up_s": spin_s, "spin_up_days": model.clock - days,
        "mean_agents": float(np.mean(agents)),
        "osteoclasts": len(model.agents_by_type.get(Osteoclast, [])),
        "osteoblasts_and_lining": len(model.agents_by_type.get(Osteoblast, [])),
        "split_s": split, "split_pct": {k: 100.0 * v / wall for k, v in split.items()},
    }


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
    parser.add_argument("--days", type=int, default=365, help="timed days per size (default 365)")
    parser.add_argument("--sizes", type=int, nargs=2, default=[600, 1000], metavar="UM",
                        help="edge lengths of the two cubes in µm (default 600 1000)")
    args = parser.parse_args()
    BoneModel(scenario_for(600)).step()  # JIT warm-up, not timed
    small, large = (bench(s, args.days) for s in args.sizes)
    for r in (small, large):
        print(f"{r['size_um']} µm cube ({r['voxels']:,} voxels, ~{r['mean_agents']:.0f} agents): "
              f"{r['days_per_s']:.1f} days/s; build {r['build_s']:.1f} s, spin-up {r['spin_up_s']:.1f} s")
        for k, v in r["split_pct"].items():
            print(f"    {k:32s} {v:5.1f} %")
    voxel_ratio = large["voxels"] / small["voxels"]
    agent_ratio = large["mean_agents"] / small["mean_agents"]
    cost_ratio = small["days_per_s"] / large["days_per_s"]
    default_days = 1095
    projected = large["build_s"] + large["spin_up_s"] + default_days / large["days_per_s"]
    print(f"cost per day grows {cost_ratio:.1f}x for {voxel_ratio:.1f}x voxels and {agent_ratio:.1f}x agents")
    print(f"default scenario projected: {projected:.0f} s for 3 years = {projected / 3:.1f} s per simulated year "
          f"(target <= 15)")
    cold, warm = compile_seconds()
    print(f"first run on this machine (empty numba cache): {cold:.1f} s to import, build and step the default "
          f"model once; with the cache: {warm:.1f} s (compile paid once: {cold - warm:.1f} s)")
    layer = layer_seconds_per_year()
    print(f"whole-skeleton layer alone (patient-level readouts): {layer * 1e3:.0f} ms per simulated year, "
          "its 400-day spin-up included")
    out = REPO / "outputs" / "benchmarks" / "bench_model.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"small": small, "large": large, "cost_ratio": cost_ratio, "voxel_ratio": voxel_ratio,
                               "agent_ratio": agent_ratio, "default_projected_s_per_year": projected / 3,
                               "compile_cold_s": cold, "compile_warm_s": warm,
                               "layer_s_per_simulated_year": layer}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

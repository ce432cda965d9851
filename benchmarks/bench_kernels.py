"""Kernel benchmark: the field-solver sweeps against the memory-bandwidth limit and against numpy, and the
solvers' iterations.

    .venv/bin/python benchmarks/bench_kernels.py [--size 256] [--repeats 5] [--with-sor]

Measured in one run, on the same machine, so the ratios are meaningful anywhere:
1. Memory copy bandwidth on a size³ float32 array (the physical limit of a bandwidth-bound sweep):
   the best of numpy `copyto` (one thread) and a numba `prange` copy (all threads); bytes counted =
   read + write.
2. The field sweeps in voxel-updates/s and as a share of the bandwidth limit (bandwidth / the sweep's
   minimal bytes per voxel):
   - `fields.apply_operator` (float32, conductances computed from φ: read c and φ, write; 12 B), the
     matrix-vector product of the Jacobi-CG solver, against its numpy twin (the kernel tests' reference);
   - `multigrid.stencil_apply` (float64, stored conductances: read c, gx, gy, gz, diag, write; 48 B) and
     `multigrid.jacobi_sweep` (read c, rhs, gx, gy, gz, 1/diag, write; 56 B), the hot loops of the
     multigrid-preconditioned CG that solves the fields every day.
3. Iterations from a cold start on the default scenario's bone, for RANKL and OPG at 20 µm and 10 µm
   field cells: Jacobi-preconditioned CG (to a relative residual ‖r‖₂/‖b‖₂ of 1e-6) against CG with a
   multigrid V-cycle (to an estimated energy-norm error of 1e-6; its achieved ‖r‖₂/‖b‖₂ is shown), and,
   with --with-sor, red-black SOR (ω = 1.9; thousands of sweeps, the measurement behind CG).

Prints a table and writes outputs/benchmarks/bench_kernels.json. Targets (issue: speed): field sweeps
≥ 60 % of the bandwidth limit, ≥ 10× numpy; solver iterations that do not grow with the diffusion length.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

from engine.kernels import multigrid as mg
from engine.kernels.fields import apply_operator, red_black_sor_sweep, relative_residual, solve_cg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.kernels.test_fields import numpy_operator  # noqa: E402  the numpy twin the kernel tests check against
BYTES_PER_VOXEL_UPDATE = 12  # float32: read c, read φ, write out


@njit(parallel=True, cache=True)
def _parallel_copy(src, dst):
    s = src.ravel()
    d = dst.ravel()
    for i in prange(s.size):
        d[i] = s[i]


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up (JIT compile, page faults)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bandwidth(size: int, repeats: int) -> dict:
    src = np.random.default_rng(0).random((size,) * 3, dtype=np.float32)
    dst = np.empty_like(src)
    nbytes = 2 * src.nbytes
    t_np = best_time(lambda: np.copyto(dst, src), repeats)
    t_nb = best_time(lambda: _parallel_copy(src, dst), repeats)
    return {"numpy_copy_GB_per_s": nbytes / t_np / 1e9, "numba_parallel_copy_GB_per_s": nbytes / t_nb / 1e9,
            "limit_GB_per_s": nbytes / min(t_np, t_nb) / 1e9}


def sweep(size: int, repeats: int) -> dict:
    rng = np.random.default_rng(1)
    phi = (rng.random((size,) * 3) < 0.8).astype(np.float32)  # 80 % marrow, as in trabecular bone
    c = rng.random((size,) * 3, dtype=np.float32)
    out = np.empty_like(c)
    alpha = np.float32(0.0047)
    n = c.size
    t_nb = best_time(lambda: apply_operator(c, phi, alpha, out), repeats)
    t_np = best_time(lambda: numpy_operator(c, phi, alpha), max(2, repeats // 2))
    np.testing.assert_allclose(out, numpy_operator(c, phi, alpha), rtol=1e-4, atol=1e-5)  # same sweep
    return {"numba_voxel_updates_per_s": n / t_nb, "numpy_voxel_updates_per_s": n / t_np,
            "numba_s_per_sweep": t_nb, "numpy_s_per_sweep": t_np}


def multigrid_sweeps(size: int, repeats: int, limit_bytes_per_s: float) -> dict:
    """The multigrid solver's two hot sweeps (float64, stored conductances) on an 80 %-marrow volume."""
    rng = np.random.default_rng(2)
    phi = (rng.random((size,) * 3) < 0.8).astype(np.float64)
    h = mg.Hierarchy(phi)
    h.set_alpha(0.0047)
    c, rhs = rng.random(phi.shape), rng.random(phi.shape)
    out = np.empty_like(c)
    gx, gy, gz, diag, inv_diag = (h.level(a, 0) for a in (h.gx, h.gy, h.gz, h.diag, h.inv_diag))
    rows = {}
    for name, bytes_per_voxel, fn in (
            ("multigrid.stencil_apply", 48, lambda: mg.stencil_apply(c, gx, gy, gz, diag, out)),
            ("multigrid.jacobi_sweep", 56, lambda: mg.jacobi_sweep(c, rhs, gx, gy, gz, inv_diag, 0.9, out))):
        t = best_time(fn, repeats)
        rows[name] = {"voxel_updates_per_s": c.size / t, "bytes_per_voxel": bytes_per_voxel,
                      "ratio_to_bandwidth_limit": c.size / t * bytes_per_voxel / limit_bytes_per_s}
    del h
    return rows


def iterations_to_tolerance(max_sor_sweeps: int) -> list[dict]:
    from engine.model import BoneModel
    from engine.scenario import load_scenario
    from engine.kernels.fields import coarse_marrow_fraction
    from engine.units import SECONDS_PER_DAY

    loaded = load_scenario(REPO / "scenarios" / "default.yaml")
    model = BoneModel(loaded.scenario, base_dir=loaded.base_dir)
    b = model.biology
    rows = []
    sig = model.signalling
    positions = model.osteocyte_positions()
    ones = np.ones(len(positions))
    for cell_voxels in (2, 1):
        sig.factor = cell_voxels
        sig.cell_size_um = model.grid.voxel_size_um * cell_voxels
        phi = np.empty(tuple(n // cell_voxels for n in model.grid.shape))
        coarse_marrow_fraction(model.grid.bone_fraction, np.zeros((0, 0, 0), bool), cell_voxels, phi)
        sig.marrow = phi
        for name, k, d in (("RANKL", b.rankl_decay_per_day, b.rankl_diffusivity_um2_per_s),
                           ("OPG", b.opg_decay_per_day, b.opg_diffusivity_um2_per_s)):
            alpha = k * sig.cell_size_um**2 / (d * SECONDS_PER_DAY)
            rhs = sig._rhs(positions, ones, d)
            c = np.zeros_like(phi)
            t = time.perf_counter()
            cg_iterations, _ = solve_cg(c, phi, rhs, alpha, 1e-6, 100000)
            t_cg = time.perf_counter() - t
            hierarchy = mg.Hierarchy(phi)
            c = np.zeros_like(phi)
            mg.solve_mgcg(hierarchy, c, rhs, alpha, 1e-6, 1000)  # compiled, not timed
            c = np.zeros_like(phi)
            t = time.perf_counter()
            mg_iterations, mg_error = mg.solve_mgcg(hierarchy, c, rhs, alpha, 1e-6, 1000)
            t_mg = time.perf_counter() - t
            mg_residual = relative_residual(c, phi, rhs, alpha)
            c = np.zeros_like(phi)
            t = time.perf_counter()
            sweeps, res = 0, 1.0
            while sweeps < max_sor_sweeps:
                for _ in range(50):
                    red_black_sor_sweep(c, phi, rhs, alpha, 1.9)
                sweeps += 50
                res = relative_residual(c, phi, rhs, alpha)
                if res <= 1e-6:
                    break
            t_sor = time.perf_counter() - t
            rows.append({"field": name, "cell_um": sig.cell_size_um, "cells": int(phi.size),
                         "diffusion_length_um": float(np.sqrt(d * SECONDS_PER_DAY / k)),
                         "cg_iterations": int(cg_iterations), "cg_s": t_cg,
                         "mgcg_iterations": int(mg_iterations), "mgcg_s": t_mg, "mgcg_energy_error": mg_error,
                         "mgcg_relative_residual": mg_residual,
                         "sor_sweeps": sweeps, "sor_reached_tolerance": bool(res <= 1e-6),
                         "sor_final_residual": float(res), "sor_s": t_sor})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256, help="edge of the cubic test array (default 256)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions; the best is kept")
    parser.add_argument("--with-sor", action="store_true", help="also count red-black SOR sweeps in part 3 (slow)")
    parser.add_argument("--max-sor-sweeps", type=int, default=3000, help="cap on SOR sweeps in part 3")
    parser.add_argument("--skip-iterations", action="store_true", help="skip part 3 (iterations to tolerance)")
    args = parser.parse_args()

    bw = bandwidth(args.size, args.repeats)
    sw = sweep(args.size, args.repeats)
    limit = bw["limit_GB_per_s"] * 1e9 / BYTES_PER_VOXEL_UPDATE
    ratio_bw = sw["numba_voxel_updates_per_s"] / limit
    ratio_np = sw["numba_voxel_updates_per_s"] / sw["numpy_voxel_updates_per_s"]
    result = {
        "machine": {"cpus": os.cpu_count(), "numba_threads": numba.get_num_threads(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": numba.__version__, "processor": platform.processor()},
        "size": args.size, "bandwidth": bw, "sweep": sw,
        "bandwidth_limited_voxel_updates_per_s": limit, "bytes_per_voxel_update": BYTES_PER_VOXEL_UPDATE,
        "ratio_numba_to_bandwidth_limit": ratio_bw, "ratio_numba_to_numpy": ratio_np,
        "targets": {"ratio_numba_to_bandwidth_limit": 0.6, "ratio_numba_to_numpy": 10.0},
    }
    print(f"{args.size}³ float32, {numba.get_num_threads()} numba threads")
    print(f"  memory copy bandwidth      {bw['limit_GB_per_s']:.2f} GB/s (numpy {bw['numpy_copy_GB_per_s']:.2f}, "
          f"numba prange {bw['numba_parallel_copy_GB_per_s']:.2f})")
    print(f"  bandwidth limit of sweep   {limit / 1e9:.3f} G voxel-updates/s ({BYTES_PER_VOXEL_UPDATE} B each)")
    print(f"  numba sweep                {sw['numba_voxel_updates_per_s'] / 1e9:.3f} G voxel-updates/s")
    print(f"  numpy sweep                {sw['numpy_voxel_updates_per_s'] / 1e9:.3f} G voxel-updates/s")
    print(f"  ratio numba / bandwidth    {ratio_bw:.2f}   (target ≥ 0.60)")
    print(f"  ratio numba / numpy        {ratio_np:.1f}   (target ≥ 10)")
    mgs = multigrid_sweeps(args.size, args.repeats, bw["limit_GB_per_s"] * 1e9)
    result["multigrid_sweeps"] = mgs
    for name, r in mgs.items():
        print(f"  {name:26s} {r['voxel_updates_per_s'] / 1e9:.3f} G voxel-updates/s x {r['bytes_per_voxel']} B = "
              f"{r['ratio_to_bandwidth_limit']:.2f} of the bandwidth limit (target ≥ 0.60)")
    if not args.skip_iterations:
        rows = iterations_to_tolerance(args.max_sor_sweeps if args.with_sor else 0)
        result["iterations_to_rtol_1e-6"] = rows
        print("  iterations from a cold start (default scenario bone); Jacobi-CG to ‖r‖/‖b‖ = 1e-6, multigrid-CG to an "
              "energy-norm error of 1e-6:")
        for r in rows:
            sor = ""
            if args.with_sor:
                sor = (f"{r['sor_sweeps']}" if r["sor_reached_tolerance"]
                       else f">{r['sor_sweeps']} (residual {r['sor_final_residual']:.1e})")
                sor = f", red-black SOR ω=1.9 {sor} sweeps ({r['sor_s']:.2f} s)"
            print(f"    {r['field']:<5} {r['cell_um']:>4.0f} µm cells ({r['cells']} cells, λ = {r['diffusion_length_um']:.0f} µm): "
                  f"Jacobi-CG {r['cg_iterations']} it ({r['cg_s']:.2f} s); multigrid-CG {r['mgcg_iterations']} it "
                  f"({r['mgcg_s']:.3f} s, ‖r‖/‖b‖ {r['mgcg_relative_residual']:.1e}){sor}")
    out = REPO / "outputs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_kernels.json").write_text(json.dumps(result, indent=2))
    print(f"wrote {out / 'bench_kernels.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

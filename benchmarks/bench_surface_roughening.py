"""Does remodeling roughen a flat bone surface? A 1 mm³ slab of bone under the default woman's remodeling.

    .venv/bin/python benchmarks/bench_surface_roughening.py [--years 3] [--coupling 108]

Activation scales with bone surface, so if the agents' remodeling makes surface, turnover rises with it and
the biopsy loses bone faster every year (`bench_agent_balance.py`: the default volume's BS/BV +22 % in 3
years). A flat slab (bone in the middle 40 % of the volume's height, marrow above and below) shows it
plainly: a real surface under balanced remodeling keeps a steady roughness (its open cavities), while a
surface that keeps growing points at the model. Every half year it prints the bone surface in voxel faces
and as marching-cubes area, both relative to the flat slab's, the slab's BV/TV, and the marrow inside the slab
(voxels less than half bone more than 60 µm from both original faces: tunnels, not surface pits). Writes
`outputs/benchmarks/bench_surface_roughening.md` and a figure of three slices at the end
(`surface_roughening.png`).

`--coupling` sets `osteoblasts_per_1e6_um3_resorbed` (default: the biology table's). At 115-150 every cavity
is refilled completely and the surface stops growing (issue 18 notes, 2026-11-29): the growth comes with the
BMUs' deficit. The figure shows why: some BMUs tunnel deep into the slab, and a tunnel that is not refilled
stays as new internal surface.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.grid.measure import bone_surface_um2  # noqa: E402
from engine.model import BoneModel  # noqa: E402
from engine.scenario import scenario_from_text  # noqa: E402
from engine.units import DAYS_PER_YEAR  # noqa: E402

SIZE = 100  # voxels of 10 µm
SLAB = (30, 70)  # bone between these z indices
TUNNEL_DEPTH_VOXELS = 6  # 60 µm: deeper than a hemi-osteon's mean erosion depth (targets.md §8a)

TEMPLATE = """\
name: slab
seed: {seed}
duration_days: {days}
geometry:
  voxel_size_um: 10
  structure: {{type: micro_ct, path: slab.npy}}
patient: {{sex: female, age_years: 60, years_since_menopause: 8}}
{biology}"""


def faces(bone: np.ndarray) -> int:
    solid = bone >= 0.5
    return int(sum(np.count_nonzero(np.diff(solid.astype(np.int8), axis=a)) for a in range(3)))


def measure(model: BoneModel, flat_faces: int, flat_area_um2: float) -> dict:
    bone = model.grid.bone_fraction
    area_um2 = bone_surface_um2(bone, model.grid.voxel_size_um)
    interior = bone[SLAB[0] + TUNNEL_DEPTH_VOXELS:SLAB[1] - TUNNEL_DEPTH_VOXELS]
    return {"faces_over_flat": faces(bone) / flat_faces, "area_over_flat": area_um2 / flat_area_um2,
            "bv_tv": float(bone.mean()), "tunnel_marrow_voxels": int((interior < 0.5).sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--coupling", type=float, default=None,
                        help="osteoblasts_per_1e6_um3_resorbed (default: the biology table's)")
    args = parser.parse_args()
    days = int(round(DAYS_PER_YEAR * args.years))
    biology = "" if args.coupling is None else f"biology: {{osteoblasts_per_1e6_um3_resorbed: {args.coupling}}}\n"
    with tempfile.TemporaryDirectory() as tmp:
        slab = np.zeros((SIZE, SIZE, SIZE), bool)
        slab[SLAB[0]:SLAB[1]] = True
        np.save(Path(tmp) / "slab.npy", slab)
        loaded = scenario_from_text(TEMPLATE.format(seed=args.seed, days=days, biology=biology), base_dir=tmp)
        model = BoneModel(loaded.scenario, base_dir=tmp, whole_skeleton=False)
    flat_faces = 2 * SIZE * SIZE
    flat_area_um2 = flat_faces * model.grid.voxel_size_um**2
    rows = [("start", measure(model, flat_faces, flat_area_um2))]
    model.spin_up()
    rows.append(("day 0 (after the spin-up)", measure(model, flat_faces, flat_area_um2)))
    for day in range(1, days + 1):
        model.step()
        if day % 182 == 0 or day == days:
            rows.append((f"day {day}", measure(model, flat_faces, flat_area_um2)))
    coupling = args.coupling if args.coupling is not None else model.biology.osteoblasts_per_1e6_um3_resorbed
    lines = [f"# Surface roughening: 1 mm³ slab (bone z {SLAB[0] * 10}-{SLAB[1] * 10} µm), default woman, seed "
             f"{args.seed}, coupling {coupling:g} osteoblasts per 10⁶ µm³", "",
             "| when | voxel faces / flat | marching-cubes area / flat | BV/TV | marrow voxels > 60 µm inside |",
             "|---|---|---|---|---|"]
    lines += [f"| {when} | {r['faces_over_flat']:.3f} | {r['area_over_flat']:.3f} | {r['bv_tv']:.4f} | "
              f"{r['tunnel_marrow_voxels']} |" for when, r in rows]
    text = "\n".join(lines)
    print(text)
    out = REPO / "outputs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_surface_roughening.md").write_text(text + "\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), constrained_layout=True)
    for ax, y in zip(axes, (20, 50, 80)):
        ax.imshow(model.grid.bone_fraction[:, y, :], cmap="gray", vmin=0, vmax=1, origin="lower",
                  interpolation="nearest", extent=(0, SIZE * 10, 0, SIZE * 10))
        ax.set_title(f"slice y = {y * 10} µm after {args.years} y (white: bone)")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("z (µm)")
    fig.savefig(out / "surface_roughening.png", dpi=90)
    print(f"wrote {out / 'bench_surface_roughening.md'} and {out / 'surface_roughening.png'}")


if __name__ == "__main__":
    main()

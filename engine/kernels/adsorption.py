"""Bisphosphonate uptake onto the bone surface: a dose's skeletal share is spread over the exposed bone.

Bisphosphonates bind the hydroxyapatite that marrow can reach, and more of them where the mineral is
most exposed: resorption cavities and mineralizing formation sites take up several times more than
quiescent surface covered by lining cells (Masarachia 1996 Bone 19:281; Sato 1991 J Clin Invest 88:2095).
So each exposed voxel (the `is_exposed` rule of `kernels.remodeling`) gets a weight: `active_fold` when
it belongs to a BMU cavity (label != 0) or holds osteoid, 1 otherwise, and the amount is shared in
proportion to the weights. The kernel knows nothing of drugs: it adds an amount to an array.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.kernels.remodeling import is_exposed


@njit(inline="always")
def _weight(bone, label, osteoid, z, y, x, active_fold):
    if not is_exposed(bone, z, y, x):
        return 0.0
    if label[z, y, x] != 0 or osteoid[z, y, x] > 0.0:
        return active_fold
    return 1.0


@njit(cache=True)
def adsorb_to_surface(bone, label, osteoid, bound, amount, active_fold):
    """Add `amount` to `bound` (float32, like `bone`) over the exposed voxels, weighted as in the module
    docstring. Returns the sum of the weights (0: no exposed bone, nothing added)."""
    nz, ny, nx = bone.shape
    total = 0.0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                total += _weight(bone, label, osteoid, z, y, x, active_fold)
    if total <= 0.0 or amount <= 0.0:
        return total
    per_weight = amount / total
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                w = _weight(bone, label, osteoid, z, y, x, active_fold)
                if w > 0.0:
                    bound[z, y, x] = np.float32(float(bound[z, y, x]) + w * per_weight)
    return total


@njit(cache=True)
def bury_covered(bone, adsorbed, buried):
    """Drug adsorbed on voxels that are no longer exposed (formation covered them) is buried: moved from
    `adsorbed` to `buried` (float32 fields like `bone`). Resorption releases both; only the buried part acts
    on osteoclasts that are already resorbing (`processes.bone_drug`)."""
    nz, ny, nx = bone.shape
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if adsorbed[z, y, x] > 0.0 and not is_exposed(bone, z, y, x):
                    buried[z, y, x] = np.float32(float(buried[z, y, x]) + float(adsorbed[z, y, x]))
                    adsorbed[z, y, x] = np.float32(0.0)

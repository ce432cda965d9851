"""The compiled denosumab RK4 loop against the same Runge–Kutta written in Python over
`DenosumabPK.derivatives` (the equations as the drug module states them)."""

import math

import pytest

from engine.kernels.pk import rk4_tmdd
from engine.pharmacology.denosumab import DenosumabPK


def python_rk4(pk: DenosumabPK, days: float):
    n = max(1, math.ceil(days / pk.max_step_days - 1e-9))
    h = days / n
    y = (pk.depot_mg, pk.central_mg, pk.peripheral_mg)
    f = pk.derivatives
    for _ in range(n):
        k1 = f(*y)
        k2 = f(*(yi + 0.5 * h * ki for yi, ki in zip(y, k1)))
        k3 = f(*(yi + 0.5 * h * ki for yi, ki in zip(y, k2)))
        k4 = f(*(yi + h * ki for yi, ki in zip(y, k3)))
        y = tuple(yi + h / 6.0 * (a + 2 * b + 2 * c + d) for yi, a, b, c, d in zip(y, k1, k2, k3, k4))
    return tuple(max(0.0, v) for v in y)


@pytest.mark.parametrize("days", [0.25, 1.0, 3.7, 30.0])
def test_compiled_rk4_is_the_python_rk4(days):
    pk = DenosumabPK()
    pk.dose(60.0)
    pk.advance(2.0)  # some drug in every compartment
    expected = python_rk4(pk, days)
    pk.advance(days)
    assert (pk.depot_mg, pk.central_mg, pk.peripheral_mg) == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_amounts_stay_non_negative():
    p = DenosumabPK().p
    out = rk4_tmdd(0.0, 1e-12, 0.0, 0.1, p["linear_clearance_L_per_day"] * 1e6, p["central_volume_L"],
                   p["intercompartmental_clearance_L_per_day"], p["peripheral_volume_L"],
                   p["target_mediated_vmax_mg_per_day"], p["target_mediated_km_ng_per_ml"], 1.0, 1)
    assert min(out) >= 0.0

"""PK kernels: the ODE systems of the drug modules, integrated in compiled loops.

A virtual trial integrates one PK model per patient and simulated day (24 classical Runge–Kutta steps a day
for denosumab): in Python that was a third of a whole-skeleton patient's cost. The drug modules keep the
equations' meaning in their docstrings; the numpy/Python twin of each kernel is in `tests/kernels/test_pk.py`.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def _tmdd_rates(depot, central, peripheral, ka, cl, vc, q, vp, vmax, km):
    """d/dt (mg/day) of depot, central and peripheral amounts: first-order absorption, linear clearance,
    saturable (target-mediated, Michaelis–Menten in ng/mL) elimination and distribution."""
    c_ng_per_ml = central / vc * 1000.0
    absorption = ka * depot
    linear = cl / vc * central
    saturable = vmax * c_ng_per_ml / (km + c_ng_per_ml)
    distribution = q / vc * central - q / vp * peripheral
    return -absorption, absorption - linear - saturable - distribution, distribution


@njit(cache=True)
def rk4_tmdd(depot, central, peripheral, ka, cl, vc, q, vp, vmax, km, h, n):
    """`n` classical Runge–Kutta steps of `h` days of the two-compartment model with SC depot and
    Michaelis–Menten elimination (`engine.pharmacology.denosumab`); amounts clipped at 0 at the end."""
    for _ in range(n):
        a1, b1, c1 = _tmdd_rates(depot, central, peripheral, ka, cl, vc, q, vp, vmax, km)
        a2, b2, c2 = _tmdd_rates(depot + 0.5 * h * a1, central + 0.5 * h * b1, peripheral + 0.5 * h * c1,
                                 ka, cl, vc, q, vp, vmax, km)
        a3, b3, c3 = _tmdd_rates(depot + 0.5 * h * a2, central + 0.5 * h * b2, peripheral + 0.5 * h * c2,
                                 ka, cl, vc, q, vp, vmax, km)
        a4, b4, c4 = _tmdd_rates(depot + h * a3, central + h * b3, peripheral + h * c3, ka, cl, vc, q, vp, vmax, km)
        depot = depot + h / 6.0 * (a1 + 2 * a2 + 2 * a3 + a4)
        central = central + h / 6.0 * (b1 + 2 * b2 + 2 * b3 + b4)
        peripheral = peripheral + h / 6.0 * (c1 + 2 * c2 + 2 * c3 + c4)
    return max(0.0, depot), max(0.0, central), max(0.0, peripheral)

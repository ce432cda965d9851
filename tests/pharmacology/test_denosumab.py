"""Denosumab PK integrator and drug exposure: checked against an independent reference (scipy's LSODA
on the same equations, written out here in plain numpy), and against properties that must hold."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from engine.pharmacology import DENOSUMAB_PK, DenosumabPK, DrugExposure
from engine.parameters import markdown, values
from engine.scenario.schema import DoseEntry


def reference_rhs(p):
    """The PK equations, independently written (amounts in mg, time in days)."""
    ka = math.log(2) / p["absorption_half_life_days"]
    vc, vp = p["central_volume_L"], p["peripheral_volume_L"]

    def rhs(_t, y):
        depot, central, peripheral = y
        c = central / vc * 1000.0  # ng/mL
        elim = p["linear_clearance_L_per_day"] * central / vc + \
            p["target_mediated_vmax_mg_per_day"] * c / (p["target_mediated_km_ng_per_ml"] + c)
        q = p["intercompartmental_clearance_L_per_day"]
        dist = q * central / vc - q * peripheral / vp
        return [-ka * depot, ka * depot - elim - dist, dist]
    return rhs


@pytest.mark.parametrize("dose_mg", [14.0, 60.0, 210.0])
def test_rk4_matches_lsoda_reference(dose_mg):
    """Hourly RK4 vs LSODA at rtol 1e-10: within 1e-5 relative (or 1e-6 ng/mL) over 300 days."""
    pk = DenosumabPK()
    pk.dose(dose_mg)
    p = values(DENOSUMAB_PK)
    y0 = [p["bioavailability"] * dose_mg, 0.0, 0.0]
    days = np.arange(1, 301)
    ref = solve_ivp(reference_rhs(p), (0, 300), y0, t_eval=days, method="LSODA", rtol=1e-10, atol=1e-14)
    ours = []
    for _ in days:
        pk.advance(1.0)
        ours.append(pk.central_mg)
    np.testing.assert_allclose(ours, ref.y[1], rtol=1e-5, atol=1e-9)


def test_mass_is_conserved_without_elimination():
    pk = DenosumabPK({"linear_clearance_L_per_day": 0.0, "target_mediated_vmax_mg_per_day": 0.0})
    pk.dose(60.0)
    pk.advance(90.0)
    total = pk.depot_mg + pk.central_mg + pk.peripheral_mg
    assert total == pytest.approx(60.0 * DENOSUMAB_PK[0].value, rel=1e-12)


def test_routes_and_units():
    pk = DenosumabPK()
    pk.dose(60.0, "intravenous")
    assert pk.central_mg == 60.0 and pk.depot_mg == 0.0
    # 60 mg in 2.62 L = 22.9 µg/mL = 22,900 ng/mL; / 147 kDa = 156 nM
    assert pk.serum_ng_per_ml == pytest.approx(60.0 / 2.62 * 1000.0)
    assert pk.serum_nM == pytest.approx(pk.serum_ng_per_ml / 147.0)
    with pytest.raises(ValueError, match="route"):
        pk.dose(60.0, "oral")
    with pytest.raises(KeyError, match="unknown"):
        DenosumabPK({"no_such_parameter": 1.0})


def test_linear_limit_is_dose_proportional():
    """Without the saturable route, exposure scales exactly with dose (a check of the integrator)."""
    aucs = []
    for dose in (14.0, 60.0):
        pk = DenosumabPK({"target_mediated_vmax_mg_per_day": 0.0})
        pk.dose(dose)
        auc = 0.0
        for _ in range(400):
            pk.advance(1.0)
            auc += pk.serum_ng_per_ml
        aucs.append(auc)
    assert aucs[1] / aucs[0] == pytest.approx(60.0 / 14.0, rel=1e-9)


def entry(**kw):
    base = dict(drug="denosumab", dose_mg=60.0, route="subcutaneous", start_day=0.0)
    base.update(kw)
    return DoseEntry(**base)


def test_exposure_gives_doses_at_their_time():
    """Day 0 is pre-dose; a dose at t = 0.5 d equals integrating 0.5 d, dosing, integrating 0.5 d."""
    ex = DrugExposure([entry()])
    assert ex.serum_denosumab_ng_per_ml == 0.0 and ex.marrow_rankl_binder_nM == 0.0
    ex.advance_to(1)
    assert ex.serum_denosumab_ng_per_ml > 0 and ex.doses_given() == 1

    ex = DrugExposure([entry(start_day=0.5)])
    ex.advance_to(1)
    manual = DenosumabPK()
    manual.advance(0.5)
    manual.dose(60.0)
    manual.advance(0.5)
    assert ex.serum_denosumab_ng_per_ml == pytest.approx(manual.serum_ng_per_ml, rel=1e-12)


def test_exposure_stepwise_equals_one_stretch():
    """Advancing day by day or in one go gives the same state (doses inside the stretch included)."""
    regimen = [entry(interval_days=30.0, number_of_doses=3)]
    a, b = DrugExposure(regimen), DrugExposure(regimen)
    for day in range(1, 101):
        a.advance_to(day)
    b.advance_to(100)
    assert a.doses_given() == b.doses_given() == 3
    assert a.denosumab.state() == pytest.approx(b.denosumab.state(), rel=1e-9)


def test_other_drugs_do_not_bind_rankl():
    ex = DrugExposure([DoseEntry(drug="alendronate", dose_mg=70, route="oral", interval_days=7, number_of_doses=4)])
    assert ex.denosumab is None
    ex.advance_to(30)
    assert ex.marrow_rankl_binder_nM == 0.0


def test_lighter_patients_have_higher_exposure():
    """Allometric weight scaling: a 52 kg woman has a smaller volume and a lower clearance, so her Cmax and
    her exposure over the dosing interval (AUC ∝ 1/CL ∝ W^-0.75 in the linear range) are higher than the
    66 kg reference's."""
    from engine.pharmacology.denosumab import weight_scaled
    ref = DrugExposure([entry()])
    light = DrugExposure([entry()], body_weight_kg=52.0)
    assert weight_scaled({}, 66.0)["linear_clearance_L_per_day"] == pytest.approx(DenosumabPK().p["linear_clearance_L_per_day"])
    cmax = {"ref": 0.0, "light": 0.0}
    auc = {"ref": 0.0, "light": 0.0}
    for day in range(1, 183):
        for name, ex in (("ref", ref), ("light", light)):
            ex.advance_to(day)
            cmax[name] = max(cmax[name], ex.serum_denosumab_ng_per_ml)
            auc[name] += ex.serum_denosumab_ng_per_ml
    assert cmax["light"] > 1.15 * cmax["ref"]
    assert auc["light"] > 1.1 * auc["ref"]


def test_parameter_table_renders_with_sources():
    text = markdown(DENOSUMAB_PK)
    for p in DENOSUMAB_PK:
        assert p.source and f"`{p.name}`" in text

"""Bisphosphonate PK: oral bioavailability and skeletal uptake turn a dose into µmol reaching bone;
recycling returns the skeletal share of released drug; the osteoclast effect is an Emax of exposure."""

import pytest

from engine.pharmacology import DrugExposure
from engine.pharmacology.bisphosphonates import ALENDRONATE_PK, ZOLEDRONATE_PK, BisphosphonatePK, osteoclast_effect
from engine.parameters import values
from engine.scenario.schema import DoseEntry


def test_weekly_alendronate_reaches_bone_at_f_times_uptake():
    """70 mg × 0.64 % × 50 % / 249.1 g/mol = 0.90 µmol per tablet (Gertz 1995; Lin 1996)."""
    pk = BisphosphonatePK("alendronate")
    pk.dose(70.0, "oral")
    p = values(ALENDRONATE_PK)
    expected = 70.0 * p["oral_bioavailability"] * p["skeletal_uptake_fraction"] / p["molecular_weight_g_per_mol"] * 1e3
    assert pk.take_skeletal_uptake() == pytest.approx(expected) == pytest.approx(0.90, abs=0.01)
    assert pk.take_skeletal_uptake() == 0.0  # taken once


def test_zoledronate_infusion_is_all_systemic():
    """5 mg IV × 60 % / 272.1 g/mol = 11 µmol: about 12x one alendronate tablet, 1/4 of a year of them."""
    pk = BisphosphonatePK("zoledronate")
    pk.dose(5.0, "intravenous")
    assert pk.take_skeletal_uptake() == pytest.approx(5.0 * 0.6 / 272.1 * 1e3)
    assert values(ZOLEDRONATE_PK)["osteoclast_ec50_uM"] < values(ALENDRONATE_PK)["osteoclast_ec50_uM"]


def test_routes_and_names_are_checked():
    with pytest.raises(ValueError, match="not modelled"):
        BisphosphonatePK("alendronate").dose(70.0, "subcutaneous")
    with pytest.raises(KeyError, match="unknown alendronate"):
        BisphosphonatePK("alendronate", {"bioavailability": 0.1})


def test_recycling_returns_the_skeletal_share():
    assert BisphosphonatePK("alendronate").recycled(10.0) == pytest.approx(5.0)


def test_emax_of_exposure():
    assert osteoclast_effect(0.0) == 0.0
    assert osteoclast_effect(1.0) == pytest.approx(0.5)
    assert 0.9 < osteoclast_effect(20.0) < 1.0


def test_exposure_routes_each_drug_of_a_combined_regimen():
    regimen = [DoseEntry(drug="alendronate", dose_mg=70, route="oral", interval_days=7, number_of_doses=4),
               DoseEntry(drug="zoledronate", dose_mg=5, route="intravenous", start_day=10),
               DoseEntry(drug="teriparatide", dose_mg=0.02, route="subcutaneous", interval_days=1, number_of_doses=30),
               DoseEntry(drug="denosumab", dose_mg=60, route="subcutaneous", start_day=3)]
    ex = DrugExposure(regimen)
    for day in range(1, 16):  # the model advances one day at a time: one teriparatide pulse per day
        ex.advance_to(day)
    assert ex.bisphosphonates["alendronate"].given_mg == 210.0  # days 0, 7 and 14
    assert ex.bisphosphonates["zoledronate"].given_mg == 5.0
    assert ex.serum_denosumab_ng_per_ml > 0
    assert ex.pth_anabolic_effect == pytest.approx(0.5)  # one 20 µg pulse on the day just simulated

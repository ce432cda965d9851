"""Tissue ages at the end of the spin-up: the young tissue a spin-up without BMUs did not form."""

from pathlib import Path

import numpy as np
import pytest

from engine.processes.tissue_age import ages_years, missing_young_tissue, steady_degree
from engine.scenario import load_scenario
from engine.scenario.biology import BiologyParameters
from engine.skeleton.patient import SkeletonModel
from engine.units import DAYS_PER_YEAR


def test_a_spin_up_at_the_steady_rate_misses_nothing():
    formed = np.full(400, 5.0)
    assert not missing_young_tissue(formed, 5.0, 0.25).any()


def test_missing_tissue_is_the_shortfall_still_there_today():
    """No formation in the first 100 of 400 days: each of those days misses F, of which exp(−k·age) survives."""
    formed = np.full(400, 5.0)
    formed[:100] = 0.0
    k = 0.25
    missing = missing_young_tissue(formed, 5.0, k)
    ages = ages_years(400)
    np.testing.assert_allclose(missing[:100], 5.0 * np.exp(-k * ages[:100]))
    assert not missing[100:].any()
    assert ages[0] == pytest.approx(400 / DAYS_PER_YEAR) and ages[-1] == pytest.approx(1 / DAYS_PER_YEAR)


def test_per_compartment_rows_broadcast():
    formed = np.zeros((10, 2))
    missing = missing_young_tissue(formed, np.array([1.0, 2.0]), np.array([0.1, 0.5]))
    np.testing.assert_allclose(missing[-1], [np.exp(-0.1 / DAYS_PER_YEAR), 2 * np.exp(-0.5 / DAYS_PER_YEAR)])


def test_steady_degree_runs_from_the_primary_share_to_full():
    b = BiologyParameters()
    assert steady_degree(b, 0.0) == pytest.approx(b.primary_mineral_fraction_of_final)
    assert steady_degree(b, 100.0) == pytest.approx(1.0)


FREEDOM_PATIENT = Path(__file__).parents[2] / "scenarios" / "trials" / "freedom_patient.yaml"


def mineral_per_bone_change_pct(spin_up_days: int) -> float:
    model = SkeletonModel(load_scenario(FREEDOM_PATIENT).scenario)
    model.spin_up(spin_up_days)
    layer = model.skeleton.layer
    before = layer.mineral[0] / layer.bone_mm3[0]
    for _ in range(1095):
        model.step()
    return 100.0 * (layer.mineral[0] / layer.bone_mm3[0] / before - 1.0)


def test_untreated_mineral_per_bone_no_longer_drifts_after_the_spin_up():
    """A woman held at her physiology keeps her turnover, so her tissue's mineral per bone volume stays near its
    steady value. Reference: a 2,000-day spin-up, whose ramp is long forgotten (−0.3 % in 3 years: the old
    bone's share shrinks as she loses bone). Before the missing young tissue was aged, the default 400-day
    spin-up gave −1.5 % (−1.1 % points of artifact; the placebo woman's spine lost 0.5 % points of BMD to
    it; measured with the earlier MBF); now −0.7 % (reference −0.3; with the earlier geometry factors and the
    formation-based renewal rate, −0.8 against −0.4). The spin-up's fluxes are steady by day 300, so what
    remains is in the seeded ages, not in the turnover that sets them (not found). Bound: within 0.4 % points
    of the reference, about a third of the artifact; the layer is deterministic, and the margin is now small."""
    reference = mineral_per_bone_change_pct(2000)
    assert mineral_per_bone_change_pct(400) == pytest.approx(reference, abs=0.4)

"""Osteomorphs: steady while untreated, a pile of the osteoclasts' nuclei under blockade, re-fusion with RANKL."""

import math

import numpy as np
import pytest

from engine.agents.held_mean import HELD_WINDOW_DAYS
from engine.agents.osteomorphs import Osteomorphs
from engine.scenario.biology import BiologyParameters

MECHANISM = BiologyParameters(rebound_mechanism="osteomorph_recycling")


def held(biology, nuclei=40.0, theta=0.3, committed=1.2, shape=None):
    morphs = Osteomorphs(biology, np.ones(shape) if shape else 1.0)
    for _ in range(HELD_WINDOW_DAYS):
        morphs.advance(np.full(shape, nuclei) if shape else nuclei, theta, committed, holding=True)
    return morphs


def test_held_patient_fuses_as_without_osteomorphs():
    morphs = held(MECHANISM)
    assert morphs.relative == 1.0
    assert morphs.fusing(1.2) == 1.2


def test_untreated_levels_keep_the_steady_state_whatever_her_turnover():
    for nuclei, theta, committed in ((5.0, 0.1, 0.7), (40.0, 0.3, 1.2)):
        morphs = held(MECHANISM, nuclei, theta, committed)
        for _ in range(300):
            morphs.advance(nuclei, theta, committed, holding=False)
        assert morphs.relative == pytest.approx(1.0, rel=1e-12)
        assert morphs.fusing(committed) == pytest.approx(committed, rel=1e-12)


def test_blockade_turns_the_osteoclasts_nuclei_into_osteomorphs_that_then_die():
    """All osteoclasts end on day 1 (nuclei 40 → 0) with θ = 0: the pool gains their nuclei, n₀ / O₀ =
    T_n (k_f + k_d) in units of the untreated pool, then decays with the lifespan alone (no re-fusion)."""
    b = MECHANISM
    morphs = held(b)
    k_f, k_d, T_n = b.osteomorph_refusion_per_day, 1.0 / b.osteomorph_lifespan_days, b.osteoclast_nucleus_lifespan_days
    morphs.advance(0.0, 0.0, 0.0, holding=False)
    jump = math.exp(-k_d) + T_n * (k_f + k_d) / k_d * (1.0 - math.exp(-k_d))  # 1 + ~T_n (k_f + k_d)
    assert morphs.relative == pytest.approx(jump, rel=1e-9)
    assert morphs.fusing(0.0) == 0.0  # nothing fuses without RANKL
    for _ in range(29):
        morphs.advance(0.0, 0.0, 0.0, holding=False)
    assert morphs.relative == pytest.approx(jump * math.exp(-29 * k_d), rel=1e-9)
    # RANKL back (θ = θ₀), precursors still committing nothing: the pile fuses, s · c₀ · p
    morphs.advance(0.0, 0.3, 0.0, holding=False)
    assert morphs.fusing(0.0) == pytest.approx(b.osteomorph_share_of_fusion * 1.2 * morphs.relative, rel=1e-12)
    # a month after the osteoclasts ended, the pile alone gives more than half the untreated fusion (1.2) while
    # the commitment chain still gives nothing
    assert morphs.fusing(0.0) > 0.5 * 1.2


def test_arrays_match_scalars_and_other_mechanisms_leave_fusion_alone():
    arr, one = held(MECHANISM, shape=3), held(MECHANISM)
    for nuclei, theta in ((30.0, 0.1), (0.0, 0.05), (10.0, 0.4)):
        arr.advance(np.full(3, nuclei), np.full(3, theta), np.full(3, 0.8), holding=False)
        one.advance(nuclei, theta, 0.8, holding=False)
    np.testing.assert_allclose(arr.relative, one.relative, rtol=1e-12)
    np.testing.assert_allclose(arr.fusing(np.full(3, 0.8)), one.fusing(0.8), rtol=1e-12)
    for mechanism in ("precursor_gate", "activation_sites", "osteocyte_opg"):
        morphs = held(BiologyParameters(rebound_mechanism=mechanism))
        morphs.advance(0.0, 0.0, 0.0, holding=False)
        assert morphs.fusing(0.7) == 0.7

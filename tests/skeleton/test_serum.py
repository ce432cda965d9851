"""Serum observation: quasi-steady in the day's flux, a non-skeletal share, and the assay's floor."""

import math

from engine.skeleton.serum import SERUM, pct, serum_marker


def test_marker_scales_with_flux_above_its_background_and_floors_at_the_lloq():
    ref, lloq = SERUM.ctx_reference_ng_per_ml.value, SERUM.ctx_lloq_ng_per_ml.value
    assert serum_marker(10.0, 10.0, ref, 0.0, lloq) == ref
    assert serum_marker(5.0, 10.0, ref, 0.0, lloq) == ref / 2
    assert serum_marker(0.0, 10.0, ref, 0.0, lloq) == lloq  # below the LLOQ: reported at it
    assert serum_marker(0.0, 10.0, 47.7, 0.05, 5.0) == 47.7 * 0.05 if 47.7 * 0.05 > 5.0 else 5.0
    assert math.isnan(serum_marker(1.0, 0.0, ref, 0.0, lloq))
    assert pct(ref / 2, ref) == -50.0
    # the deepest CTX change a patient can show: the assay floor over the reference level (≈ −87 %)
    assert round(pct(lloq, ref)) == -87

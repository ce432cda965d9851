"""Published points overlaid on plots are chosen from the run's own regimen."""

from engine.io.published import MONTH_DAYS, points_for_regimen


def q6m(doses):
    return [{"drug": "denosumab", "dose_mg": 60.0, "route": "subcutaneous", "start_day": 0.0,
             "interval_days": 182.5, "number_of_doses": doses}]


def test_continued_denosumab_gets_on_treatment_points_only():
    points = points_for_regimen(q6m(6), 1095)
    assert {p.readout for p in points} >= {"serum_ctx_change_pct", "lumbar_spine_bmd_change_pct", "serum_denosumab_ng_per_ml"}
    assert not [p for p in points if "missed dose" in p.label]
    assert all(p.day <= 1095 and "targets.md" in p.source for p in points)


def test_stopped_denosumab_gets_off_treatment_points_after_the_missed_dose():
    points = points_for_regimen(q6m(4), 1461)
    off = [p for p in points if "missed dose" in p.label]
    assert off and all(p.day > 4 * 182.5 for p in off)
    assert not [p for p in points if p.readout == "lumbar_spine_bmd_change_pct" and p.day == 36 * MONTH_DAYS]  # FREEDOM 36 mo


def test_placebo_other_doses_and_other_drugs():
    assert [p.readout for p in points_for_regimen([], 400)] == ["lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct"]
    assert points_for_regimen([dict(q6m(2)[0], dose_mg=14.0)], 365) == []
    assert points_for_regimen([{"drug": "alendronate", "dose_mg": 70.0, "route": "oral", "start_day": 0.0,
                                "interval_days": 7.0, "number_of_doses": 52}], 365) == []

"""Every patient a bundled trial's population allows gets her geometry: property-based over the trials, the
baseline T-score range (→ BV/TV) and the geometry seed (a 6-per-arm osteopenic cohort once lost a patient to
`GeometryError` in every arm)."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.grid.synthetic import synthetic_trabecular
from engine.trials.cohort import bv_tv_for_t_score
from engine.trials.loader import load_trial

TRIALS = sorted(p for p in Path("scenarios/trials").glob("*.yaml")
                if "base_scenario:" in p.read_text() and load_trial(p).trial.population.baseline_t_score)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trial=st.sampled_from(TRIALS), u=st.floats(0.0, 1.0), seed=st.integers(0, 2**31 - 2))
def test_every_patient_of_a_trial_population_builds(trial, u, seed):
    loaded = load_trial(trial)
    low, high = loaded.trial.population.baseline_t_score
    geometry = loaded.base.scenario.geometry
    volume = loaded.trial.resolution.volume_size_um or geometry.volume_size_um
    voxel = loaded.trial.resolution.voxel_size_um or geometry.voxel_size_um
    shape = tuple(int(round(v / voxel)) for v in volume)
    bone = synthetic_trabecular(shape, voxel, bv_tv_for_t_score(low + u * (high - low)),
                                geometry.structure.trabecular_thickness_um, seed)   # raises GeometryError if not
    assert bone.shape == shape

"""Scenario loading: good files load, bad ones give one clear line per problem naming the YAML path."""

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.scenario import ScenarioError, load_scenario, scenario_from_dict, scenario_from_text
from tests.conftest import SCENARIOS

SHIPPED = sorted(p for p in SCENARIOS.glob("*.yaml") if p.name != "broken.yaml")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path):
    loaded = load_scenario(path)
    assert loaded.scenario.duration_days > 0


def test_broken_scenario_names_path_line_value(capsys):
    with pytest.raises(ScenarioError) as err:
        load_scenario(SCENARIOS / "broken.yaml")
    assert len(err.value.problems) == 1
    line = str(err.value)
    assert "broken.yaml:14:" in line and "regimen[1].interval_days = -30" in line and "allowed: above 0" in line


def base() -> dict:
    return yaml.safe_load("""
        duration_days: 10
        geometry:
          volume_size_um: [200, 200, 200]
          voxel_size_um: 10
          structure: {type: synthetic_trabecular, bv_tv: 0.2, trabecular_thickness_um: 60}
        patient: {sex: female, age_years: 60, years_since_menopause: 5}
        regimen:
          - {drug: denosumab, dose_mg: 60, route: subcutaneous, interval_days: 182.5, number_of_doses: 2}
    """)


def problems_for(data) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, source="s.yaml")
    return err.value.problems


def test_base_is_valid():
    s = scenario_from_dict(base()).scenario
    assert s.regimen[0].number_of_doses == 2 and s.biology.rankl_decay_per_day == pytest.approx(10.13)


def test_unknown_key_suggests_nearest():
    data = base()
    data["geometry"]["voxel_size"] = data["geometry"].pop("voxel_size_um")
    problems = problems_for(data)
    assert any("geometry.voxel_size: unknown key; did you mean 'voxel_size_um'?" in p for p in problems)


def test_unknown_key_inside_tagged_union_has_yaml_path():
    data = base()
    data["geometry"]["structure"]["bvtv"] = 0.2
    problems = problems_for(data)
    assert any("geometry.structure.bvtv: unknown key; did you mean 'bv_tv'?" in p for p in problems)


def test_unknown_biology_parameter_suggests_nearest():
    data = base()
    data["biology"] = {"rankl_decay_per_dya": 3.0}
    assert "did you mean 'rankl_decay_per_day'" in problems_for(data)[0]


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["patient"].update(sex="f"), "patient.sex = 'f': Input should be 'female' or 'male'"),
    (lambda d: d["geometry"].update(voxel_size_um="ten"), "geometry.voxel_size_um = 'ten'"),
    (lambda d: d.update(duration_days=-1), "duration_days = -1: out of range; allowed: 1 to 36500"),
    (lambda d: d["regimen"][0].update(drug="aspirin"), "regimen[0].drug = 'aspirin'"),
    (lambda d: d["regimen"][0].update(route="oral"), "regimen[0].route = 'oral': is not a route for denosumab; allowed: subcutaneous"),
    (lambda d: d["regimen"][0].update(dose_mg=60000), "regimen[0].dose_mg = 60000.0: is outside 0.1-500 mg for denosumab"),
    (lambda d: d["regimen"][0].pop("interval_days"), "regimen[0].interval_days: is required when number_of_doses = 2"),
    (lambda d: d["patient"].update(sex="male"), "patient.years_since_menopause = 5.0: applies to women only"),
    (lambda d: d["patient"].update(years_since_menopause=50), "implies menopause before age 20"),
    (lambda d: d["geometry"].update(volume_size_um=[200, 205, 200]), "geometry.volume_size_um[1] = 205.0: must be a whole multiple"),
    (lambda d: d["geometry"].update(voxel_size_um=0.1), "more than the limit"),
    (lambda d: d["geometry"].update(volume_size_um=[200, -200, 200]), "geometry.volume_size_um[1] = -200: Input should be greater than 0"),
    (lambda d: d["geometry"].update(volume_size_um=[1e308, 1e308, 1e308]), "gives inf voxels in the volume, more than the limit"),
    (lambda d: d["geometry"]["structure"].update(type="cube"), "geometry.structure.type"),
    (lambda d: d["geometry"].pop("structure"), "geometry.structure: required key is missing"),
    (lambda d: d.update(numerics={"field_cell_size_um": 15}), "numerics.field_cell_size_um = 15.0: must be a whole multiple"),
    (lambda d: d.update(outputs={"snapshot_fields": ["rankl"]}), "outputs.snapshot_fields[0] = 'rankl'"),
    (lambda d: d["patient"].update(conditions=["diabetes"]), "patient.conditions[0] = 'diabetes'"),
    (lambda d: d.update(biology={"osteoblast_to_lining_fraction": 0.9}),
     "biology.osteoblast_to_lining_fraction = 0.9: osteoblast_to_osteocyte_fraction + osteoblast_to_lining_fraction"),
    (lambda d: d.update(numerics={"spin_up_days": -5}), "numerics.spin_up_days = -5: out of range; allowed: at least 0"),
    (lambda d: d.update(biology={"osteoclast_lifespan_days": 0}), "biology.osteoclast_lifespan_days = 0"),
])
def test_bad_values_name_path_and_allowed(mutate, expected):
    data = base()
    mutate(data)
    problems = problems_for(data)
    assert any(expected in p for p in problems), problems


def test_yaml_syntax_error_gives_line_number():
    with pytest.raises(ScenarioError) as err:
        scenario_from_text("duration_days: 10\ngeometry:\n  voxel_size_um: [1, 2\n", source="x.yaml")
    assert str(err.value).startswith("x.yaml:") and "invalid YAML syntax" in str(err.value)
    assert len(err.value.problems) == 1


def test_line_numbers_point_at_the_bad_value():
    text = yaml.safe_dump(base(), sort_keys=False).replace("sex: female", "sex: woman")
    with pytest.raises(ScenarioError) as err:
        scenario_from_text(text, source="x.yaml")
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "woman" in line)
    assert str(err.value).startswith(f"x.yaml:{line_no}: patient.sex")


def test_duplicate_key_is_refused():
    with pytest.raises(ScenarioError, match="duration_days: key appears twice"):
        scenario_from_text("duration_days: 10\nduration_days: 20\n", source="x.yaml")


@pytest.mark.parametrize("text, expected", [("", "found an empty file"), ("- 1\n- 2\n", "found a list"),
                                            ("just text", "found a str")])
def test_top_level_must_be_mapping(text, expected):
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_text(text)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_micro_ct_errors(tmp_path):
    data = base()
    data["geometry"] = {"voxel_size_um": 10, "structure": {"type": "micro_ct", "path": "missing.npy"}}
    assert "geometry.structure.path = 'missing.npy': file not found" in problems_for(data)[0]
    (tmp_path / "bad.npy").write_text("not numpy")
    data["geometry"]["structure"]["path"] = str(tmp_path / "bad.npy")
    assert "cannot be read as a µCT volume" in problems_for(data)[0]


def test_resolved_hash_changes_with_content():
    a = scenario_from_dict(base())
    data = base()
    data["seed"] = 5
    assert a.resolved_hash() != scenario_from_dict(data).resolved_hash()


# --- property-based: random bad values anywhere never give a traceback -----------------------------

def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


BASE_PATHS = list(_paths(base()))
bad_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.integers(-5, 5), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=3))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(BASE_PATHS), value=bad_values, extra_key=st.one_of(st.none(), st.text(min_size=1, max_size=8)))
def test_random_bad_values_never_traceback(path, value, extra_key):
    data = copy.deepcopy(base())
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    if extra_key is not None:
        data[extra_key] = 1
    try:
        scenario_from_dict(data, source="fuzz.yaml")
    except ScenarioError as err:
        text = str(err)
        assert text and "Traceback" not in text
        assert all(line.startswith("fuzz.yaml") for line in text.splitlines())


@pytest.mark.parametrize("text, message", [
    ("structure: &a {sex: female, trabecular_thickness_um: *a}\n", "recursive YAML aliases are not allowed"),
    ("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7)),
     "expand this file to more than 100,000 values"),
])
def test_aliases_that_recurse_or_explode_are_refused_at_once(tmp_path, text, message):
    """A file from someone else cannot hang or exhaust the machine: one line, exit 2, no traceback, at once."""
    import subprocess
    import sys
    import time
    path = tmp_path / "alias.yaml"
    path.write_text(text)
    t0 = time.monotonic()
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)
    assert time.monotonic() - t0 < 5
    done = subprocess.run([sys.executable, "-m", "engine.cli", "validate", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr

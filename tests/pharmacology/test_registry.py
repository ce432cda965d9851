"""The drug registry: a test-only drug, declared in this file alone, validates, runs, binds RANKL, is
recorded, checkpointed and offered by the view, without touching any other module."""

import math

import h5py
import numpy as np
import pytest

from engine.parameters import Parameter, ParameterTable
from engine.pharmacology import registry
from engine.pharmacology.registry import DrugModule, Readout
from engine.scenario.loader import ScenarioError, scenario_from_text
from tests.conftest import SMALL_SCENARIO

NANOBODY_PK = ParameterTable(
    Parameter("absorption_half_life_days", "ln2/ka", "day", 1.0, "test value"),
    Parameter("elimination_half_life_days", "ln2/k", "day", 5.0, "test value"),
    Parameter("volume_L", "V", "L", 3.0, "test value"),
    Parameter("molecular_weight_g_per_mol", "MW", "g/mol", 30_000.0, "test value"),
    Parameter("rankl_kd_nM", "K_D", "nmol/L", 0.01, "test value"),
)


class NanobodyPK:
    """One-compartment PK with first-order absorption, integrated exactly."""

    def __init__(self, overrides):
        self.p = {p.name: p.value for p in NANOBODY_PK} | dict(overrides)
        self.depot_mg = 0.0
        self.central_mg = 0.0

    def dose(self, dose_mg, route):
        self.depot_mg += dose_mg

    def advance(self, days):
        ka = math.log(2) / self.p["absorption_half_life_days"]
        k = math.log(2) / self.p["elimination_half_life_days"]
        d0, c0 = self.depot_mg, self.central_mg
        self.depot_mg = d0 * math.exp(-ka * days)
        self.central_mg = c0 * math.exp(-k * days) + d0 * ka / (ka - k) * (math.exp(-k * days) - math.exp(-ka * days))

    @property
    def marrow_nM(self):
        return self.central_mg / self.p["volume_L"] / self.p["molecular_weight_g_per_mol"] * 1e6


def _serum_nM(model):
    pk = model.exposure.pk("test_nanobody")
    return pk.marrow_nM if pk is not None else 0.0


@pytest.fixture
def nanobody():
    module = registry.register(DrugModule(
        name="test_nanobody", description="test-only RANKL-binding nanobody", routes=("subcutaneous",),
        dose_mg_range=(1.0, 100.0), usual_dose="10 mg SC (test)", parameters=NANOBODY_PK,
        make_pk=lambda overrides, weight: NanobodyPK(overrides), rankl_kd_nM=0.01, kd_parameter="rankl_kd_nM",
        readouts={"serum_test_nanobody_nM": Readout("nmol/L", "test nanobody in serum", _serum_nM)},
        view_presets={"test nanobody 10 mg": ({"drug": "test_nanobody", "dose_mg": 10, "route": "subcutaneous"},)}))
    yield module
    registry.unregister("test_nanobody")


def test_builtin_drugs_are_registered_with_their_tables():
    drugs = registry.drugs()
    assert list(drugs)[:4] == ["denosumab", "alendronate", "zoledronate", "teriparatide"]
    assert drugs["denosumab"].rankl_kd_nM == drugs["denosumab"].parameters.rankl_kd_nM.value == 0.003
    assert drugs["zoledronate"].bone_seeking and "lining_cell_reactivation" in drugs["teriparatide"].bone_processes
    with pytest.raises(KeyError, match="allowed: denosumab"):
        registry.drug("aspirin")


def test_a_test_only_drug_validates_runs_and_is_recorded(nanobody, tmp_path):
    from engine.io.checkpoint import load_model, read_info
    from engine.runner import run
    text = SMALL_SCENARIO.replace("duration_days: 5", "duration_days: 6") + (
        "regimen: [{drug: test_nanobody, dose_mg: 10, route: subcutaneous}]\n"
        "pharmacokinetics: {test_nanobody: {volume_L: 2.5}}\n")
    loaded = scenario_from_text(text, "nano.yaml")
    summary = run(loaded, out_dir=tmp_path, progress=False, log=lambda *a: None, plot=False)
    with h5py.File(summary.results_path) as f:
        serum = f["timeseries/serum_test_nanobody_nM"][()]
        complex_nM = f["timeseries/rankl_denosumab_nM"][()]  # the RANKL:drug complex of the grid
        occupancy = f["timeseries/rank_occupancy"][()]
        assert f["timeseries/serum_test_nanobody_nM"].attrs["units"] == "nmol/L"
    assert serum[0] == 0.0 and serum[-1] > 0 and complex_nM[-1] > 0
    assert occupancy[-1] < 0.5 * occupancy[0]  # it blocks RANKL
    model = load_model(read_info(tmp_path / "checkpoint.h5"))  # its PK object round-trips, no pickle
    assert isinstance(model.exposure.pk("test_nanobody"), NanobodyPK)
    assert model.exposure.pk("test_nanobody").p["volume_L"] == 2.5 and model.signalling.drug_kd_nM == 0.01
    from engine.view.models import regimen_choices  # offered by the browser view
    assert "test nanobody 10 mg" in regimen_choices(loaded)


@pytest.mark.parametrize("line, message", [
    ("{drug: test_nanobody, dose_mg: 10, route: oral}", "is not a route for test_nanobody; allowed: subcutaneous"),
    ("{drug: test_nanobody, dose_mg: 1000, route: subcutaneous}", "outside 1-100 mg for test_nanobody"),
])
def test_its_routes_and_dose_range_are_checked(nanobody, line, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_text(SMALL_SCENARIO + f"regimen: [{line}]\n", "nano.yaml")


def test_unregistered_drugs_are_refused_with_the_allowed_names():
    with pytest.raises(ScenarioError, match="regimen\\[0\\].drug = 'test_nanobody'.*allowed: denosumab, alendronate"):
        scenario_from_text(SMALL_SCENARIO + "regimen: [{drug: test_nanobody, dose_mg: 10, route: subcutaneous}]\n",
                           "nano.yaml")

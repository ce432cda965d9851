"""bmu export: a run's series as CSV/Parquet, runs and trials as the NONMEM-style long table."""

import json

import numpy as np
import pandas as pd
import pytest

from engine.io.export import ExportError, export, long_table
from engine.runner import run
from engine.scenario import scenario_from_text
from engine.trials.schema import TRIAL_READOUTS
from engine.trials.store import TrialStore
from tests.conftest import SMALL_SCENARIO

REGIMEN = "regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: 0, interval_days: 2, " \
          "number_of_doses: 2}]\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run(scenario_from_text(SMALL_SCENARIO + REGIMEN), out, progress=False, log=lambda *a: None,
               plot=False).results_path


TRIAL_YAML = """\
name: fake
base_scenario: base.yaml
seed: 1
patients_per_arm: 2
arms:
  placebo: {regimen: []}
  dmab: {regimen: [{drug: denosumab, dose_mg: 60, route: subcutaneous, start_day: 0, interval_days: 182.5,
                    number_of_doses: 6}]}
"""


@pytest.fixture
def trial_file(tmp_path):
    """A trial.h5 as the store writes it, with two patients per arm and made-up series."""
    path = tmp_path / "trial.h5"
    days = np.arange(0, 400, 100)
    with TrialStore(path, "fake", TRIAL_YAML, 1, "whole-skeleton layer only", resume=False) as store:
        for arm in ("placebo", "dmab"):
            for i in range(2):
                series = {name: np.full(days.size, np.nan) if name.startswith("biopsy") else days * 0.01 + i
                          for name in TRIAL_READOUTS}
                store.add_patient({"patient_id": f"{arm}-{i:04d}", "arm": arm, "index": i, "seed": 7 + i,
                                   "characteristics": {"age_years": 70.0 + i, "baseline_t_score": -3.0,
                                                       "bv_tv": 0.16, "pharmacokinetics.denosumab.x_L": 0.5},
                                   "day": days, "wall_s": 0.1, "results_file": "", **series})
    return path


def test_a_run_exports_one_row_per_recorded_day(results):
    csv = pd.read_csv(export(results, "csv"))
    assert list(csv["day"]) == list(range(6)) and "serum_ctx_change_pct" in csv and "biopsy_bmd_change_pct" in csv
    parquet = pd.read_parquet(export(results, "parquet"))
    pd.testing.assert_frame_equal(parquet, csv, check_dtype=False)
    import pyarrow.parquet as pq
    units = json.loads(pq.read_schema(results.with_suffix(".parquet")).metadata[b"units"])
    assert units["serum_ctx_ng_per_ml"] == "ng/mL" and units["day"] == "day"


def test_a_run_as_a_nonmem_table_has_its_doses_after_the_baseline(results):
    table = pd.read_csv(export(results, "nonmem"), na_values=".")
    doses = table[table.EVID == 1]
    assert list(doses.TIME) == [0.0, 2.0] and set(doses.AMT) == {60.0} and set(doses.MDV) == {1}
    at_zero = table[table.TIME == 0.0]
    assert at_zero.EVID.iloc[-1] == 1 and (at_zero.EVID.iloc[:-1] == 0).all()   # observations first, then the dose
    assert table.DV[table.EVID == 1].isna().all() and table.DV[table.EVID == 0].notna().all()


def test_a_trial_long_table_has_every_patient_with_covariates_and_doses(trial_file):
    table = long_table(trial_file)
    assert sorted(table.ID.unique()) == [1, 2, 3, 4]
    assert set(table.ARM) == {"placebo", "dmab"} and set(table.ARMN) == {1, 2}
    dmab = table[table.ARM == "dmab"]
    assert sorted(dmab[dmab.EVID == 1].TIME.unique()) == [0.0, 182.5]   # doses within the observed 300 days
    assert (table[table.ARM == "placebo"].EVID == 0).all()
    assert set(table.READOUT[table.EVID == 0]) == {n for n in TRIAL_READOUTS if not n.startswith("biopsy")}
    assert set(table.AGE) == {70.0, 71.0} and set(table.TSCORE) == {-3.0} and "X_L" in table
    assert table.groupby("ID").TIME.apply(lambda t: t.is_monotonic_increasing).all()
    nonmem = export(trial_file, "nonmem")
    assert nonmem.name == "trial_nonmem.csv" and ",.," in nonmem.read_text()


def test_export_refuses_what_it_cannot_read(tmp_path):
    (tmp_path / "x.h5").write_bytes(b"not hdf5")
    with pytest.raises(ExportError, match="not an HDF5 file"):
        export(tmp_path / "x.h5")
    with pytest.raises(ExportError, match="file not found"):
        export(tmp_path / "missing.h5")


def read_vti(path):
    """A minimal reader of the raw-appended VTK ImageData we write (VTK 9.7 reads the same files; checked by
    hand): {name: (z, y, x) array}, spacing."""
    import re
    raw = path.read_bytes()
    head, _, tail = raw.partition(b'<AppendedData encoding="raw">')
    text = head.decode()
    nx, ny, nz = (int(v) for v in re.search(r'WholeExtent="0 (\d+) 0 (\d+) 0 (\d+)"', text).groups())
    spacing = tuple(float(v) for v in re.search(r'Spacing="([^"]+)"', text).group(1).split())
    data = tail[tail.index(b"_") + 1:]
    out = {}
    for name, offset in re.findall(r'Name="(\w+)" format="appended" offset="(\d+)"', text):
        offset = int(offset)
        size = int(np.frombuffer(data[offset:offset + 8], "<u8")[0])
        out[name] = np.frombuffer(data[offset + 8:offset + 8 + size], "<f4").reshape(nz, ny, nx)
    return out, spacing


def test_snapshots_export_to_vtk_image_data_and_a_paraview_collection(results):
    import h5py
    pvd = export(results, "vtk")
    assert pvd.suffix == ".pvd"
    files = [pvd.parent / line.split('file="')[1].split('"')[0] for line in pvd.read_text().splitlines()
             if "<DataSet" in line]
    with h5py.File(results) as f:
        snap = f["snapshots"]
        assert len(files) == len(snap["day"])
        arrays, spacing = read_vti(files[-1])
        assert spacing == (10.0, 10.0, 10.0) and set(arrays) == {"bone_fraction", "rankl_nM", "opg_nM"}
        for name, array in arrays.items():
            np.testing.assert_array_equal(array, snap[name][-1])


def test_a_trial_table_streamed_in_pieces_is_the_whole_table(trial_file, tmp_path, monkeypatch):
    import engine.io.export as export_module
    whole = pd.read_csv(export(trial_file, "csv", tmp_path / "whole.csv"))
    monkeypatch.setattr(export_module, "PATIENTS_PER_CHUNK", 1)
    pieces = pd.read_csv(export(trial_file, "csv", tmp_path / "pieces.csv"))
    pd.testing.assert_frame_equal(whole, pieces)
    parquet = pd.read_parquet(export(trial_file, "parquet", tmp_path / "pieces.parquet"))
    assert len(parquet) == len(whole) and list(parquet.columns) == list(whole.columns)

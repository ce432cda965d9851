"""`bmu`: the command line. It only wires scenario loading, the runner and the inspector together.

Exit codes: 0 success, 1 a write failed (disk full, folder not writable), 2 bad input (scenario, file,
checkpoint, arguments), 130 interrupted (Ctrl-C or SIGTERM; a checkpoint is written first).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine import __version__
from engine.units import MAX_DURATION_DAYS

EPILOG_MAIN = """\
examples:
  bmu run scenarios/default.yaml                 simulate the default scenario (3 years)
  bmu run scenarios/default.yaml --days 30       a quick 30-day run
  bmu inspect outputs/default/results.h5         summarise a results file
  bmu plot outputs/default/results.h5            BV/TV, BMD/CTX/P1NP %, histomorphometry, cells (PNG)
  bmu validate scenarios/my_patient.yaml         check a scenario without running it
  bmu resume outputs/default/checkpoint.h5       continue an interrupted run
  bmu view scenarios/default.yaml                watch remodeling in the browser (SolaraViz)
  bmu trial scenarios/trials/freedom_3y.yaml     a virtual trial on Dask, with a report vs published results
  bmu export outputs/freedom_3y/trial.h5 --format nonmem   a NONMEM/nlmixr2/mrgsolve long table (CSV)
  bmu sweep scenarios/sweeps/denosumab_drivers.yaml   rank parameters by their effect (Morris/Sobol, SALib)

Scenario keys are documented in scenarios/README.md. Units are in the key names
(voxel_size_um, dose_mg, interval_days, ...).
"""

EPILOG_RUN = """\
examples:
  bmu run scenarios/default.yaml
  bmu run scenarios/default.yaml --days 90 --out outputs/try1 --seed 7
  bmu run scenarios/denosumab_60mg_q6m_3y.yaml             FREEDOM-like regimen, 3 years
  bmu run scenarios/denosumab_dose_ranging.yaml --arm 14mg_q6m   one arm of a scenario with arms
  bmu run scenarios/denosumab_dose_ranging.yaml            every arm, then OUT/arms.png comparing them
  bmu run scenarios/alendronate_70mg_weekly_3y.yaml        bisphosphonate on the surface: fewer BMUs start
  bmu run scenarios/teriparatide_20ug_daily_2y.yaml        anabolic: P1NP rises before CTX
  bmu run scenarios/sequences.yaml --arm denosumab_then_zoledronate   drugs in sequence (6 arms in the file)
  bmu run scenarios/glucocorticoid_users.yaml              a population condition, with three regimens

Writes OUT/results.h5 (HDF5): /timeseries/<readout> one row per recorded day with a
'units' attribute, /snapshots/<field> 3-D fields at snapshot days, /scenario with the YAML
text and resolved parameters, /bmus one row per finished BMU (resorption, reversal and
formation periods, erosion depth, wall thickness), and OUT/timeseries.png (see `bmu plot`).
Before day 0 the model runs numerics.spin_up_days with the patient held at day 0, so the
run starts with BMUs in every phase; BMD, CTX and P1NP are % changes from that state.
Summarise the file with `bmu inspect OUT/results.h5`.
Checkpoints: OUT/checkpoint.h5 is written every outputs.checkpoint_every_days, at the
last day, and on Ctrl-C / SIGTERM (exit code 130); `bmu resume OUT/checkpoint.h5`
continues the run, and the result is identical to an uninterrupted run.
A folder that already holds a run is refused unless --overwrite is given.
A scenario error prints one line per problem (file:line: yaml.path = value: what is
allowed) and exits with code 2.
"""

EPILOG_RESUME = """\
examples:
  bmu resume outputs/default/checkpoint.h5                   continue to the day the run was asked to reach
  bmu run scenarios/default.yaml --days 400 --out a/         ...and later:
  bmu resume a/checkpoint.h5 --until-day 1095                extend it to day 1095

The checkpoint holds the whole model state (grid, every agent, precursors, drug compartments, random
generators). results.h5 in the same folder is continued: rows after the checkpoint's day (written
before a crash) are dropped first, so nothing is duplicated or missing. A checkpoint written by
another engine version, or for another scenario (--scenario), is refused with what differs.
"""

EPILOG_INSPECT = """\
example:
  bmu inspect outputs/default/results.h5
  bmu inspect outputs/default/checkpoint.h5   day, scenario, engine version, resumable or not
  bmu inspect outputs/freedom_3y/trial.h5     arms, patients, failures, last-day median [5 %, 95 %] per readout

Prints the run (engine version, seed, provenance), the patient and regimen, the simulated time range,
and every /timeseries dataset with its units and last value, then the snapshot fields.
"""

EPILOG_PLOT = """\
examples:
  bmu plot outputs/default/results.h5
  bmu plot outputs/default/results.h5 --out figure.png

Four panels over time (years): BV/TV; BMD (lumbar-spine DXA proxy and trabecular
mineral), CTX and P1NP proxies (% change from baseline); eroded and osteoid surface (% of bone surface) with activation frequency;
cell counts (osteoclasts, nuclei, osteoblasts, lining cells, osteocytes, precursors).
`bmu run` writes the same figure as timeseries.png next to results.h5.
"""

EPILOG_VIEW = """\
examples:
  bmu view scenarios/default.yaml                 simulate in the browser: open the printed address
  bmu view scenarios/denosumab_stop_after_2y.yaml --port 8800
  bmu view outputs/default/results.h5             replay a finished run from its snapshots (no simulation)

Starts Mesa's SolaraViz on 127.0.0.1 and prints its address. Panels: a slice of the volume (bone
coloured by mineralization, osteoid, marrow, and the cells: osteoclasts, osteoblasts, lining cells,
osteocytes); the same slice of a signalling field (free RANKL, OPG, denosumab, RANK occupancy) with
its colour range and units; a 3-D surface rendering with active BMUs in red; BMD/CTX/P1NP %, serum
denosumab and cell counts with dose days dotted. The sidebar has Step / Play / Reset, the slice
controls (axis, depth, cells on/off) and the model inputs (regimen, years since menopause, seed),
which take effect on Reset. A live view spins the model up first (numerics.spin_up_days; lower it
with --spin-up-days for a quick look). Each panel shows how long its last frame took to draw.
Ctrl-C stops the server.
"""

EPILOG_TRIAL = """\
examples:
  bmu trial scenarios/trials/freedom_3y.yaml --workers 2                  LocalCluster on this machine
  bmu trial scenarios/trials/freedom_3y.yaml --scheduler tcp://host:8786  an existing Dask cluster
  bmu trial scenarios/trials/freedom_3y.yaml --resume                     finish only the patients not yet done
  bmu trial scenarios/trials/freedom_3y.yaml --patients-per-arm 4 --out outputs/quick   a quick look
  bmu trial scenarios/trials/freedom_3y.yaml --patients-per-arm 3934 --volumes-per-arm 0
                                    FREEDOM-sized (7,868 women), whole-skeleton layer only: ~15 min on 2 cores
  bmu trial scenarios/trials/dose_ranging_phase2.yaml
  bmu trial scenarios/trials/denosumab_discontinuation.yaml
  bmu trial scenarios/trials/decide_dmab_vs_aln.yaml       denosumab vs alendronate in the same women, 12 months
  bmu trial scenarios/trials/bisphosphonates_3y.yaml       alendronate and zoledronate vs placebo, 36 months
  bmu trial scenarios/trials/teriparatide_neer.yaml        teriparatide 20 and 40 µg vs placebo, 19 months
  bmu trial scenarios/trials/sequences_4y.yaml             sequences and combinations, 48 months (predictions)
  bmu trial scenarios/trials/populations_1y.yaml           men, glucocorticoid users, Japanese women (predictions)

A trial file names a base scenario, arms (regimens), a population (sex, age, years since menopause,
baseline T-score, body weight, glucocorticoid use), log-normal inter-individual variability of chosen parameters, a trial seed
and published rows to compare with (an arm mean, or a difference 'versus' another arm such as
placebo). Patient i is the same virtual person in every arm; the cohort
depends only on the trial seed, not on the number of workers. Each patient is one Dask task (one numba
thread per worker), retried once if it fails; a patient that fails twice is reported with its seed and
the trial goes on. Writes OUT/trial.h5 (per-patient time series, arm mean/SD/95 % CI), OUT/report.html
and report.md with PNGs (simulated mean ± CI with the published points, and a pass/miss table), and
OUT/patients/<id>/results.h5. Default OUT: outputs/<trial name>.
"""

EPILOG_EXPORT = """\
examples:
  bmu export outputs/default/results.h5                       time series as CSV (one row per day)
  bmu export outputs/default/results.h5 --format parquet      the same as Parquet (units in the schema metadata)
  bmu export outputs/freedom_3y/trial.h5                      every patient as a long table (CSV)
  bmu export outputs/freedom_3y/trial.h5 --format nonmem --out nm/freedom.csv
  bmu export outputs/default/results.h5 --format vtk          snapshots for ParaView: open results_vtk/results.pvd

Formats:
  csv, parquet   a results.h5: one row per recorded day, one column per readout (units in the names);
                 a trial.h5: the long table below
  nonmem         the long table as NONMEM reads it ($DATA: '.' for missing values): ID, PATIENT, ARM, ARMN,
                 TIME (days), EVID (0 observation, 1 dose), MDV, AMT (mg), DRUG, ROUTE, DV, DVID, READOUT,
                 UNITS, then covariates AGE, YSM, TSCORE, BVTV, WT, GCYRS and each sampled parameter.
                 Observations at a dose time come first (day 0 is the pre-dose baseline). In NONMEM, DROP
                 the text columns ($INPUT ID PATIENT=DROP ARM=DROP ...); nlmixr2, mrgsolve and tidyvpc
                 read them as they are.
  vtk            a results.h5's snapshots: one VTK ImageData file (.vti) per snapshot day with every
                 snapshot field as cell data, spacing in µm, and a ParaView collection (.pvd) over the days.
The default output is next to FILE (results.csv, trial_long.csv, trial_nonmem.csv, results_vtk/, ...).
"""

EPILOG_SWEEP = """\
examples:
  bmu sweep scenarios/sweeps/denosumab_drivers.yaml               Morris screening, whole-skeleton layer (~1 min)
  bmu sweep scenarios/sweeps/denosumab_drivers.yaml --workers 8 --out outputs/drivers

A sweep file names a base scenario, the scenario keys to vary (biology.<name>,
pharmacokinetics.<drug>.<name>, patient.<name>, geometry.structure.bv_tv, ...) with their ranges, a
design and the readouts to compare (each run's last-day value):
  method: morris   elementary effects (SALib): mu* ranks the parameters, sigma flags interactions;
                   samples x (parameters + 1) runs
  method: sobol    first-order (S1) and total (ST) variance shares with 95 % intervals (SALib, Saltelli);
                   samples x (parameters + 2) runs
  method: grid     every combination of each parameter's `values`
  solver: skeleton the whole-skeleton layer alone (patient-level readouts; deterministic; ~0.2 s a run-year)
  solver: volume   the agent volume as well (bmu run's model; tissue readouts; ~10 s a simulated year)
Runs go to Dask like trial patients (one numba thread each). Writes OUT/sweep.csv (every run),
OUT/sensitivity.csv (ranked per output), OUT/sensitivity.png and OUT/report.md.
"""

EPILOG_VALIDATE = """\
example:
  bmu validate scenarios/default.yaml

Loads and checks a scenario (types, ranges, units, drug routes and doses, geometry) and
prints the resolved values; exit code 0 if valid, 2 if not.
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _run_days(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_DURATION_DAYS:
        raise argparse.ArgumentTypeError(f"at most {MAX_DURATION_DAYS} days (100 years, the limit of duration_days), "
                                         f"got {value}")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bmu", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_MAIN,
        description="Agent-based simulation of bone remodeling (BMUs) on a 3-D voxel grid, "
                    "with osteoporosis drug regimens.")
    parser.add_argument("--version", action="version", version=f"bmu-engine {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser("run", help="simulate a scenario and write results.h5",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_RUN,
                         description="Simulate a scenario YAML day by day, with a progress bar, and write HDF5 results.")
    run.add_argument("scenario", type=Path, help="scenario YAML file (see scenarios/README.md)")
    run.add_argument("--out", type=Path, metavar="DIR",
                     help="output folder (default: outputs.folder in the scenario, else outputs/<scenario name>)")
    run.add_argument("--days", type=_run_days, metavar="N",
                     help=f"simulate N days instead of duration_days (1 to {MAX_DURATION_DAYS:,}, as in the YAML)")
    run.add_argument("--seed", type=_nonnegative_int, metavar="S", help="random seed instead of the scenario's seed")
    run.add_argument("--arm", metavar="NAME",
                     help="for a scenario with arms (e.g. a dose-ranging study): run only this arm "
                          "(default: every arm, each into OUT/<arm>/)")
    run.add_argument("--overwrite", action="store_true", help="replace results already in the output folder")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    res = sub.add_parser("resume", help="continue a run from its checkpoint",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_RESUME,
                         description="Continue an interrupted (or finished) run from OUT/checkpoint.h5.")
    res.add_argument("checkpoint", type=Path, help="checkpoint.h5 written by `bmu run`")
    res.add_argument("--until-day", type=_positive_int, metavar="N",
                     help="run to day N (default: the day the original run was asked to reach)")
    res.add_argument("--scenario", type=Path, metavar="YAML",
                     help="refuse unless the checkpoint was written for this scenario")
    res.add_argument("--quiet", action="store_true", help="no progress bar")

    insp = sub.add_parser("inspect", help="summarise a results.h5 or trial.h5 file",
                          formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_INSPECT,
                          description="Summarise a results file (scenario, time range, datasets with units, last values) "
                                      "or a trial file (arms, patients, last values per arm).")
    insp.add_argument("file", type=Path, help="results.h5 or checkpoint.h5 written by `bmu run`, or trial.h5 of `bmu trial`")

    plot = sub.add_parser("plot", help="plot a results.h5 time series as PNG",
                          formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_PLOT,
                          description="Plot BV/TV, BMD/CTX/P1NP proxies, histomorphometry and cell counts over time.")
    plot.add_argument("file", type=Path, help="results.h5 written by `bmu run`")
    plot.add_argument("--out", type=Path, metavar="PNG", help="output image (default: timeseries.png next to FILE)")

    view = sub.add_parser("view", help="watch a scenario (or replay a results.h5) in the browser",
                          formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_VIEW,
                          description="Start the SolaraViz browser view of a scenario (live) or of a results.h5 (replay).")
    view.add_argument("source", type=Path, help="scenario YAML (live simulation) or results.h5 (replay)")
    view.add_argument("--port", type=_port, default=8765, help="port on 127.0.0.1 (default 8765)")
    view.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    view.add_argument("--spin-up-days", type=_nonnegative_int, metavar="N",
                      help="days simulated before day 0 of a live view (default: the scenario's numerics.spin_up_days)")

    tri = sub.add_parser("trial", help="run a virtual trial (cohorts x arms) on Dask and write a report",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_TRIAL,
                         description="Run a virtual clinical trial: virtual patients in arms, in parallel on Dask.")
    tri.add_argument("trial", type=Path, help="trial YAML (see scenarios/trials/)")
    tri.add_argument("--workers", type=_positive_int, default=2, help="local Dask workers, one core each (default 2)")
    tri.add_argument("--scheduler", metavar="ADDRESS", help="address of an existing Dask scheduler (tcp://host:8786)")
    tri.add_argument("--resume", action="store_true", help="keep the patients already in OUT/trial.h5, run the rest")
    tri.add_argument("--patients-per-arm", type=_positive_int, metavar="N", help="override the trial's cohort size")
    tri.add_argument("--volumes-per-arm", type=_nonnegative_int, metavar="N",
                     help="override the trial's volumes_per_arm: the first N patients of each arm also get an agent "
                          "volume (biopsy readouts), the others the whole-skeleton layer alone (0: layer only, fast)")
    tri.add_argument("--out", type=Path, help="output folder (default outputs/<trial name>)")

    exp = sub.add_parser("export", help="results or trial -> CSV, Parquet, a NONMEM-style long table or VTK",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_EXPORT,
                         description="Write a results.h5 or trial.h5 as a table for R, pandas, NONMEM, nlmixr2, "
                                     "mrgsolve or tidyvpc.")
    exp.add_argument("file", type=Path, help="results.h5 (bmu run) or trial.h5 (bmu trial)")
    exp.add_argument("--format", choices=("csv", "parquet", "nonmem", "vtk"), default="csv", help="default csv")
    exp.add_argument("--out", type=Path, metavar="PATH", help="output file (default: next to FILE)")

    swp = sub.add_parser("sweep", help="a parameter grid or a Morris/Sobol sensitivity analysis over scenario keys",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_SWEEP,
                         description="Run a sweep file's design on Dask and rank the parameters per readout.")
    swp.add_argument("sweep", type=Path, help="sweep YAML (see scenarios/sweeps/)")
    swp.add_argument("--workers", type=_positive_int, default=2, help="local Dask workers, one core each (default 2)")
    swp.add_argument("--scheduler", metavar="ADDRESS", help="address of an existing Dask scheduler")
    swp.add_argument("--out", type=Path, help="output folder (default outputs/<sweep name>)")

    val = sub.add_parser("validate", help="check a scenario without running it",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_VALIDATE,
                         description="Check a scenario YAML and print its resolved values.")
    val.add_argument("scenario", type=Path, help="scenario YAML file")
    return parser


def _error(message: str) -> int:
    print(message if message.startswith("error") else f"error: {message}", file=sys.stderr)
    return 2


def _load(path: Path):
    """The loaded scenario, or the exit code after printing its problems."""
    from engine.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        return _error(str(exc))


def _report(summary) -> None:
    rate = summary.days / summary.wall_s if summary.wall_s > 0 else float("inf")
    print(f"wrote {summary.results_path} ({summary.days} days in {summary.wall_s:.1f} s, {rate:.1f} days/s; "
          f"model ready in {summary.build_s:.1f} s)")
    print(f"plots:   {summary.plot_path}")
    print(f"summary: bmu inspect {summary.results_path}")
    print(f"checkpoint: {summary.checkpoint_path} (extend with: bmu resume {summary.checkpoint_path} --until-day N)")


def _guarded(call, scenario_path):
    """Run `call`; map the failures a user can meet to one clear line and an exit code."""
    from engine.grid.synthetic import GeometryError
    from engine.io.checkpoint import CheckpointError
    from engine.io.results import ResultsError
    from engine.runner import OutputExistsError, ResumeError, RunInterrupted

    try:
        return call()
    except RunInterrupted as exc:
        print(f"\ninterrupted at day {exc.day}: checkpoint written to {exc.checkpoint_path}\n"
              f"resume with: bmu resume {exc.checkpoint_path}", file=sys.stderr)
        return 130
    except GeometryError as exc:
        return _error(f"{scenario_path}: {exc}")
    except (OutputExistsError, ResumeError, ResultsError) as exc:
        return _error(str(exc))
    except CheckpointError as exc:
        code = 1 if "cannot write" in str(exc) else 2
        _error(str(exc))
        return code
    except PermissionError as exc:
        _error(f"cannot write output: {exc}")
        return 1
    except OSError as exc:
        _error(f"cannot write output: {exc.strerror or exc}")
        return 1


def _cmd_run(args) -> int:
    from engine.io.plots import plot_arms
    from engine.runner import default_output_dir, run

    loaded = _load(args.scenario)
    if isinstance(loaded, int):
        return loaded
    arms = list(loaded.scenario.arms)
    if args.arm is not None and args.arm not in arms:
        where = f"its arms are: {', '.join(arms)}" if arms else "it has no arms (no `arms:` key)"
        return _error(f"{args.scenario}: --arm {args.arm}: no such arm; {where}")
    out = args.out if args.out is not None else default_output_dir(loaded)
    if not arms:
        jobs = [(loaded, out)]
    elif args.arm is not None:
        jobs = [(loaded.arm(args.arm), out / args.arm)]
    else:
        jobs = [(loaded.arm(name), out / name) for name in arms]
    summaries = []
    for job, job_out in jobs:
        if len(jobs) > 1:
            print(f"arm {job.name}", file=sys.stderr)
        summary = _guarded(lambda: run(job, out_dir=job_out, days=args.days, seed=args.seed,
                                       progress=not args.quiet, log=lambda m: print(m, file=sys.stderr),
                                       overwrite=args.overwrite), args.scenario)
        if isinstance(summary, int):
            return summary
        summaries.append(summary)
        _report(summary)
    if len(summaries) > 1:
        print(f"arms:    {plot_arms([s.results_path for s in summaries], out / 'arms.png')}")
    return 0


def _cmd_resume(args) -> int:
    from engine.runner import resume

    expected = None
    if args.scenario is not None:
        expected = _load(args.scenario)
        if isinstance(expected, int):
            return expected
    summary = _guarded(lambda: resume(args.checkpoint, until_day=args.until_day, progress=not args.quiet,
                                      log=lambda m: print(m, file=sys.stderr), expected=expected), args.checkpoint)
    if isinstance(summary, int):
        return summary
    _report(summary)
    return 0


def _cmd_inspect(args) -> int:
    from engine.io.checkpoint import FORMAT, CheckpointError, read_info, summary
    from engine.io.inspect import InspectError, summarize

    if _is_checkpoint(args.file, FORMAT):
        try:
            print(summary(read_info(args.file)))
        except CheckpointError as exc:
            return _error(str(exc))
        return 0
    try:
        print(summarize(args.file))
    except InspectError as exc:
        return _error(str(exc))
    return 0


def _is_checkpoint(path: Path, fmt: str) -> bool:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("format") == fmt
    except (OSError, ValueError):
        return False


def _cmd_plot(args) -> int:
    from engine.io.plots import PlotError, plot_results

    if not args.file.exists():
        return _error(f"{args.file}: no such file (run `bmu run SCENARIO` first)")
    if args.out is not None:
        from matplotlib.backend_bases import FigureCanvasBase

        formats = set(FigureCanvasBase.get_supported_filetypes())   # what matplotlib can write here
        suffix = args.out.suffix.lower().lstrip(".")
        if suffix not in formats:
            return _error(f"--out {args.out}: the file name's ending picks the format; use one of "
                          f"{', '.join(sorted(formats))}")
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _error(f"--out {args.out}: cannot create the folder {args.out.parent} ({exc.strerror})")
    try:
        print(f"wrote {plot_results(args.file, args.out)}")
    except PlotError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write the figure {args.out}: {exc.strerror or exc}")
    return 0


def _cmd_view(args) -> int:
    import os
    import socket

    from engine.view.page import is_results_file

    source = args.source
    if not source.exists():
        return _error(f"{source}: no such file (give a scenario .yaml or a results.h5)")
    if is_results_file(source):
        from engine.view.models import ReplayModel
        try:
            ReplayModel(results_path=str(source))
        except (OSError, ValueError, KeyError) as exc:
            return _error(f"{source}: cannot be replayed: {exc}")
    else:
        loaded = _load(source)
        if isinstance(loaded, int):
            return loaded
    with socket.socket() as probe:
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            return _error(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); choose another --port")
    app = Path(__file__).parent / "view" / "app.py"
    # solara-assets (a dependency) serves the page's JavaScript from the venv, so no CDN is needed;
    # telemetry off: the view must work on a machine without internet access
    env = dict(os.environ, BMU_VIEW_SOURCE=str(source.resolve()), SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    if args.spin_up_days is not None:
        env["BMU_VIEW_SPIN_UP_DAYS"] = str(args.spin_up_days)
    command = [sys.executable, "-m", "solara", "run", str(app), "--host", args.host, "--port", str(args.port),
               "--production", "--no-open", "--log-level", "warning"]
    mode = "replay of" if is_results_file(source) else "live simulation of"
    print(f"bmu view: {mode} {source}\n  open http://{args.host}:{args.port} in a browser "
          "(the first page load builds the model; Ctrl-C stops the server)", flush=True)
    os.execve(sys.executable, command, env)  # the server replaces this process: Ctrl-C/SIGTERM reach it


def _cmd_trial(args) -> int:
    from engine.trials.loader import TrialError, load_trial
    from engine.trials.runner import run_trial

    try:
        loaded = load_trial(args.trial)
    except TrialError as exc:
        return _error(str(exc))
    out = args.out or Path("outputs") / loaded.trial.name
    try:
        summary = run_trial(loaded, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                            patients_per_arm=args.patients_per_arm, volumes_per_arm=args.volumes_per_arm,
                            progress=True)
    except (OSError, ValueError) as exc:
        return _error(str(exc))
    print(f"trial {loaded.trial.name}: {summary.n_done} patients run, {summary.n_skipped} kept from before, "
          f"{len(summary.failures)} failed, in {summary.wall_s / 60:.1f} min ({summary.resolution})")
    print(f"data:   {summary.trial_path}")
    if summary.report_path:
        print(f"report: {summary.report_path}")
    for pid, failure in summary.failures.items():
        print(f"failed: {pid} (seed {failure['seed']}): {failure['error']}", file=sys.stderr)
    return 0 if not summary.failures else 1


def _cmd_export(args) -> int:
    from engine.io.export import ExportError, export

    try:
        written = export(args.file, args.format, args.out)
    except ExportError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write {args.out or 'the table'}: {exc.strerror or exc}")
    print(f"wrote {written}")
    return 0


def _cmd_sweep(args) -> int:
    from engine.sweeps.run import SweepError, load_sweep, run_sweep

    try:
        loaded = load_sweep(args.sweep)
    except SweepError as exc:
        return _error(str(exc))
    out = args.out or Path("outputs") / loaded.sweep.name
    try:
        summary = run_sweep(loaded, out, workers=args.workers, scheduler=args.scheduler)
    except (OSError, ValueError) as exc:
        return _error(str(exc))
    print(f"sweep {loaded.sweep.name}: {summary.runs} runs, {summary.failed} failed, in {summary.wall_s / 60:.1f} min")
    if not summary.ranked.empty:
        for output, rows in summary.ranked.groupby("output", sort=False):
            top = ", ".join(f"{r.parameter.split('.')[-1]} ({r.importance:.3g})" for r in rows.head(3).itertuples())
            print(f"  {output}: {top}")
    print(f"table:  {out / 'sweep.csv'}\nranked: {out / 'sensitivity.csv'}\nfigure: {out / 'sensitivity.png'}")
    return 0 if not summary.failed else 1


def _cmd_validate(args) -> int:
    import yaml

    loaded = _load(args.scenario)
    if isinstance(loaded, int):
        return loaded
    print(f"{args.scenario}: valid scenario '{loaded.name}'. Resolved values (null: what is used instead):")
    text = yaml.safe_dump(loaded.scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True).rstrip()
    print(_explain_nulls(text, loaded))
    return 0


def _explain_nulls(text: str, loaded) -> str:
    """Each `key: null` of the resolved YAML with a comment saying what the run uses in its place."""
    from engine.pharmacology.denosumab import REFERENCE_BODY_WEIGHT_KG
    from engine.scenario.consistency import field_cell_factor

    s = loaded.scenario
    used = {
        "name": f"the file name, {loaded.name!r}",
        "years_since_menopause": "not applicable (a man)" if s.patient.sex == "male" else "premenopausal",
        "body_weight_kg": f"the PK tables' reference adult, {REFERENCE_BODY_WEIGHT_KG:g} kg",
        "field_cell_size_um": f"{field_cell_factor(s) * s.geometry.voxel_size_um:g} µm (automatic)",
        "folder": f"outputs/{loaded.name}",
        "volume_size_um": "the µCT file's size",
    }
    out = []
    for line in text.splitlines():
        key, sep, value = line.strip().partition(": ")
        if sep and value == "null" and key in used:
            line = f"{line}    # -> {used[key]}"
        out.append(line)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"run": _cmd_run, "resume": _cmd_resume, "inspect": _cmd_inspect, "plot": _cmd_plot,
                "validate": _cmd_validate, "view": _cmd_view, "trial": _cmd_trial,
                "export": _cmd_export, "sweep": _cmd_sweep}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

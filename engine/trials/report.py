"""The trial report: per readout, each arm's simulated mean with its 95 % CI over time and the
published means (with their CI or range) on top; a table published vs simulated with a pass/miss mark;
report.md and report.html (same content) with PNGs next to them.

Pass rule (written in the report, `PASS_RULE`): a timepoint passes when the published interval (its 95 % CI
or range, or the single published value), widened by the row's tolerance (`engine.trials.tolerance`: set per
kind of readout, 0 where a CI is given), overlaps the simulated arm mean's 95 % CI. With few virtual
patients the simulated CI is wide; the report gives n so the reader can judge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.io.published import MONTH_DAYS
from engine.skeleton.serum import SERUM
from engine.trials.loader import LoadedTrial
from engine.trials.schema import LLOQ_READOUTS
from engine.trials.tolerance import row_tolerance

PLOTTED = (("lumbar_spine_bmd_change_pct", "lumbar-spine DXA BMD, % change"),
           ("total_hip_bmd_change_pct", "total-hip DXA BMD, % change"),
           ("serum_ctx_change_pct", "serum CTX, % change"), ("serum_p1np_change_pct", "serum P1NP, % change"),
           ("serum_ctx_ng_per_ml", "serum CTX (ng/mL; assay limit dashed)"),
           ("serum_denosumab_ng_per_ml", "serum denosumab (ng/mL)"),
           ("biopsy_bmd_change_pct", "biopsy (agent volume) BMD, % change"))
PASS_RULE = ("a timepoint passes when the published interval (95 % CI or range; the single value if none is "
             "given), widened by the row's tolerance, overlaps the 95 % CI of the simulated arm mean (Student t "
             "over patients); a row 'vs ARM' compares the difference of the two arm means, with a Welch 95 % CI. "
             "Tolerances are set per kind of readout before the comparison (engine/trials/tolerance.py) and are 0 "
             "where the publication gives a CI or range; each one's reason is listed under the table")


MEDIAN_SE_FACTOR = float(np.sqrt(np.pi / 2.0))


def compare(loaded: LoadedTrial, summaries: dict) -> list[dict]:
    rows = []
    for row in (loaded.trial.published.rows if loaded.trial.published else ()):
        tol, tol_why = row_tolerance(row)
        s = summaries.get(row.arm)
        versus = summaries.get(row.versus) if row.versus else None
        entry = {"arm": row.arm + (f" vs {row.versus}" if row.versus else ""), "readout": row.readout, "month": row.month,
                 "until_month": row.until_month, "statistic": row.statistic, "published": row.mean,
                 "published_ci": row.ci95, "row": row.row, "note": row.note, "simulated": np.nan,
                 "ci": (np.nan, np.nan), "n": 0, "day": np.nan, "pass": False,
                 "tolerance": tol, "tolerance_why": tol_why}
        if s is not None:
            day = row.month * MONTH_DAYS
            i = int(np.argmin(np.abs(s["day"] - day)))
            if row.statistic == "peak":  # the day of the largest arm mean in [month, until_month]
                window = np.flatnonzero((s["day"] >= day) & (s["day"] <= row.until_month * MONTH_DAYS))
                mean = np.asarray(s[f"{row.readout}_mean"], np.float64)[window]
                if window.size and np.isfinite(mean).any():
                    i = int(window[np.nanargmax(mean)])
            n = s.get(f"{row.readout}_n", s["n"])
            entry.update(day=int(s["day"][i]), simulated=float(s[f"{row.readout}_mean"][i]), n=int(n[i]),
                         ci=(float(s[f"{row.readout}_ci95_low"][i]), float(s[f"{row.readout}_ci95_high"][i])))
            if row.statistic == "below_lloq_pct":  # the share of patients at the assay floor, Wilson CI
                key = f"{row.readout}_below_lloq_pct"
                entry.update(simulated=float(s[key][i]), ci=(float(s[f"{key}_ci95_low"][i]),
                                                             float(s[f"{key}_ci95_high"][i])))
            if row.statistic == "median" and f"{row.readout}_median" in s:
                # the median's 95 % CI, by its large-sample SE: √(π/2) × the mean's (normal data)
                median = float(s[f"{row.readout}_median"][i])
                half = MEDIAN_SE_FACTOR * (entry["ci"][1] - entry["ci"][0]) / 2.0
                entry.update(simulated=median, ci=(median - half, median + half))
            if row.versus:
                if versus is None:
                    rows.append(entry)
                    continue
                j = int(np.argmin(np.abs(versus["day"] - day)))
                diff, half = welch_difference(s, i, versus, j, row.readout)
                entry.update(simulated=diff, ci=(diff - half, diff + half))
            low, high = row.ci95 if row.ci95 else (row.mean, row.mean)
            low, high = low - tol, high + tol
            sim_low, sim_high = entry["ci"]
            entry["pass"] = bool(np.isfinite(sim_low) and low <= sim_high and high >= sim_low)
        rows.append(entry)
    return rows


def welch_difference(a: dict, i: int, b: dict, j: int, readout: str) -> tuple[float, float]:
    """Difference of two arm means (a at index i minus b at index j) and the half-width of its Welch 95 % CI."""
    from scipy import stats

    ma, sa, na = a[f"{readout}_mean"][i], a[f"{readout}_sd"][i], a["n"][i]
    mb, sb, nb = b[f"{readout}_mean"][j], b[f"{readout}_sd"][j], b["n"][j]
    if na < 2 or nb < 2:
        return float(ma - mb), float("nan")
    va, vb = sa**2 / na, sb**2 / nb
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1)) if va + vb > 0 else na + nb - 2
    return float(ma - mb), float(stats.t.ppf(0.975, df) * se)


def _plot(loaded: LoadedTrial, summaries: dict, readout: str, label: str, path: Path) -> Path:
    from matplotlib.figure import Figure  # object API: no pyplot, no backend to choose

    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    colours = {}
    for arm, s in summaries.items():
        months = s["day"] / MONTH_DAYS
        mean = s[f"{readout}_mean"]
        if readout == "serum_denosumab_ng_per_ml" and not np.nanmax(np.nan_to_num(mean)) > 0:
            continue
        n = s.get(f"{readout}_n", s["n"])
        (line,) = ax.plot(months, mean, lw=1.6, label=f"{arm} mean ± 95 % CI (n={int(np.max(n))})")
        colours[arm] = line.get_color()
        ax.fill_between(months, s[f"{readout}_ci95_low"], s[f"{readout}_ci95_high"], color=line.get_color(), alpha=0.25)
        if f"{readout}_p05" in s:  # a visual predictive check: the individuals' median and 5-95 % band
            ax.plot(months, s[f"{readout}_median"], lw=1.0, ls="--", color=line.get_color(), label=f"{arm} median, 5-95 %")
            ax.fill_between(months, s[f"{readout}_p05"], s[f"{readout}_p95"], color=line.get_color(), alpha=0.08)
    for row in (loaded.trial.published.rows if loaded.trial.published else ()):
        if row.readout != readout or row.arm not in colours or row.versus or row.statistic == "below_lloq_pct":
            continue  # differences and shares of patients are in the table only
        err = None
        if row.ci95:
            err = [[row.mean - row.ci95[0]], [row.ci95[1] - row.mean]]
        month = row.month
        if row.statistic == "peak":  # a peak has no month of its own: drawn over its window, at its middle
            month = (row.month + row.until_month) / 2.0
            ax.hlines(row.mean, row.month, row.until_month, colors=colours[row.arm], linestyles=":", lw=1.2)
        ax.errorbar([month], [row.mean], yerr=err, fmt="D", ms=6, color=colours[row.arm], mec="black",
                    capsize=3, label=None)
    if readout == "serum_denosumab_ng_per_ml":
        ax.set_yscale("log")
    elif readout in LLOQ_READOUTS:  # values below the assay's limit are reported at it
        ax.axhline(SERUM[LLOQ_READOUTS[readout]].value, color="0.3", lw=0.9, ls="--")
    else:
        ax.axhline(0, color="0.5", lw=0.7)
    ax.set_xlabel("months")
    ax.set_ylabel(label)
    ax.set_title(f"{loaded.trial.name}: {label}\nsimulated mean ± 95 % CI, median and 5-95 % of patients; published ◆",
                 fontsize=9)
    if ax.get_legend_handles_labels()[0]:  # a panel with no arm to show (no drug) has no legend
        ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


def _grade(row: dict) -> str:
    """pass / miss, or 'no data' when the arm has no simulated value at that time (no patients, or a biopsy
    readout in a trial without agent volumes): nothing was compared, so nothing missed."""
    if not np.isfinite(row["simulated"]):
        return "no data"
    return "pass" if row["pass"] else "miss"


def comparison_table(rows: list[dict]) -> list[str]:
    """Markdown lines of `compare`'s rows: published vs simulated, tolerance, pass/miss, source row, then the
    tolerances' reasons (the trial report's table; `benchmarks/validate_trials.py` prints one per trial)."""
    def fmt_ci(ci):
        return f"[{ci[0]:.1f}, {ci[1]:.1f}]" if ci and np.all(np.isfinite(ci)) else "–"

    def when(r):  # a peak row: its window and the month the peak fell on
        if r["statistic"] != "peak":
            return f"{r['month']:g}"
        at = f" (at {r['day'] / MONTH_DAYS:.1f})" if np.isfinite(r["day"]) else ""
        return f"{r['month']:g}–{r['until_month']:g}{at}"

    table = ["| arm | readout | month | statistic | published (95 % CI / range) | tolerance | simulated [95 % CI] | n "
             "| pass | source row |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    reasons: dict[str, int] = {}
    for r in rows:
        mark = reasons.setdefault(r["tolerance_why"], len(reasons) + 1)
        table.append(f"| {r['arm']} | {r['readout']} | {when(r)} | {r['statistic']} | {r['published']:.1f} "
                     f"{fmt_ci(r['published_ci'])} | ±{r['tolerance']:.1f} ({mark}) "
                     f"| {r['simulated']:.1f} {fmt_ci(r['ci'])} | {r['n']} | {_grade(r)} "
                     f"| {r['row']}{' — ' + r['note'] if r['note'] else ''} |")
    return table + ["", "Tolerances: " + "; ".join(f"({i}) {why}" for why, i in reasons.items()) + "."]


def write_report(loaded: LoadedTrial, summaries: dict, failures: dict, out_dir: Path, resolution: str) -> Path:
    out_dir = Path(out_dir)
    trial = loaded.trial
    figures = [_plot(loaded, summaries, r, label, out_dir / f"{r}.png") for r, label in PLOTTED]
    rows = compare(loaded, summaries)
    n_by_arm = {arm: int(np.max(s["n"])) for arm, s in summaries.items()}
    published = loaded.published_file()

    table = comparison_table(rows)
    lines = [f"# Virtual trial: {trial.name}", "", trial.description.strip(), "",
             f"- trial file: `{loaded.source}`; base scenario: `{trial.base_scenario}`; trial seed {trial.seed}",
             f"- resolution: {resolution} (coarser than a single run's default only if the trial says so)",
             f"- patients per arm: " + ", ".join(f"{a} {n}" for a, n in n_by_arm.items()),
             f"- inter-individual variability: " + (", ".join(f"{v.parameter} CV {v.cv_pct:g} % ({v.source})"
                                                             for v in trial.variability) or "none"),
             f"- published rows from: `{trial.published.file}`" + ("" if published is None or published.exists()
                                                                  else " (file not present here; values as given in the trial file)")
             if trial.published else "- no published rows to compare with",
             f"- failed patients: {len(failures)}" + "".join(f"\n  - {pid} (arm {f['arm']}, seed {f['seed']}): {f['error']}"
                                                            for pid, f in failures.items()),
             "", "## Published vs simulated", "", f"Pass rule: {PASS_RULE}.", "", *table, "",
             "## Time courses", ""]
    lines += [f"![{fig.stem}]({fig.name})" for fig in figures]
    md = "\n".join(lines) + "\n"
    (out_dir / "report.md").write_text(md, encoding="utf-8")
    (out_dir / "report.html").write_text(markdown_to_html(md), encoding="utf-8")
    return out_dir / "report.html"


def markdown_to_html(markdown: str) -> str:
    """The report's Markdown as a standalone HTML page (markdown-it-py, CommonMark with GFM tables)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    style = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}img{max-width:100%}")
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>{body}</body></html>\n"

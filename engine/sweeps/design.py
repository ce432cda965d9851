"""The sweep's design (which parameter sets to run) and its analysis, with SALib (Morris, Sobol) or a grid."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd


def problem(sweep) -> dict:
    """SALib's problem dict."""
    return {"num_vars": len(sweep.parameters), "names": [p.key for p in sweep.parameters],
            "bounds": [[p.low, p.high] for p in sweep.parameters]}


def design(sweep) -> np.ndarray:
    """Parameter sets (runs × parameters), in the order the analysis expects."""
    if sweep.method == "grid":
        return np.array(list(itertools.product(*[p.values for p in sweep.parameters])), dtype=np.float64)
    if sweep.method == "morris":
        from SALib.sample import morris
        return morris.sample(problem(sweep), sweep.samples, num_levels=4, seed=sweep.seed)
    from SALib.sample import sobol
    return sobol.sample(problem(sweep), sweep.samples, calc_second_order=False, seed=sweep.seed)


def runs_needed(sweep) -> int:
    k = len(sweep.parameters)
    if sweep.method == "grid":
        return int(np.prod([len(p.values) for p in sweep.parameters]))
    return sweep.samples * (k + 1) if sweep.method == "morris" else sweep.samples * (k + 2)


def analyze(sweep, X: np.ndarray, Y: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per (output, parameter), ranked within each output by the method's importance measure:
    morris mu_star (mean |elementary effect|, in the output's units per full range) with sigma (interactions,
    non-linearity) and the 95 % bootstrap interval of mu_star; sobol S1 and ST with 95 % intervals; grid the
    range of the output means over each parameter's values (a main effect)."""
    rows = []
    names = [p.key for p in sweep.parameters]
    for output, y in Y.items():
        if sweep.method == "morris":
            from SALib.analyze import morris
            r = morris.analyze(problem(sweep), X, y, num_levels=4, seed=sweep.seed)
            for i, name in enumerate(names):
                rows.append({"output": output, "parameter": name, "importance": r["mu_star"][i],
                             "mu_star": r["mu_star"][i], "mu_star_ci95": r["mu_star_conf"][i], "mu": r["mu"][i],
                             "sigma": r["sigma"][i]})
        elif sweep.method == "sobol":
            from SALib.analyze import sobol
            r = sobol.analyze(problem(sweep), y, calc_second_order=False, seed=sweep.seed)
            for i, name in enumerate(names):
                rows.append({"output": output, "parameter": name, "importance": r["ST"][i], "S1": r["S1"][i],
                             "S1_ci95": r["S1_conf"][i], "ST": r["ST"][i], "ST_ci95": r["ST_conf"][i]})
        else:
            table = pd.DataFrame(X, columns=names).assign(y=y)
            for name in names:
                means = table.groupby(name)["y"].mean()
                rows.append({"output": output, "parameter": name, "importance": float(means.max() - means.min()),
                             "main_effect_range": float(means.max() - means.min())})
    ranked = pd.DataFrame(rows)
    ranked["rank"] = ranked.groupby("output")["importance"].rank(ascending=False, method="first").astype(int)
    return ranked.sort_values(["output", "rank"]).reset_index(drop=True)

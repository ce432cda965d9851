"""Trial YAML → validated `Trial` plus its base scenario, or `TrialError` with one line per problem in
the scenario loader's format (file:line: yaml.path = value: what is allowed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from engine.scenario.consistency import doses_after_end
from engine.scenario.loader import (LoadedScenario, ScenarioError, _format_problem, _format_pydantic_error, _line_prefix,
                                    read_yaml_text,
                                    load_scenario, parse_yaml)
from engine.trials.schema import Trial


class TrialError(ScenarioError):
    """A trial file cannot be used; `str(error)` is one line per problem."""


@dataclass(frozen=True)
class LoadedTrial:
    trial: Trial
    text: str
    source: str
    base_dir: Path
    base: LoadedScenario

    def published_file(self) -> Path | None:
        return (self.base_dir / self.trial.published.file) if self.trial.published else None


def load_trial(path: str | Path) -> LoadedTrial:
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise TrialError(source, [": file not found" if not path.exists() else ": is not a file"])
    problem, text = read_yaml_text(path, "a trial")
    if problem:
        raise TrialError(source, [problem])
    data, lines = parse_yaml(text, source, TrialError)
    if not isinstance(data, dict):
        raise TrialError(source, [": the top level must be a mapping (name, base_scenario, arms, ...)"])
    try:
        trial = Trial.model_validate(data)
    except ValidationError as exc:
        raise TrialError(source, [_format_pydantic_error(err, data, lines, root=Trial)
                                  for err in exc.errors(include_url=False)]) from None
    base_path = path.parent / trial.base_scenario
    try:
        base = load_scenario(base_path)
    except ScenarioError as exc:
        where = _line_prefix(("base_scenario",), lines)
        raise TrialError(source, [f"{where}: base_scenario = {trial.base_scenario!r}: {p.lstrip(': ')}"
                                  for p in exc.problems]) from None
    duration = trial.duration_days or base.scenario.duration_days
    late = [problem for name, arm in trial.arms.items()
            for problem in doses_after_end(arm.regimen, ("arms", name, "regimen"), duration)]
    if late:
        raise TrialError(source, [_format_problem(problem, lines) for problem in late])
    return LoadedTrial(trial=trial, text=text, source=source, base_dir=path.parent, base=base)

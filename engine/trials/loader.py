"""Trial YAML → validated `Trial` plus its base scenario, or `TrialError` with one line per problem in
the scenario loader's format (file:line: yaml.path = value: what is allowed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


from engine.scenario.consistency import doses_after_end
from engine.scenario.loader import LoadedScenario, ScenarioError, _format_problem, load_with_base
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
    trial, text, lines, base = load_with_base(path, Trial, TrialError, "a trial",
                                              "name, base_scenario, arms, ...")
    duration = trial.duration_days or base.scenario.duration_days
    late = [problem for name, arm in trial.arms.items()
            for problem in doses_after_end(arm.regimen, ("arms", name, "regimen"), duration)]
    if late:
        raise TrialError(source, [_format_problem(problem, lines) for problem in late])
    return LoadedTrial(trial=trial, text=text, source=source, base_dir=path.parent, base=base)

"""README's two commands are the ones CI and users run."""

import re

from tests.conftest import REPO


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Two commands"):text.index("## Using it")]
    return re.findall(r"```\n(.+?)\n```", section)


def test_readme_has_two_commands_and_ci_runs_the_second():
    setup_and_run, setup_and_test = _commands()
    assert ".venv" in setup_and_run and "bmu run scenarios/default.yaml" in setup_and_run
    assert '".[test]"' in setup_and_test and "pytest" in setup_and_test
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert setup_and_test in ci.splitlines()

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


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    """The 'From Python' example, executed as written (from the repository root)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## From Python"):text.index("## Watching it")]
    code = re.search(r"```python\n(.+?)\n```", section, re.S).group(1)
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    patient, biopsy = namespace["patient"], namespace["biopsy"]
    assert patient["lumbar_spine_bmd_change_pct"].sel(day=365).item() > 1.0      # denosumab raises spine BMD
    assert biopsy["bv_tv"].dims == ("day",) and biopsy.sizes["day"] == 6

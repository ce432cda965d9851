"""End to end: `bmu view` in a subprocess, opened in headless Chromium, stepped with the Step button.

The browser is Debian's chromium (installed by scripts/install-browser.sh, part of README's test
command), driven by Playwright with `executable_path`; `playwright install` is never called because it
downloads browsers from outside the package registries. Without a Chromium the test fails and says how
to get one (set BMU_SKIP_BROWSER_TESTS=1 to skip it knowingly).
"""

from __future__ import annotations

import os

import pytest

from engine.view.browser import (CHROMIUM_ARGS, PANEL_IMAGES, ViewServerError, find_chromium, pixels, press_step,
                                 step_count, view_server, wait_for_change, wait_for_panels)

SERVER_START_TIMEOUT_S = 90     # model build + spin-up of the small scenario + Solara start, with margin on 2 cores
PAGE_TIMEOUT_MS = 60_000        # first page: widgets, JavaScript from solara-assets, first frame
STEP_TIMEOUT_MS = 30_000        # one simulated day of the small scenario takes ~10 ms; this is for a loaded CI machine


def _chromium() -> str:
    if os.environ.get("BMU_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("BMU_SKIP_BROWSER_TESTS=1")
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("no Chromium for the browser test: run `bash scripts/install-browser.sh` (installs Debian's "
                    "chromium; needs root or sudo), or set BMU_CHROMIUM=/path/to/chromium")
    return chromium


def test_view_steps_and_redraws_in_headless_chromium(view_scenario_file, tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    try:
        with view_server(view_scenario_file, tmp_path / "server.log", start_timeout_s=SERVER_START_TIMEOUT_S) as url, \
                sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1150})
                page.goto(url, timeout=PAGE_TIMEOUT_MS)
                wait_for_panels(page, PAGE_TIMEOUT_MS)
                steps0 = step_count(page)
                before = {css: pixels(page, css) for css in PANEL_IMAGES}
                assert all(len(png) > 1000 for png in before.values()), "a panel image is empty"
                page.screenshot(path=str(tmp_path / "view_before.png"), full_page=True)

                assert press_step(page, 3, STEP_TIMEOUT_MS) == steps0 + 3
                page.get_by_text("Day 3", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
                # free RANKL falls as the day-0 denosumab dose is absorbed; the plot gains three days
                wait_for_change(page, "bmu-field-slice", before["bmu-field-slice"], STEP_TIMEOUT_MS)
                wait_for_change(page, "bmu-timeseries", before["bmu-timeseries"], STEP_TIMEOUT_MS)
                assert len(pixels(page, "bmu-tissue-slice")) > 1000
                page.screenshot(path=str(tmp_path / "view_after.png"), full_page=True)
            finally:
                browser.close()
    except ViewServerError as exc:
        pytest.fail(str(exc))
    assert (tmp_path / "view_after.png").stat().st_size > 10_000


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("duration_days: -1\n")
    with pytest.raises(ViewServerError, match="exited with code 2(.|\n)*duration_days"):
        with view_server(bad, tmp_path / "server.log", start_timeout_s=60):
            pass


def test_a_server_that_does_not_answer_in_time_is_stopped(view_scenario_file, tmp_path):
    from engine.view.browser import free_port
    port = free_port()   # both `bmu view` and the solara server it becomes carry "--port N" on their command line
    with pytest.raises(ViewServerError, match="did not answer .* within 0 s"):
        with view_server(view_scenario_file, tmp_path / "server.log", port=port, start_timeout_s=0.01):
            pass
    assert not _processes_mentioning(f"--port {port} ")


def _processes_mentioning(text: str) -> list[str]:
    from pathlib import Path
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in args + " ":
            found.append(args)
    return found

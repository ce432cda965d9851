"""Drive `bmu view` from a headless browser: used by the end-to-end test and by the README screenshot
(scripts/screenshot_view.py), so both exercise the same path a user takes.

The browser is a Chromium already on the machine (Debian's `chromium`, which scripts/install-browser.sh
installs), driven by Playwright through `executable_path`. `playwright install` is never called: it
downloads browsers from outside the package registries.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

#: flags for a headless Chromium on a machine without internet access (no background connections)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


class ViewServerError(RuntimeError):
    """`bmu view` did not come up (exited, or did not answer in time); the message holds its log."""


def find_chromium() -> str | None:
    """BMU_CHROMIUM, else Debian's chromium, else any `chromium` on PATH; None if there is none."""
    for candidate in (os.environ.get("BMU_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                      shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def view_server(source: str | Path, log_path: Path, port: int | None = None, spin_up_days: int | None = None,
                start_timeout_s: float = 90.0):
    """Run `bmu view SOURCE` in its own process group; yield its URL once it answers HTTP 200.

    Raises ViewServerError (with the server's log) if it exits or does not answer within
    `start_timeout_s`. Always stops the server (SIGTERM, then SIGKILL) on the way out."""
    port = port or free_port()
    command = [str(Path(sys.executable).with_name("bmu")), "view", str(source), "--port", str(port)]
    if spin_up_days is not None:
        command += ["--spin-up-days", str(spin_up_days)]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                if process.poll() is not None:
                    raise ViewServerError(f"`bmu view` exited with code {process.returncode} before serving:\n"
                                          f"{Path(log_path).read_text()}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise ViewServerError(f"`bmu view` did not answer on {url} within {start_timeout_s:.0f} s:\n"
                                          f"{Path(log_path).read_text()}")
                time.sleep(0.5)
            yield url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=15)


PANEL_IMAGES = ("bmu-tissue-slice", "bmu-field-slice", "bmu-overview-3d", "bmu-timeseries")


def pixels(page, css_class: str) -> str:
    """A panel's image as the browser shows it (drawn to a canvas, read back as a PNG data URL)."""
    return page.locator(f"img.{css_class}").first.evaluate(
        """img => { const c = document.createElement('canvas'); c.width = img.naturalWidth;
                   c.height = img.naturalHeight; c.getContext('2d').drawImage(img, 0, 0);
                   return c.toDataURL('image/png'); }""")


def wait_for_change(page, css_class: str, before: str, timeout_ms: int) -> str:
    """Poll until the panel's pixels differ from `before`; return them (TimeoutError if they never do)."""
    deadline = time.monotonic() + timeout_ms / 1e3
    while time.monotonic() < deadline:
        now = pixels(page, css_class)
        if now != before:
            return now
        page.wait_for_timeout(100)
    raise TimeoutError(f"the {css_class} image did not change within {timeout_ms} ms")


def wait_for_panels(page, timeout_ms: int) -> None:
    for css in PANEL_IMAGES:
        page.locator(f"img.{css}").first.wait_for(state="visible", timeout=timeout_ms)


def step_count(page) -> int:
    """Mesa's step counter in the sidebar ('Step: N'; it counts the spin-up days too)."""
    import re
    return int(page.get_by_text(re.compile(r"^Step: \d+$")).first.inner_text().split(":")[1])


def press_step(page, times: int, timeout_ms: int) -> int:
    """Press SolaraViz's Step button `times` times, each time waiting for the counter; the final count."""
    start = step_count(page)
    button = page.get_by_role("button", name="Step")
    for k in range(1, times + 1):
        button.click()
        page.get_by_text(f"Step: {start + k}", exact=True).wait_for(timeout=timeout_ms)
    return start + times

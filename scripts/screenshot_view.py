"""Screenshot of `bmu view` for the README, taken the way the browser test drives it (engine.view.browser).

    .venv/bin/python scripts/screenshot_view.py [SCENARIO] [--days N] [--out docs/bmu_view.png]

Starts `bmu view SCENARIO`, opens it in headless Chromium (Debian's, see scripts/install-browser.sh),
presses Play until day N, pauses and saves a full-page PNG. It also prints the frame times the page shows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from engine.view.browser import CHROMIUM_ARGS, find_chromium, view_server, wait_for_panels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="scenarios/denosumab_60mg_q6m_3y.yaml")
    parser.add_argument("--days", type=int, default=45, help="simulated days before the screenshot (default 45)")
    parser.add_argument("--out", type=Path, default=Path("docs/bmu_view.png"))
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("no Chromium: run `bash scripts/install-browser.sh` first", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, view_server(args.scenario, Path(tmp) / "server.log",
                                                           start_timeout_s=180) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.goto(url, timeout=180_000)
        wait_for_panels(page, 180_000)
        page.get_by_role("button", name="▶").click()
        page.wait_for_function(  # Play runs on its own: poll for a day at or past the target
            """n => { const m = document.body.innerText.match(/Day (\\d+)/); return m && +m[1] >= n; }""",
            arg=args.days, timeout=600_000, polling=200)
        page.get_by_role("button", name="❚❚").click()
        page.wait_for_timeout(1500)
        print(page.get_by_text("last frame:").first.inner_text())
        page.screenshot(path=str(args.out), full_page=True)
        browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

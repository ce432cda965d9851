#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test of `bmu view` (tests/view/test_browser.py), unless a
# Chromium is already there. Playwright drives it through executable_path: `playwright install` would
# download a browser from outside the package registries, so the project never calls it.
# Needs root or password-less sudo to install; otherwise it says what to run and leaves the test to fail
# with the same advice.
set -uo pipefail
for candidate in "${BMU_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        echo "browser for the view test: $candidate"
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get here; install Chromium and set BMU_CHROMIUM=/path/to/chromium" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install-browser: run 'sudo apt-get install -y chromium' once (the view's browser test needs it)" >&2
    exit 0
fi
echo "installing Debian's chromium for the view's browser test (apt-get, about a minute)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq chromium >/dev/null \
    && echo "browser for the view test: /usr/bin/chromium" \
    || echo "install-browser: apt-get install chromium failed; the view's browser test will say so" >&2
exit 0

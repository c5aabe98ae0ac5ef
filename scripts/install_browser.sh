#!/usr/bin/env bash
# Installs what the browser tests (tests/browser) need, when it is missing: Debian's
# chromium (apt, as root, no prompt) and axe-core from npm into ./node_modules (from the
# committed package-lock.json).
#
# On a developer's machine a missing piece is only reported (exit 0) and the browser
# tests skip with that reason. Under CI=true it is a failure (exit 1), like the tests
# themselves (tests/browser/conftest.py), so a green CI always means the page was tested.
# CHROMIUM and AXE override the paths checked (the tests of this script use them).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/apt_install.sh

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
AXE=${AXE:-node_modules/axe-core/axe.min.js}
case "${CI:-}" in true|TRUE|True|1|yes) strict=1 ;; *) strict=0 ;; esac
problems=0

say() { echo "install_browser: $*"; }
problem() {
  problems=$((problems + 1))
  if [ "$strict" -eq 1 ]; then
    echo "install_browser: ERROR (CI=true): $*" >&2
  else
    echo "install_browser: $*; the browser tests will be skipped" >&2
  fi
}

if [ -x "$CHROMIUM" ]; then
  say "chromium present ($CHROMIUM)"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium with apt-get"
  apt_install chromium fonts-liberation >/dev/null
  [ -x "$CHROMIUM" ] || problem "could not install chromium ($CHROMIUM is still missing)"
else
  problem "$CHROMIUM is missing and apt-get as root is not available; install Debian's chromium"
fi

if [ -f "$AXE" ]; then
  say "axe-core present ($AXE)"
elif command -v npm >/dev/null 2>&1; then
  say "installing axe-core with npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  [ -f "$AXE" ] || problem "npm could not install axe-core ($AXE is still missing)"
else
  problem "npm is missing; install Node.js and npm to run the accessibility test"
fi

if [ "$problems" -gt 0 ] && [ "$strict" -eq 1 ]; then
  echo "install_browser: $problems problem(s); failing because CI=true" >&2
  exit 1
fi
exit 0

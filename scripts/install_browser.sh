#!/usr/bin/env bash
# Installs what the browser tests (tests/browser) need, when it is missing: Debian's
# chromium (apt, as root, no prompt) and axe-core from npm into ./node_modules (from the
# committed package-lock.json). It never fails the build: where something cannot be
# installed it says so and exits 0, and the browser tests then skip with that reason.
set -uo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium
AXE=node_modules/axe-core/axe.min.js

if [ -x "$CHROMIUM" ]; then
  echo "install_browser: chromium present ($CHROMIUM)"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: installing Debian's chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; }; then
    echo "install_browser: could not install chromium; browser tests will be skipped" >&2
  fi
else
  echo "install_browser: $CHROMIUM is missing and apt-get as root is not available;" \
       "install Debian's chromium to run the browser tests (they will be skipped)" >&2
fi

if [ -f "$AXE" ]; then
  echo "install_browser: axe-core present ($AXE)"
elif command -v npm >/dev/null 2>&1; then
  echo "install_browser: installing axe-core with npm ci"
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    echo "install_browser: npm could not install axe-core; the accessibility test will be skipped" >&2
  fi
else
  echo "install_browser: npm is missing; install Node.js and npm to run the accessibility test" >&2
fi
exit 0

#!/usr/bin/env bash
# Installs promtool when it is missing: Debian's `prometheus` package (apt, as root, no
# prompt). tests/test_metrics.py checks the /metrics exposition with `promtool check
# metrics`; nothing here starts a Prometheus server.
#
# On a developer's machine a missing promtool is only reported (exit 0) and that test
# skips with the reason; under CI=true it is a failure (exit 1), like the test itself.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/apt_install.sh

case "${CI:-}" in true|TRUE|True|1|yes) strict=1 ;; *) strict=0 ;; esac

if command -v promtool >/dev/null 2>&1; then
  echo "install_promtool: promtool present ($(command -v promtool))"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install_promtool: installing Debian's prometheus (for promtool) with apt-get"
  apt_install prometheus >/dev/null
  command -v promtool >/dev/null 2>&1 && exit 0
fi
if [ "$strict" -eq 1 ]; then
  echo "install_promtool: ERROR (CI=true): no promtool; install Debian's prometheus" >&2
  exit 1
fi
echo "install_promtool: no promtool; the exposition check will be skipped" >&2
exit 0

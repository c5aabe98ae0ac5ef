#!/usr/bin/env bash
# Installs what the PostgreSQL tests need, when it is missing: Debian's `postgresql`
# package (the server binaries initdb and pg_ctl; apt, as root, no prompt). The tests
# start their own throwaway cluster in a temporary directory and stop it after
# (tests/availability_backends.py); nothing here starts a server or touches the system
# cluster (the package's own service is not needed; in a container it is not running).
#
# On a developer's machine a missing server is only reported (exit 0) and the PostgreSQL
# tests skip with that reason. Under CI=true it is a failure (exit 1), like the tests
# themselves, so a green CI always means both availability backends were tested.
# PG_CTL overrides the path checked (default: pg_ctl on PATH or /usr/lib/postgresql/*/bin).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/apt_install.sh

case "${CI:-}" in true|TRUE|True|1|yes) strict=1 ;; *) strict=0 ;; esac

say() { echo "install_postgres: $*"; }
find_pg_ctl() {
  if [ -n "${PG_CTL:-}" ]; then [ -x "$PG_CTL" ] && echo "$PG_CTL"; return; fi
  command -v pg_ctl 2>/dev/null && return
  ls -1 /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1
}

found=$(find_pg_ctl)
if [ -n "$found" ]; then
  say "PostgreSQL server present ($found)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${PG_CTL:-}" ]; then
  say "installing Debian's postgresql with apt-get"
  apt_install postgresql >/dev/null
  found=$(find_pg_ctl)
  [ -n "$found" ] && { say "PostgreSQL server installed ($found)"; exit 0; }
fi
if [ "$strict" -eq 1 ]; then
  echo "install_postgres: ERROR (CI=true): no PostgreSQL server (pg_ctl); install Debian's postgresql" >&2
  exit 1
fi
echo "install_postgres: no PostgreSQL server (pg_ctl); the PostgreSQL tests will be skipped" >&2
exit 0

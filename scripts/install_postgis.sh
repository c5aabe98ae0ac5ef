#!/usr/bin/env bash
# `make bench`: the PostGIS peer's server (bench/postgis_run.py starts its own throwaway
# cluster). Installs Debian's PostgreSQL and PostGIS when missing (apt, as root, no prompt).
# Never fails: without them the benchmark runs and says the peer was not run, and why.
cd "$(dirname "$0")/.."
. scripts/apt_install.sh

pg_ctl=$(command -v pg_ctl || ls -1 /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)
if [ -n "$pg_ctl" ] && ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
  echo "install_postgis: PostgreSQL with PostGIS present"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install_postgis: installing Debian's postgresql and postgis with apt-get"
  version=$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$' 2>/dev/null \
            | sed -E 's/^postgresql-([0-9]+)-.*/\1/' | sort -n | tail -n 1)
  apt_install postgresql "postgresql-${version:-15}-postgis-3" >/dev/null \
    || echo "install_postgis: apt-get failed; the PostGIS peer will not run" >&2
else
  echo "install_postgis: no PostGIS and no apt as root; the PostGIS peer will not run" >&2
fi
exit 0

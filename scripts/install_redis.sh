#!/usr/bin/env bash
# Installs redis-server when it is missing: Debian's `redis-server` package (apt, as root,
# no prompt). tests/test_jobs_redis.py starts its own throwaway server on loopback from
# it, to run the job queue on Redis (JOBS_URL=redis://…); nothing here starts a server.
#
# On a developer's machine a missing redis-server is only reported (exit 0) and that test
# skips with the reason; under CI=true it is a failure (exit 1), like the test itself.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/apt_install.sh

case "${CI:-}" in true|TRUE|True|1|yes) strict=1 ;; *) strict=0 ;; esac

if command -v redis-server >/dev/null 2>&1; then
  echo "install_redis: redis-server present ($(command -v redis-server))"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install_redis: installing Debian's redis-server with apt-get"
  apt_install redis-server >/dev/null
  # The package's own service is not wanted: tests start theirs on a free port.
  command -v systemctl >/dev/null 2>&1 && systemctl disable --now redis-server >/dev/null 2>&1
  command -v redis-server >/dev/null 2>&1 && exit 0
fi
if [ "$strict" -eq 1 ]; then
  echo "install_redis: ERROR (CI=true): no redis-server; install Debian's redis-server" >&2
  exit 1
fi
echo "install_redis: no redis-server; the Redis queue tests will be skipped" >&2
exit 0

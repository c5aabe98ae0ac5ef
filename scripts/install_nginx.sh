#!/usr/bin/env bash
# Installs nginx and openssl when missing: Debian's `nginx-light` (apt, as root, no
# prompt). tests/test_deploy_config.py checks deploy/nginx.conf with `nginx -t`, and
# tests/test_proxy_tls.py runs it on loopback with a certificate from
# scripts/make_local_cert.sh (openssl); nothing here starts a lasting server.
#
# On a developer's machine a missing nginx is only reported (exit 0) and those tests skip
# with the reason; under CI=true it is a failure (exit 1).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/apt_install.sh

case "${CI:-}" in true|TRUE|True|1|yes) strict=1 ;; *) strict=0 ;; esac

if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
  echo "install_nginx: nginx and openssl present ($(command -v nginx))"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install_nginx: installing Debian's nginx-light and openssl with apt-get"
  apt_install nginx-light openssl >/dev/null
  # Debian's package starts a server on port 80 where it can; the tests need none.
  command -v service >/dev/null 2>&1 && service nginx stop >/dev/null 2>&1
  command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 && exit 0
fi
if [ "$strict" -eq 1 ]; then
  echo "install_nginx: ERROR (CI=true): no nginx or openssl; install Debian's nginx-light" >&2
  exit 1
fi
echo "install_nginx: no nginx; the proxy tests will be skipped" >&2
exit 0

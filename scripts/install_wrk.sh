#!/usr/bin/env bash
# Installs wrk when it is missing: Debian's `wrk` package (apt, as root, no prompt), for
# `make bench` (bench/run.py drives every HTTP round with it). Without root or apt it says
# how to install it and exits 1: the benchmark cannot measure anything without it.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/apt_install.sh

if command -v wrk >/dev/null 2>&1; then
  echo "install_wrk: wrk present ($(command -v wrk))"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install_wrk: installing Debian's wrk with apt-get"
  apt_install wrk >/dev/null
  command -v wrk >/dev/null 2>&1 && exit 0
fi
echo "install_wrk: ERROR: no wrk; install it (Debian: apt-get install -y wrk)" >&2
exit 1

#!/usr/bin/env bash
# apt_install PACKAGE... : Debian packages with apt-get, as root, no prompt, waiting (bounded)
# for the package lock when another apt or dpkg process holds it instead of failing at once.
#
# Sourced by install_browser.sh and install_postgres.sh. APT_LOCK_WAIT (seconds, default
# 600) bounds the whole wait; apt's own DPkg::Lock::Timeout covers the dpkg lock, and the
# loop covers `apt-get update`'s list lock, which that option does not; it tries again
# every APT_LOCK_RETRY seconds (default 5). Returns apt-get's status after the last try.

apt_lock_busy() {
  # True when the last apt-get output says another process holds one of apt's locks.
  grep -qiE "could not get lock|unable to (acquire|lock)|is another process using it|lock-frontend" "$1"
}

apt_install() {
  local wait=${APT_LOCK_WAIT:-600} started log status
  started=$(date +%s)
  log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  while :; do
    status=0
    { apt-get -o DPkg::Lock::Timeout=60 update -qq \
        && apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends "$@"; } \
        >"$log" 2>&1 || status=$?
    if [ "$status" -eq 0 ] || ! apt_lock_busy "$log"; then
      break
    fi
    if [ $(( $(date +%s) - started )) -ge "$wait" ]; then
      echo "apt_install: the package lock was still held after ${wait} s" >&2
      break
    fi
    echo "apt_install: another apt process holds the package lock; waiting" >&2
    sleep "${APT_LOCK_RETRY:-5}"
  done
  [ "$status" -eq 0 ] || tail -n 20 "$log" >&2
  rm -f "$log"
  return "$status"
}

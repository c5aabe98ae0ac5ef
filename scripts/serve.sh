#!/usr/bin/env bash
# `make run`: two processes of one node, started together and stopped together:
#   scripts/serve.sh FIRST COMMAND… -- SECOND COMMAND…
# (the job runner and gunicorn). Ctrl-C or SIGTERM stops both (each gets SIGTERM and
# finishes what it is doing); when either ends by itself the other is stopped too, and
# the script exits with the status of the one that ended first.
set -u
first=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do first+=("$1"); shift; done
[ $# -gt 0 ] || { echo "usage: serve.sh FIRST… -- SECOND…" >&2; exit 2; }
shift
one="" two=""
stop() {
  for pid in $one $two; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $one $two; do wait "$pid" 2>/dev/null; done
}
trap 'stop; exit 143' TERM
trap 'stop; exit 130' INT

"${first[@]}" & one=$!
"$@" & two=$!

wait -n "$one" "$two"
status=$?
stop
exit "$status"

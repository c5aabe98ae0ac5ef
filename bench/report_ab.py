"""Bed reports/s, old code against new, alternated in one run (issue 25, item 4).

    .venv/bin/python bench/report_ab.py --old /tmp/old-tree [--rounds 2] [--seconds 10]
    make bench-reports [OLD=<commit>]     (OLD's tree unpacked with git archive)

Each variant is a source tree (`--old`: e.g. `git archive <commit>` unpacked; the new one
is this tree) served by gunicorn with gunicorn.conf.py (gevent, 2 workers) on the same
seed store and a fresh availability database each round; wrk sends bed reports
(bench/reports.lua, `--reporters` connections) alone, then while wrk sends radius
searches on 8 more connections. Rounds alternate old, new, old, new … so both see the
same machine; read the ratio. With `--runner`, the job runner (`python -m
directory_service.jobs`) runs beside gunicorn, as `make run` does, so every write's
consumer marker is consumed and queued again. Prints JSON; asserts nothing but "no
report lost".
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.bed_reports_load import reports_under_load  # noqa: E402
from bench.loopback import free_port  # noqa: E402

SEARCH = "/v1/search?near=60540&radius=50&kind=treatment_facility&has_open_beds=true&per_page=10"
SEARCH_LUA = 'wrk.path = "%s"\n' % SEARCH


def prepare(tree, base):
    """Seed store, availability database with an admin key, {facility: level}."""
    code = f"""
import json, os, sys
sys.path.insert(0, {tree!r})
from directory_service.availability import keys
from directory_service.availability.db import AvailabilityDB
from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
store_path = os.path.join({base!r}, "directory.sqlite")
if not os.path.exists(store_path):
    pipeline.run([os.path.join({tree!r}, "seed_data")], SqliteIndexWriter(store_path))
store = SqliteStore(store_path)
levels = {{}}
for r in store.scan(("treatment_facility",)):
    for bed in r.get("beds") or ():
        if bed.get("population") in (None, "adult_any"):
            levels.setdefault(r["id"], bed["level_of_care"])
adb = AvailabilityDB(os.path.join({base!r}, "availability.sqlite"))
print(json.dumps({{"key": keys.create(adb, "admin")[1], "levels": levels}}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": tree}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve(tree, base, runner):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": tree, "BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "STORE_PATH": os.path.join(base, "directory.sqlite"),
           "AVAILABILITY_PATH": os.path.join(base, "availability.sqlite"),
           "RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    log = open(os.path.join(base, "server.log"), "w")
    bindir = os.path.dirname(sys.executable)
    procs = [subprocess.Popen([os.path.join(bindir, "gunicorn"), "-c", "gunicorn.conf.py"],
                              cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)]
    if runner:
        procs.append(subprocess.Popen([sys.executable, "-m", "directory_service.jobs"],
                                      cwd=tree, env=env, stdout=log,
                                      stderr=subprocess.STDOUT))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                return url, procs
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def one_round(tree, seconds, reporters, runner):
    base = tempfile.mkdtemp(prefix="report-ab-")
    try:
        ready = prepare(tree, base)
        lua = os.path.join(base, "search.lua")
        with open(lua, "w") as fh:
            fh.write(SEARCH_LUA)
        url, procs = serve(tree, base, runner)
        try:
            alone = reports_under_load(url, ready["key"], ready["levels"], lua, seconds,
                                       threads=reporters, load=False)
            loaded = reports_under_load(url, ready["key"], ready["levels"], lua, seconds,
                                        threads=reporters)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
        return {"alone": alone, "under_search": loaded,
                "load_average": round(os.getloadavg()[0], 2)}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=os.path.abspath, required=True, help="the old source tree")
    parser.add_argument("--new", default=ROOT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reporters", type=int, default=8)
    parser.add_argument("--runner", action="store_true")
    args = parser.parse_args()
    rounds = {"old": [], "new": []}
    for _ in range(args.rounds):
        # Absolute: each tree's setup runs with the tree as its working directory
        # (`make bench-reports` passes var/bench-old).
        for name, tree in (("old", os.path.abspath(args.old)),
                           ("new", os.path.abspath(args.new))):
            figure = one_round(tree, args.seconds, args.reporters, args.runner)
            rounds[name].append(figure)
            print(name, json.dumps({k: (v if not isinstance(v, dict) else
                                        {f: v[f] for f in ("per_s", "p99_ms", "lost",
                                                           "refused", "search_rps")})
                                    for k, v in figure.items()}), flush=True)
    summary = {}
    for name, figures in rounds.items():
        summary[name] = {kind: {"per_s": statistics.median(f[kind]["per_s"] for f in figures),
                                "search_rps": statistics.median(f[kind]["search_rps"]
                                                                for f in figures),
                                "lost": sum(f[kind]["lost"] for f in figures)}
                         for kind in ("alone", "under_search")}
    summary["ratio_new_old"] = {kind: round(summary["new"][kind]["per_s"]
                                            / max(1, summary["old"][kind]["per_s"]), 2)
                                for kind in ("alone", "under_search")}
    print(json.dumps({"reporters": args.reporters, "seconds": args.seconds,
                      "runner": args.runner, "summary": summary, "rounds": rounds},
                     indent=1, default=str))


if __name__ == "__main__":
    main()

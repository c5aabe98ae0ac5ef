"""Worker CPU per served search, old code against new, alternated in one run (issue 25).

    .venv/bin/python bench/search_cpu.py --against 42b817f [--size 100000] [--queries 2000]

Time on a shared 2-core machine is noise unless compared within one run, so this builds
(or reuses, --store) one synthetic store (and the old code's own build of the same records,
or --old-store: the store format may differ) and sends the same distinct searches
(bench/distinct_queries.py) through Flask's test client in child processes that
alternate between the code of `--against` (a `git archive` of that commit) and this
tree, `--rounds` times each. Each child pins the search clock (`http_cache.utcnow`) at
one moment shared by all, so every version must give the same bytes for every search:
the run says how many bodies differ (it should be none) and exits 1 when any does.

The figure is CPU seconds of the child (time.process_time) per request, after a warm-up
that opens the store; the ratio new / old is what to read.
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = """
import sys
sys.path.insert(0, sys.argv[1])
from bench.loopback import build_store
build_store(int(sys.argv[3]), sys.argv[2], sys.argv[4], sys.argv[5])
"""


def child(args):
    sys.path.insert(0, args.code)
    os.environ.update(STORE_PATH=args.store, AVAILABILITY_PATH=args.availability,
                      RATE_LIMIT_ENABLED="false", LOG_LEVEL="WARNING")
    import directory_service
    from directory_service.api import http_cache

    assert os.path.dirname(os.path.dirname(directory_service.__file__)) == args.code, \
        directory_service.__file__
    moment = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
    http_cache.utcnow = lambda: moment
    client = directory_service.create_app().test_client()
    with open(args.paths) as fh:
        paths = fh.read().split()
    for path in paths[:50]:
        assert client.get(path).status_code == 200
    digests = []
    cpu = time.process_time()
    wall = time.perf_counter()
    for path in paths:
        response = client.get(path)
        digests.append(hashlib.sha256(response.data).hexdigest()[:16]
                       if response.status_code == 200 else str(response.status_code))
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    json.dump({"cpu_ms": cpu / len(paths) * 1000, "wall_ms": wall / len(paths) * 1000,
               "digests": digests, "load": os.getloadavg()[0]}, sys.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", help="a commit to compare with (default: none)")
    parser.add_argument("--store", help="store file to use (built there when absent)")
    parser.add_argument("--old-store", help="the old code's store (built there when absent, "
                                            "by the old code, from the same records)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--availability", help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    sys.path.insert(0, ROOT)
    from bench.distinct_queries import paths as distinct_paths
    from bench.loopback import build_store, old_tree
    from bench.run import SHARED, synthetic

    base = tempfile.mkdtemp(prefix="search-cpu-")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = now.isoformat().replace("+00:00", "Z")
    store = args.store or os.path.join(base, "directory.sqlite")
    if not os.path.exists(store):
        build_store(args.size, store, SHARED, stamp)
    paths_file = os.path.join(base, "paths.txt")
    with open(paths_file, "w") as fh:
        fh.write("\n".join(distinct_paths(synthetic(SHARED).METROS, args.queries)) + "\n")
    versions = {"new": (ROOT, store)}
    if args.against:
        old = old_tree(base, args.against)
        # The old code reads the store its own indexer builds (the format may differ:
        # schema 5 keeps the columns in a file beside the store), from the same records.
        old_store = args.old_store or os.path.join(base, "old-store", "directory.sqlite")
        if not os.path.exists(old_store):
            subprocess.run([sys.executable, "-c", BUILD, old, old_store, str(args.size),
                            SHARED, stamp], check=True)
        versions = {f"old ({args.against})": (old, old_store), "new": (ROOT, store)}
    results = {label: [] for label in versions}
    for round_ in range(args.rounds):
        for label, (code, served) in versions.items():
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--child", "--code", code,
                 "--store", served, "--paths", paths_file, "--now", stamp,
                 "--availability", os.path.join(base, f"a-{round_}-{len(results[label])}"
                                                      f"-{label[:3]}.sqlite")],
                check=True, capture_output=True, text=True).stdout
            results[label].append(json.loads(out))
            got = results[label][-1]
            print(f"round {round_ + 1} {label}: {got['cpu_ms']:.3f} ms CPU / request "
                  f"(wall {got['wall_ms']:.3f}), load {got['load']:.2f}", flush=True)
    reference = next(iter(results.values()))[0]["digests"]
    differ = 0
    for label, runs in results.items():
        for run in runs:
            differ += sum(a != b for a, b in zip(reference, run["digests"]))
    medians = {label: statistics.median(r["cpu_ms"] for r in runs)
               for label, runs in results.items()}
    print(f"{len(reference)} distinct searches, {args.size:,} records (store {store}), "
          f"clock pinned at {stamp}; non-200: "
          f"{sum(len(d) < 16 for d in reference)}")
    for label, value in medians.items():
        print(f"  {label}: median {value:.3f} ms CPU per request")
    if len(medians) == 2:
        old_ms, new_ms = medians.values()
        print(f"  new / old: {new_ms / old_ms:.2f}")
    print(f"bodies differing from the first run's: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

"""Bed reports per second while searches run: one node on the SQLite file, and one and
two nodes (gunicorn instances) sharing one PostgreSQL availability database.

    .venv/bin/python bench/beds_nodes.py [--seconds 20] [--reporters 8] [--searchers 4]
    make bench-beds

Each reporter is a facility's system: GET the facility's ETag, PUT one bed row with
If-Match (a 412 is counted and retried, never a failure), round-robin over the nodes.
Searchers ask a radius search with `has_open_beds` at the same time, so the live overlay
re-reads what the reports change. PostgreSQL is a throwaway cluster started here with
Debian's initdb/pg_ctl (tests/availability_backends.py), or --postgres-url. Loopback
only; everything runs on this machine, so two nodes share its cores: the figure says what
the shared database costs, not what a second machine adds. Prints JSON; asserts nothing.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from directory_service.availability import keys  # noqa: E402
from directory_service.availability.db import AvailabilityDB  # noqa: E402
from directory_service.search.embedded.store import SqliteStore  # noqa: E402
from directory_service.search.embedded.writer import SqliteIndexWriter  # noqa: E402
from indexer import pipeline  # noqa: E402
from tests.availability_backends import Cluster, Server  # noqa: E402
from tests.server import Gunicorn  # noqa: E402

SEARCH = "/v1/search?near=60540&radius=50&kind=treatment_facility&has_open_beds=true&per_page=10"


def seed(base):
    """The seed directory and its facilities with beds: [(facility id, a bed row)]."""
    path = os.path.join(base, "directory.sqlite")
    pipeline.run([os.path.join(ROOT, "seed_data")], SqliteIndexWriter(path))
    store = SqliteStore(path)
    rows = [(r["id"], r["beds"][0]) for r in store.scan(("treatment_facility",)) if r.get("beds")]
    store.close()
    return path, rows


def load(urls, key, facilities, seconds, reporters, searchers):
    stop = threading.Event()
    tally = {"reports": 0, "conflicts": 0, "errors": 0, "searches": 0, "latency": []}
    lock = threading.Lock()
    auth = {"Authorization": f"Bearer {key}"}

    def report(i):
        session, n = requests.Session(), 0
        mine = facilities[i::reporters]
        while not stop.is_set():
            fid, bed = mine[n % len(mine)]
            url = urls[(i + n) % len(urls)]
            n += 1
            started = time.perf_counter()
            tag = session.get(f"{url}/v1/facilities/{fid}/beds", timeout=30).headers["ETag"]
            row = {"level_of_care": bed["level_of_care"],
                   "population": bed.get("population") or "adult_any",
                   "capacity": 20, "available": n % 20}
            put = session.put(f"{url}/v1/facilities/{fid}/beds", json={"rows": [row]},
                              headers={**auth, "If-Match": tag}, timeout=30)
            took = time.perf_counter() - started
            with lock:
                if put.status_code == 200:
                    tally["reports"] += 1
                    tally["latency"].append(took)
                elif put.status_code == 412:
                    tally["conflicts"] += 1
                else:
                    tally["errors"] += 1

    def search(i):
        session, n = requests.Session(), 0
        while not stop.is_set():
            answer = session.get(urls[(i + n) % len(urls)] + SEARCH, timeout=30)
            n += 1
            with lock:
                tally["searches" if answer.ok else "errors"] += 1

    threads = [threading.Thread(target=report, args=(i,)) for i in range(reporters)]
    threads += [threading.Thread(target=search, args=(i,)) for i in range(searchers)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    latency = sorted(tally.pop("latency")) or [0.0]
    return {**tally, "reports_per_s": round(tally["reports"] / seconds, 1),
            "searches_per_s": round(tally["searches"] / seconds, 1),
            "report_p50_ms": round(statistics.median(latency) * 1000, 1),
            "report_p95_ms": round(latency[int(0.95 * (len(latency) - 1))] * 1000, 1)}


def run_nodes(store_path, facilities, nodes, env, adb, args):
    key = keys.create(adb, "admin")[1]
    env = {**env, "STORE_PATH": store_path, "LOG_LEVEL": "WARNING",
           "RATE_LIMIT_WRITE": "", "RATE_LIMIT_READ": ""}
    servers = [Gunicorn(env, workers=args.workers) for _ in range(nodes)]
    try:
        for server in servers:
            server.__enter__()
        return load([s.url for s in servers], key, facilities, args.seconds,
                    args.reporters, args.searchers)
    finally:
        for server in servers:
            if server.proc is not None:
                server.__exit__()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--reporters", type=int, default=8)
    parser.add_argument("--searchers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL"),
                        help="a server whose user may create databases (default: a "
                             "throwaway cluster)")
    args = parser.parse_args()
    results = {"cpu_count": os.cpu_count(), "seconds": args.seconds,
               "reporters": args.reporters, "searchers": args.searchers,
               "workers_per_node": args.workers}
    with tempfile.TemporaryDirectory() as base:
        store_path, facilities = seed(base)
        path = os.path.join(base, "availability.sqlite")
        adb = AvailabilityDB(path)
        results["sqlite_one_node"] = run_nodes(store_path, facilities, 1,
                                               {"AVAILABILITY_PATH": path}, adb, args)
        adb.close()
        # Durable (fsync at commit), as the SQLite file is (synchronous = FULL).
        cluster = None if args.postgres_url else Cluster(durable=True).start()
        try:
            server = Server(args.postgres_url or cluster.url)
            for nodes, name in ((1, "postgresql_one_node"), (2, "postgresql_two_nodes")):
                url = server.create()  # a fresh database for each figure
                adb = AvailabilityDB(url=url)
                results[name] = run_nodes(store_path, facilities, nodes,
                                          {"AVAILABILITY_URL": url}, adb, args)
                adb.close()
                server.drop(url)
            server.engine.dispose()
        finally:
            if cluster is not None:
                cluster.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Searches during a store swap and during a re-index, an old commit and this tree
alternated in one run (issue 25 item 5): how many searches took over 100 ms, the slowest.

    .venv/bin/python bench/reindex_ab.py --against <commit> [--size 100000] [--rounds 2]
        [--swaps 4] [--reindex] [--live 500] [--store path]

Each round serves the same store with gunicorn (gunicorn.conf.py, gevent, 2 workers), old
then new, while 4 client threads search (bench/search_load.py's searcher, the 200 fixed queries):
- `--swaps K`: K times, a copy of the store made beforehand is renamed over the served
  file and the searches of the next 4 s are timed: the swap alone, no indexer running;
- `--reindex`: the bench's re-index step (bench/run.py: per-row validated indexing of
  `--size` records at nice 10 in a child process, renamed in at its end) under the same
  searches; the indexer is this tree's for both, only the serving code differs.
`--live N` facilities get a live bed report first (one database, both servers), so a
swapped-in file has N live facilities to apply. The old commit is a `git archive` put first
on PYTHONPATH, as in bench/served_ab.py; both serve one store, so the old commit must read
this tree's store format (against a commit before schema 5, the swaps of
bench/serve_memory.py --swaps serve each version its own store). Loopback only.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.loopback import Gunicorn, build_store, copy_store, old_tree  # noqa: E402
from bench.run import (REINDEX_NICE, SHARED, index, now_stamp, pct, search_paths,  # noqa: E402
                       serving_env, synthetic)
from bench.search_load import searcher  # noqa: E402
from bench.search_bench import canonical  # noqa: E402
from bench.served_ab import blocked_reports  # noqa: E402

WINDOW_S = 4.0


def live_reports(url, key, n, shared):
    """One bed report on each of the first `n` synthetic facilities."""
    stamp = now_stamp().isoformat().replace("+00:00", "Z")
    session, done = requests.Session(), 0
    auth = {"Authorization": f"Bearer {key}"}
    for row in synthetic(shared).records(200_000):
        if done >= n:
            break
        if row["kind"] != "treatment_facility":
            continue
        level = canonical(row, stamp)["beds"][0]["level_of_care"]
        fid = canonical(row, stamp)["id"]
        tag = session.get(f"{url}/v1/facilities/{fid}/beds", timeout=30).headers.get("ETag")
        body = {"rows": [{"level_of_care": level, "population": "adult_any", "capacity": 10,
                          "available": 3}]}
        got = session.put(f"{url}/v1/facilities/{fid}/beds", json=body, timeout=30,
                          headers={**auth, "If-Match": tag or '"0"'})
        if got.status_code != 200:
            raise RuntimeError(f"report refused: {got.status_code} {got.text[:300]}")
        done += 1
    return done


class Searching:
    """4 threads searching; `take()` returns the latencies since the last take."""

    def __init__(self, url, paths, threads=4):
        self.stop, self.lock, self.times, self.errors = (threading.Event(), threading.Lock(),
                                                         [], [])
        self.threads = [threading.Thread(target=searcher, daemon=True, args=(
            url, paths[i::threads], self.stop, self.times, self.errors, self.lock))
            for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def take(self):
        with self.lock:
            got, self.times[:] = list(self.times), []
            return got

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=90)


def summary(times, errors=0):
    return {"searches": len(times), "over_100ms": sum(t > 100 for t in times),
            "max_ms": round(max(times), 1) if times else None,
            "p99_ms": round(pct(times, 0.99), 1) if times else None, "errors": errors,
            "load": round(os.getloadavg()[0], 2)}


def swaps(server, paths, store, spare, k):
    """K swaps, each window of WINDOW_S after a rename timed, and as a control the same
    window just before it with no rename (the machine's own tail)."""
    search, out, control = Searching(server.url, paths), [], []
    try:
        time.sleep(2)
        for i in range(k):
            shutil.copyfile(store, spare)  # the copy is not timed; the rename is
            time.sleep(1)
            search.take()
            time.sleep(WINDOW_S)
            control.append(search.take())
            os.rename(spare, store)
            time.sleep(WINDOW_S)
            out.append(search.take())
    finally:
        search.close()
    times = [t for window in out for t in window]
    return {**summary(times, len(search.errors)),
            "per_swap_max_ms": [round(max(w), 1) for w in out if w],
            "control": summary([t for window in control for t in window])}


def reindex(server, paths, n, store):
    search = Searching(server.url, paths)
    try:
        time.sleep(2)
        search.take()
        figures = index(n, store, SHARED, timeout=3600, nice=REINDEX_NICE)
        time.sleep(3)
        times = search.take()
    finally:
        search.close()
    return {**summary(times, len(search.errors)), "index_s": figures["index_s"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--swaps", type=int, default=4)
    parser.add_argument("--reindex", action="store_true")
    parser.add_argument("--live", type=int, default=500)
    parser.add_argument("--store")
    parser.add_argument("--monitor", type=float, help="gevent max blocking time, seconds")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="reindex-ab-")
    try:
        store = os.path.join(base, "directory.sqlite")
        if args.store:
            copy_store(args.store, store)
        else:
            build_store(args.size, store, SHARED, now_stamp().isoformat().replace("+00:00", "Z"))
        spare = os.path.join(base, "spare.sqlite")
        paths = search_paths(list(synthetic(SHARED).queries()))
        env, key, _ = serving_env(base, store, args.size, SHARED)
        if args.monitor:
            env.update(GEVENT_MONITOR_THREAD_ENABLE="true",
                       GEVENT_MAX_BLOCKING_TIME=str(args.monitor))
        old = old_tree(base, args.against)
        servers = {f"old ({args.against})": {**env, "PYTHONPATH": f"{old}:{ROOT}"},
                   "new": env}
        results = {name: {"swap": [], "reindex": []} for name in servers}
        # Reported through a server of their own, so no measured server polls them first.
        with Gunicorn(env, workers=2) as server:
            print(f"live reports: {live_reports(server.url, key, args.live, SHARED)}",
                  flush=True)
        for round_ in range(args.rounds):
            for name, server_env in servers.items():
                with Gunicorn(server_env, workers=2) as server:
                    if args.swaps:
                        got = swaps(server, paths, store, spare, args.swaps)
                        results[name]["swap"].append(got)
                        print(f"round {round_ + 1} {name} swap: {got}", flush=True)
                    if args.reindex:
                        got = reindex(server, paths, args.size, store)
                        results[name]["reindex"].append(got)
                        print(f"round {round_ + 1} {name} re-index: {got}", flush=True)
                    if "Traceback" in server.output():
                        print(server.output()[-3000:])
                    if args.monitor:
                        # The whole monitor output, every frame, for what the summary's
                        # filter leaves out (NumPy, mmap, the interpreter's own frames).
                        log = os.path.join(tempfile.gettempdir(), f"reindex-monitor-"
                                           f"{round_ + 1}-{name.split()[0]}.log")
                        with open(log, "w", encoding="utf-8") as fh:
                            fh.write(server.output())
                        print(f"  monitor output: {log}")
                        blocked = blocked_reports(server.output())
                        print(f"  {len(blocked)} blocked reports")
                        for frames in blocked[:10]:
                            print("    blocked: " + " | ".join(frames))
        for name, kinds in results.items():
            for kind, runs in kinds.items():
                if runs:
                    print(f"{name} {kind}: searches {sum(r['searches'] for r in runs)}, over "
                          f"100 ms {sum(r['over_100ms'] for r in runs)}, max "
                          f"{max(r['max_ms'] for r in runs)} ms, median p99 "
                          f"{statistics.median(r['p99_ms'] for r in runs)} ms, errors "
                          f"{sum(r['errors'] for r in runs)}, load "
                          f"{[r['load'] for r in runs]}")
                    if kind == "swap":
                        c = [r["control"] for r in runs]
                        print(f"{name} control (same windows, no swap): searches "
                              f"{sum(r['searches'] for r in c)}, over 100 ms "
                              f"{sum(r['over_100ms'] for r in c)}, max "
                              f"{max(r['max_ms'] for r in c)} ms")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

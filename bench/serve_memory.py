"""Memory of the two gunicorn workers serving one store, an old commit and this tree
alternated (issue 25 §6: 1M records served in under 1 GB for two workers together).

    .venv/bin/python bench/serve_memory.py --against main --old-store A.sqlite \\
        --new-store B.sqlite [--size 1000000] [--searches 300] [--reports 300] \\
        [--rounds 2] [--swaps 2]

The two store formats differ (schema 4 kept its columns inside the file, 5 beside it), so
each version serves a store built by its own code from the same synthetic records
(bench/loopback.build_store; built here when the path is absent: 1M takes minutes, so
pass the stores of an earlier run). Each server is gunicorn with gunicorn.conf.py (gevent,
2 workers) on 127.0.0.1 and a fresh availability database; it gets `--searches`
searches (the 200 fixed queries, 4 client threads, so both workers answer some),
`--reports` bed reports on as many facilities, and the searches again (each worker
applies every report); then every worker's /proc/<pid>/smaps_rollup is read: PSS (pages
shared between processes count shared: what the pair really costs) and RSS (shared pages
count in full in each). `--swaps K`: K times a copy of the store is renamed over it and
the next 4 s of searches timed, with the 4 s before it as a control (bench/reindex_ab.py's
`swaps`: the slowest, how many over 100 ms), then memory read again.
Loopback only; the servers stop at the end of each round.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.loopback import Gunicorn, old_tree  # noqa: E402
from bench.reindex_ab import Searching, live_reports, summary, swaps  # noqa: E402
from bench.run import SHARED, search_paths, serving_env, synthetic  # noqa: E402

BUILD = """
import sys
sys.path.insert(0, sys.argv[1])
from bench.loopback import build_store
build_store(int(sys.argv[3]), sys.argv[2], sys.argv[4], "2026-12-07T12:00:00Z")
"""


def smaps(pid):
    """{field: MB} of /proc/<pid>/smaps_rollup (Rss, Pss, Pss_Anon, Pss_File, ...)."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return out


def memory(server):
    workers = [smaps(pid) for pid in server.worker_pids()]
    total = {k: round(sum(w.get(k, 0) for w in workers))
             for k in ("Rss", "Pss", "Pss_Anon", "Pss_File", "Private_Dirty", "Shared_Clean")}
    return {"workers": len(workers), **total,
            "per_worker_pss": [round(w["Pss"]) for w in workers]}


def searched(server, paths, n):
    """`n` searches by 4 threads; their summary."""
    search = Searching(server.url, paths)
    try:
        while True:
            time.sleep(0.2)
            with search.lock:
                if len(search.times) >= n:
                    break
    finally:
        search.close()
    return summary(search.take(), len(search.errors))


def one_server(name, code, store, args, base, paths):
    work = tempfile.mkdtemp(dir=base)
    env, key, _ = serving_env(work, store, args.size, SHARED)
    if code != ROOT:
        env["PYTHONPATH"] = f"{code}:{ROOT}"
    with Gunicorn(env, workers=2) as server:
        first = searched(server, paths, args.searches)
        reports = live_reports(server.url, key, args.reports, SHARED)
        after = searched(server, paths, args.searches)
        time.sleep(2)
        got = {"searches": first, "reports": reports, "searches_after": after,
               "memory": memory(server)}
        if args.swaps:
            # Each window after a rename, and the same window before it (the control).
            got["swap"] = swaps(server, paths, store, store + ".spare", args.swaps)
            time.sleep(3)  # the old file retired a second after the swap
            got["memory_after_swaps"] = memory(server)
        if "Traceback" in server.output():
            print(server.output()[-3000:])
    print(f"{name}: {got}", flush=True)
    return got


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", required=True)
    parser.add_argument("--old-store", required=True)
    parser.add_argument("--new-store", required=True)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--swaps", type=int, default=0)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="serve-memory-")
    try:
        old = old_tree(base, args.against)
        versions = {f"old ({args.against})": (old, args.old_store),
                    "new": (ROOT, args.new_store)}
        for code, store in versions.values():
            if not os.path.exists(store):
                subprocess.run([sys.executable, "-c", BUILD, code, store, str(args.size),
                                SHARED], check=True)
        paths = search_paths(list(synthetic(SHARED).queries()))
        results = {name: [] for name in versions}
        for _ in range(args.rounds):
            for name, (code, store) in versions.items():
                results[name].append(one_server(name, code, store, args, base, paths))
        print(f"{args.size:,} records, 2 gevent workers, {args.searches} searches, "
              f"{args.reports} reports, {args.searches} searches; MB, both workers:")
        for name, runs in results.items():
            for run in runs:
                m = run["memory"]
                line = (f"  {name}: PSS {m['Pss']} (per worker {m['per_worker_pss']}), RSS "
                        f"{m['Rss']}, Pss_Anon {m['Pss_Anon']}, Pss_File {m['Pss_File']}, "
                        f"Private_Dirty {m['Private_Dirty']}")
                if "swap" in run:
                    s, after = run["swap"], run["memory_after_swaps"]
                    line += (f"; swaps: slowest {s['per_swap_max_ms']} ms, over 100 ms "
                             f"{s['over_100ms']} of {s['searches']}, errors {s['errors']}, "
                             f"PSS after {after['Pss']}")
                print(line)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

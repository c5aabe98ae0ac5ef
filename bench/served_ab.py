"""Served `/v1/search` of an old commit, of this tree and the bare Flask floor, alternated
in one run under wrk (issue 25): req/s, p99 and worker CPU per request of each, as ratios.

    .venv/bin/python bench/served_ab.py --against 42b817f [--size 100000] [--rounds 2]
        [--seconds 10] [--store path] [--monitor 0.05]

gunicorn with gunicorn.conf.py (gevent, 2 workers), wrk -t2 -c16 cycling the 10,000
distinct searches (bench/cycle.lua) as `make bench` does; the old commit is a
`git archive` put first on PYTHONPATH; `--burn MS` adds the floor's page after MS ms of
CPU (bench/burn_floor.py), a control for the tail. `--monitor S` turns on gevent's monitor thread,
which reports (in each server's output, printed here) every time one greenlet kept a
worker's event loop for more than S seconds, with its stack: what holds a worker.
"""
import argparse
import os
import statistics
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.distinct_queries import paths as distinct_paths  # noqa: E402
from bench.loopback import Gunicorn, build_store, old_tree  # noqa: E402
from bench.run import LUA, SHARED, now_stamp, search_paths, serving_env, synthetic  # noqa: E402
from bench.wrk_runs import WRK_THREADS, wrk  # noqa: E402


def blocked_reports(output):
    """gevent monitor's reports ("Greenlet ... appears to be blocked", each for at least
    --monitor seconds): the innermost frames of project code, SQLite or JSON in each."""
    found = []
    for block in output.split("appears to be blocked")[1:]:
        stack = block.split("Blocked Stack", 1)[-1].split("=" * 20, 1)[0]
        if "create_app" in stack or "in <module>" in stack or "_ensure_schema" in stack:
            continue  # the worker starting (imports, the app, the first look at the db)
        frames = [line.strip() for line in stack.splitlines()
                  if line.strip().startswith("File") and ("directory_service" in line
                                                          or "sqlite" in line or "json" in line
                                                          or "gc" in line)]
        found.append(frames[-4:])
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--against")
    parser.add_argument("--store")
    parser.add_argument("--distinct", type=int, default=10_000)
    parser.add_argument("--monitor", type=float, help="gevent max blocking time, seconds")
    parser.add_argument("--burn", type=float,
                        help="also serve the floor's page after this many ms of CPU "
                             "(bench/burn_floor.py): a control for the tail")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="served-ab-")
    stamp = now_stamp().isoformat().replace("+00:00", "Z")
    store = args.store or os.path.join(base, "directory.sqlite")
    if not os.path.exists(store):
        build_store(args.size, store, SHARED, stamp)
    syn = synthetic(SHARED)
    with open(os.path.join(base, "paths.txt"), "w") as fh:
        fh.write("\n".join(search_paths(list(syn.queries()))) + "\n")
    warm = os.path.join(base, "warm.lua")
    with open(warm, "w") as fh:
        fh.write(LUA % os.path.join(base, "paths.txt"))
    distinct = os.path.join(base, "distinct.txt")
    with open(distinct, "w") as fh:
        fh.write("\n".join(distinct_paths(syn.METROS, args.distinct)) + "\n")
    cycle = os.path.join(ROOT, "bench", "cycle.lua")
    env, _, _ = serving_env(base, store, args.size, SHARED)
    if args.monitor:
        env.update(GEVENT_MONITOR_THREAD_ENABLE="true",
                   GEVENT_MAX_BLOCKING_TIME=str(args.monitor))
    servers = {}
    if args.against:
        old = old_tree(base, args.against)
        servers[f"old ({args.against})"] = {**env, "PYTHONPATH": f"{old}:{ROOT}"}
    servers["new"] = env
    floor_env = {"RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING",
                 "PYTHONPATH": f"{os.path.join(SHARED, 'bench')}:{ROOT}"}
    names = (*servers, "floor") + ((f"floor + {args.burn:g} ms CPU",) if args.burn else ())
    results = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in results:
            if name == "floor":
                server = Gunicorn(floor_env, workers=2, extra_args=["flask_floor:app"],
                                  health="/v1/search")
            elif name.startswith("floor + "):
                server = Gunicorn({**floor_env, "BURN_MS": str(args.burn)}, workers=2,
                                  extra_args=["bench.burn_floor:app"], health="/v1/search")
            else:
                server = Gunicorn(servers[name], workers=2)
            with server:
                got = wrk(server.url, cycle, args.seconds, server=server,
                          script_args=(distinct, str(WRK_THREADS)), warmup_lua=warm)
                got["load"] = os.getloadavg()[0]
                got["blocked"] = blocked_reports(server.output()) if args.monitor else []
            results[name].append(got)
            print(f"round {round_ + 1} {name}: {got['rps']:.0f} req/s, p50 {got['p50_ms']} ms, "
                  f"p99 {got['p99_ms']} ms, max {got['max_ms']} ms, "
                  f"{got['cpu_ms_per_request']} ms CPU/request, load {got['load']:.2f}, "
                  f"non-2xx {got['non_2xx']}, {len(got['blocked'])} blocked reports",
                  flush=True)
            for frames in got["blocked"][:8]:
                print("    blocked: " + " | ".join(frames))
    summary = {name: {k: statistics.median(r[k] for r in runs)
                      for k in ("rps", "p99_ms", "cpu_ms_per_request")}
               for name, runs in results.items()}
    floor = summary["floor"]
    print(f"{args.size:,} records, {args.distinct:,} distinct searches, wrk -t2 -c16, "
          f"{args.rounds} rounds of {args.seconds} s; medians:")
    for name, s in summary.items():
        print(f"  {name}: {s['rps']:.0f} req/s ({s['rps'] / floor['rps']:.2f} of the floor), "
              f"p99 {s['p99_ms']:.1f} ms ({s['p99_ms'] / floor['p99_ms']:.1f}x the floor's), "
              f"CPU {s['cpu_ms_per_request']:.3f} ms/request "
              f"(floor / this {floor['cpu_ms_per_request'] / s['cpu_ms_per_request']:.2f})")


if __name__ == "__main__":
    main()

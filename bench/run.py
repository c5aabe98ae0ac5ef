"""`make bench`: the whole benchmark of issue 15 in one bounded, loopback-only run.

    .venv/bin/python bench/run.py [--size 100000] [--seconds 10] [--rounds 2]
                                  [--distinct 10000] [--out var/bench]

1. builds the synthetic directory (../shared/bench/synthetic.py, imported, never copied),
   indexes it with per-row validation in a child process (time, peak RSS);
2. answers the 200 fixed queries in process at one pinned moment (median, p99) and checks
   every answer against the peers' reference formula (same filter total; top ids compared);
3. serves the store with the search clock pinned at that same moment (bench/pinned_app.py)
   and requires every served answer to equal the in-process one (total, ids in order):
   ranking moves with the clock, so only answers of one moment can be compared exactly;
4. serves it with gunicorn (gunicorn.conf.py, 2 workers, rate limits off, the production
   entry point) and loads /v1/search with wrk cycling 10,000 distinct queries
   (bench/distinct_queries.py, bench/cycle.lua), alternating with the bare Flask floor
   (../shared/bench/flask_floor.py) served the same way; prints the ratio;
5. the PostGIS peer in a throwaway cluster of its own (bench/postgis_run.py) when
   PostgreSQL, PostGIS and psycopg2 are installed (else says which is missing);
6. bed reports at full speed while wrk loads searches; checks that none was lost;
7. re-indexes while searches run at a steady rate (bench/search_load.py), after a control
   window of the same rate with nothing indexed; prints the slowest search and any error;
8. one table, figures as JSON (<out>/bench-<size>.json), one PNG (<out>/latency.png); the
   commit, the date and the 1-minute load average are recorded beside every figure.

It asserts no speed (time on a shared machine is noise unless compared in one run); exit
status 1 only when an answer is wrong, a report was lost or a search failed.
"""
import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.figures_out import plot, print_table, print_targets  # noqa: E402
from bench.bed_reports_load import reports_under_load  # noqa: E402
from bench.loopback import ROOT, Gunicorn, build_store, workers_memory  # noqa: E402
from bench.distinct_queries import paths as distinct_paths  # noqa: E402
from bench.served_check import check_served, iso  # noqa: E402
from bench.wrk_runs import WRK_THREADS, wrk  # noqa: E402
from bench.search_load import reindex_under_load  # noqa: E402
from bench.postgis_run import run_peer  # noqa: E402

SHARED = os.path.join(ROOT, "..", "shared")
WORKERS = 2
# The re-index beside serving workers runs at a lower CPU priority (a batch job).
REINDEX_NICE = 10
LUA = """
local paths, i = {}, 0
for line in io.lines("%s") do paths[#paths + 1] = line end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def now_stamp():
    return datetime.now(timezone.utc).replace(microsecond=0)


def synthetic(shared):
    sys.path.insert(0, os.path.join(os.path.abspath(shared), "bench"))
    import synthetic as module

    return module


def pct(values, q):
    values = sorted(values)
    return values[max(0, math.ceil(q * len(values)) - 1)]


# -- 1. indexing (child process, so its peak RSS is the indexing alone) -------------------

def index_child(n, path, shared):
    """Per-row validated indexing, as bench/search_bench.py does it; prints JSON."""
    from contextlib import closing

    from marshmallow import ValidationError

    from bench.search_bench import canonical
    from directory_service.schemas.records import RecordSchema
    from directory_service.search.embedded.load_apart import load_rows
    from directory_service.search.embedded.writer import SqliteIndexWriter

    stamp = now_stamp().isoformat().replace("+00:00", "Z")
    schema = RecordSchema()
    started, cpu = time.perf_counter(), time.process_time()
    loader = {}
    with SqliteIndexWriter(path) as writer:
        rows = (canonical(row, stamp) for row in synthetic(shared).records(n))
        # Validated and encoded in a second process from 20,000 rows on (load_apart.py).
        with closing(load_rows(schema, rows, stats=loader)) as loaded_rows:
            for loaded in loaded_rows:
                if loaded.messages:
                    raise ValidationError(loaded.messages)
                writer.add_encoded(loaded.key, loaded.doc)
        writer.commit()
    # CPU seconds beside the wall time: on a shared machine the wall time is others' too.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the load and rows processes
    print(json.dumps({"index_s": round(time.perf_counter() - started, 2),
                      "cpu_s": round(time.process_time() - cpu + children.ru_utime
                                     + children.ru_stime, 2),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "rows_process_peak_rss_mb": getattr(writer, "rows_peak_rss_mb", None),
                      "load_process_peak_rss_mb": loader.get("peak_rss_mb")}))


def index(n, path, shared, timeout, nice=0):
    """Index in a child process; `nice` lowers its CPU priority, as a re-index beside
    the serving workers is run in production (cron, `nice -n 10`, docs/performance.md)."""
    out = subprocess.run(["nice", "-n", str(nice), sys.executable, __file__, "--index-child",
                          str(n), path, "--shared", shared], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, "PYTHONPATH": ROOT})
    if out.returncode:
        raise RuntimeError(f"indexing failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- 2. in process, against the reference formula ----------------------------------------

def reference(rows, queries):
    """Per query: (filter total, top ids) by the peers' formula, scanned with NumPy."""
    import numpy as np

    fac = [r for r in rows if r["kind"] == "treatment_facility"
           and "3.7-WM" in r["levels_of_care"] and "medicaid" in r["payment"]]
    ids = np.array([r["id"] for r in fac])
    lat = np.radians([r["lat"] for r in fac])
    lon = np.radians([r["lon"] for r in fac])
    beds = np.array([r["open_beds"] or 0 for r in fac], dtype=float)
    answers = []
    for q in queries:
        qlat, qlon = math.radians(q["lat"]), math.radians(q["lon"])
        h = (np.sin((lat - qlat) / 2) ** 2
             + math.cos(qlat) * np.cos(lat) * np.sin((lon - qlon) / 2) ** 2)
        d_km = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
        inside = d_km <= q["radius_km"]
        score = np.exp(-0.5 * (d_km[inside] / q["decay_scale_km"]) ** 2) * (1 + np.log1p(beds[inside]))
        order = sorted(zip(-score, ids[inside]))[: q["top"]]
        answers.append((int(inside.sum()), [str(i) for _, i in order]))
    return answers


def in_process(path, queries, now):
    from directory_service.search.embedded.store import SqliteStore
    from directory_service.search.store import SearchQuery

    store = SqliteStore(path)
    store.health()
    asked = [SearchQuery(lat=q["lat"], lon=q["lon"], radius_m=q["radius_km"] * 1000,
                         kinds=(q["kind"],), levels_primary=(q["level_of_care"],),
                         payment=(q["payment"],), per_page=q["top"], now=now) for q in queries]
    for query in asked[:10]:
        store.search(query)
    times, answers = [], []
    for query in asked:
        started = time.perf_counter()
        result = store.search(query)
        times.append((time.perf_counter() - started) * 1000)
        answers.append((result.total, [h.record["id"] for h in result.hits]))
    store.close()
    return times, answers


def compare(ours, ref):
    totals = sum(a[0] == b[0] for a, b in zip(ours, ref))
    top1 = sum(a[1][:1] == b[1][:1] for a, b in zip(ours, ref))
    top10 = sum(set(a[1]) == set(b[1]) for a, b in zip(ours, ref))
    return {"queries": len(ref), "same_total": totals, "same_top1": top1, "same_top10_set": top10}


# -- 3. HTTP: the service and the floor under wrk, alternating ---------------------------

def search_paths(queries):
    return [f"/v1/search?lat={q['lat']:.6f}&lon={q['lon']:.6f}&radius={q['radius_km']:g}"
            f"&unit=km&kind={q['kind']}&level_of_care={q['level_of_care']}"
            f"&payment={q['payment']}&per_page={q['top']}" for q in queries]


def context():
    """What every figure is read beside: the commit measured, the moment, the machine's
    1-minute load average (time on a shared machine is noise without it)."""
    return {"load_1m": round(os.getloadavg()[0], 2), "at": iso(now_stamp())}


def commit():
    """The commit measured, `+dirty` when the work tree has changes (then it is not it)."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True,
                              text=True).stdout.strip()

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


# -- 5. bed reports under load: bench/bed_reports_load.py --------------------------------

# -- 6. re-index while searching ---------------------------------------------------------

# -- the run -----------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk round")
    parser.add_argument("--rounds", type=int, default=2, help="floor/service alternations")
    parser.add_argument("--distinct", type=int, default=10_000,
                        help="distinct queries the HTTP rounds cycle through")
    parser.add_argument("--out", default=os.path.join(ROOT, "var", "bench"))
    parser.add_argument("--shared", default=SHARED)
    parser.add_argument("--index-child", nargs=2, metavar=("N", "PATH"))
    args = parser.parse_args()
    shared = os.path.abspath(args.shared)
    if args.index_child:
        return index_child(int(args.index_child[0]), args.index_child[1], shared)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is missing (Debian: apt-get install -y wrk); nothing measured")
    os.makedirs(args.out, exist_ok=True)
    base = tempfile.mkdtemp(prefix="bench-")
    try:
        return run(args, shared, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run(args, shared, base):
    syn, n, problems = synthetic(shared), args.size, []
    fig = {"size": args.size, "commit": commit(), "date": iso(now_stamp())}
    fig["load_average"] = {"before": round(os.getloadavg()[0], 2)}
    fig["machine"] = f"{os.cpu_count()} cores, {platform()}"
    queries = list(syn.queries())
    store_path = os.path.join(base, "directory.sqlite")
    print(f"bench: {n} synthetic records, {len(queries)} fixed queries, "
          f"{args.distinct} distinct HTTP queries, loopback only; commit {fig['commit']}")

    fig["index"] = {**index(n, store_path, shared, timeout=3600), **context()}
    print(f"  index: {fig['index']['index_s']} s ({fig['index']['cpu_s']} s CPU), "
          f"peak RSS {fig['index']['peak_rss_mb']} MB")

    # The one moment every answer is computed at: in process here, served by the pinned
    # server below (bench/pinned_app.py), so the clock cannot move an answer between them.
    now = now_stamp()
    fig["pinned_now"] = iso(now)
    times, ours = in_process(store_path, queries, now)
    fig["in_process"] = {"median_ms": round(statistics.median(times), 3),
                         "p99_ms": round(pct(times, 0.99), 3), **context()}
    ref = reference(list(syn.records(n)), queries)
    fig["reference"] = compare(ours, ref)
    fig["reference_last_top3"] = ref[-1][1][:3]
    if fig["reference"]["same_total"] != len(queries):
        problems.append("filter totals differ from the reference formula")
    print(f"  in process: {fig['in_process']}; vs reference formula: {fig['reference']}")

    # Latency against size: smaller directories built fast (validated templates, cloned).
    fig["curve"] = {n: fig["in_process"]["median_ms"]}
    for small in sorted({max(1000, n // 100), max(1000, n // 10)} - {n}):
        path = os.path.join(base, f"curve-{small}.sqlite")
        build_store(small, path, shared, iso(now))
        fig["curve"][small] = round(statistics.median(in_process(path, queries, now)[0]), 3)

    jsonl = os.path.join(base, "records.jsonl")
    with open(jsonl, "w") as fh:
        for row in syn.records(n):
            fh.write(json.dumps(row) + "\n")
    fig["postgis"], why = run_peer(shared, jsonl, timeout=3600)
    if fig["postgis"]:
        # Same queries, same formula: its last answer's top 3 against the reference's.
        fig["postgis"]["last_top3_as_reference"] = (
            fig["postgis"]["last_top3"] == fig["reference_last_top3"])
        fig["postgis"].update(context())
    else:
        fig["postgis_skipped"] = why
    print(f"  PostGIS peer: {fig['postgis'] or 'skipped: ' + why}")

    paths = search_paths(queries)
    lua = os.path.join(base, "cycle.lua")
    with open(os.path.join(base, "paths.txt"), "w") as fh:
        fh.write("\n".join(paths) + "\n")
    with open(lua, "w") as fh:
        fh.write(LUA % os.path.join(base, "paths.txt"))
    distinct = os.path.join(base, "distinct.txt")
    with open(distinct, "w") as fh:
        fh.write("\n".join(distinct_paths(syn.METROS, args.distinct)) + "\n")
    env, keys, facilities = serving_env(base, store_path, n, shared)

    served = check_served(env, paths, ours, now, WORKERS)
    problems += served
    fig["served_check"] = {"queries": len(paths), "pinned_now": iso(now), "agree": not served}

    floor_env = {"RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING",
                 "PYTHONPATH": f"{os.path.join(shared, 'bench')}:{ROOT}"}
    # The measured rounds send the distinct queries (bench/cycle.lua, each wrk thread its
    # own share); the warm-up sends the fixed 200, so none of the measured ones is warmed.
    cycle = (os.path.join(ROOT, "bench", "cycle.lua"), (distinct, str(WRK_THREADS)))
    rounds = {"service": [], "floor": []}
    for _ in range(args.rounds):
        with Gunicorn(floor_env, workers=WORKERS, extra_args=["flask_floor:app"],
                      health="/v1/search") as floor:
            rounds["floor"].append({**wrk(floor.url, cycle[0], args.seconds, server=floor,
                                          script_args=cycle[1], warmup_lua=lua), **context()})
        with Gunicorn(env, workers=WORKERS) as server:
            rounds["service"].append({**wrk(server.url, cycle[0], args.seconds, server=server,
                                            script_args=cycle[1], warmup_lua=lua), **context()})
    fig["http"] = {k: {"rps": round(statistics.median(r["rps"] for r in v)),
                       "p99_ms": round(statistics.median(r["p99_ms"] for r in v), 1),
                       "cpu_ms_per_request": round(statistics.median(
                           r["cpu_ms_per_request"] for r in v), 3),
                       "non_2xx": sum(r["non_2xx"] for r in v),
                       "rounds": v} for k, v in rounds.items()}
    fig["http"]["distinct_queries"] = args.distinct
    # A path comes again only after its wrk thread sent its whole share (bench/cycle.lua
    # counts the requests that did).
    fig["http"]["repeated_requests"] = max(r.get("repeated", 0) for r in rounds["service"])
    fig["http"]["ratio"] = round(fig["http"]["service"]["rps"] / fig["http"]["floor"]["rps"], 3)
    fig["http"]["cpu_ratio"] = round(fig["http"]["floor"]["cpu_ms_per_request"]
                                     / fig["http"]["service"]["cpu_ms_per_request"], 3)
    fig["load_average"]["http"] = round(os.getloadavg()[0], 2)
    if fig["http"]["service"]["non_2xx"]:
        problems.append("searches answered non-2xx under wrk")
    print(f"  HTTP: " + json.dumps({k: {f: v[f] for f in ("rps", "p99_ms", "cpu_ms_per_request",
                                                          "non_2xx")}
                                    for k, v in fig["http"].items() if isinstance(v, dict)}))

    with Gunicorn(env, workers=WORKERS) as server:
        fig["reports_alone"] = {**reports_under_load(server.url, keys, facilities, lua,
                                                     args.seconds, load=False), **context()}
        print(f"  bed reports alone: {fig['reports_alone']}")
        fig["reports"] = {**reports_under_load(server.url, keys, facilities, lua,
                                               args.seconds), **context()}
        print(f"  bed reports under search load: {fig['reports']}")
        if any(fig[k]["lost"] or fig[k]["refused"] for k in ("reports", "reports_alone")):
            problems.append("bed reports lost or refused")
        # After searches and reports, before the re-index: the workers' memory together.
        fig["serving_memory"] = {**workers_memory(server), **context()}
        print(f"  serving memory: {fig['serving_memory']}")
        fig["reindex"] = {**reindex_under_load(server.url, paths, n, store_path, shared),
                          **context()}
        print(f"  re-index under search load: {fig['reindex']}")
        if fig["reindex"]["errors"]:
            problems.append("searches failed during the re-index")
        if "Traceback" in server.output():
            problems.append("tracebacks in the server log")

    fig["load_average"]["end"] = round(os.getloadavg()[0], 2)
    fig["problems"] = problems
    out = os.path.join(args.out, f"bench-{n}.json")
    with open(out, "w") as fh:
        json.dump(fig, fh, indent=2, default=str)
    plot(args.out)
    print_table(fig, REINDEX_NICE)
    print_targets(fig)
    print(f"figures: {out}; plot: {os.path.join(args.out, 'latency.png')}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def platform():
    try:
        with open("/proc/cpuinfo") as fh:
            return re.search(r"model name\s*:\s*(.*)", fh.read()).group(1)
    except (OSError, AttributeError):
        return "unknown cpu"


def serving_env(base, store_path, n, shared):
    """Availability database with an admin key; facilities with beds to report on."""
    from bench.search_bench import canonical
    from directory_service.availability import keys
    from directory_service.availability.db import AvailabilityDB

    availability = os.path.join(base, "availability.sqlite")
    adb = AvailabilityDB(availability)
    key = keys.create(adb, "admin")[1]
    adb.close()
    stamp = now_stamp().isoformat().replace("+00:00", "Z")
    levels = {}
    for row in synthetic(shared).records(min(n, 20_000)):
        if row["kind"] == "treatment_facility":
            levels[row["id"]] = canonical(row, stamp)["beds"][0]["level_of_care"]
        if len(levels) == 64:
            break
    env = {"STORE_PATH": store_path, "AVAILABILITY_PATH": availability,
           "RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING", "PYTHONPATH": ROOT}
    return env, key, levels


if __name__ == "__main__":
    sys.exit(main())

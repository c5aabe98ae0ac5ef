"""Where the time of a bed report goes: PUT /v1/facilities/{id}/beds through Flask's test
client on the seed store, cProfile'd (cumulative time of the parts named below).

    .venv/bin/python bench/profile_reports.py [--reports 400]
"""
import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PARTS = ("apply_report", "work", "_run_group", "indexed_facility", "facility_version",
         "verify", "_key_row", "_poll", "json_response", "_shown_rows", "dumps", "after_write", "beds_body", "_begin_immediate", "commit",
         "mark_changed", "add_event", "ensure_baseline", "_refusals", "release_beyond",
         "bump_version", "_put_row", "append_history", "put_if_empty", "enqueue_consumers",
         "full_dispatch_request", "live_rows", "annotate_record", "authenticate")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=400)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="profile-reports-")
    os.environ.update({"STORE_PATH": os.path.join(base, "directory.sqlite"),
                       "AVAILABILITY_PATH": os.path.join(base, "availability.sqlite"),
                       "RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING"})
    from directory_service import create_app
    from directory_service.availability import keys
    from directory_service.search.embedded.writer import SqliteIndexWriter
    from indexer import pipeline

    pipeline.run([os.path.join(ROOT, "seed_data")], SqliteIndexWriter(os.environ["STORE_PATH"]))
    app = create_app()
    store, adb = app.extensions["store"], app.extensions["availability"]
    key = keys.create(adb, "admin")[1]
    targets = []
    for r in store.scan(("treatment_facility",)):
        for bed in r.get("beds") or ():
            if bed.get("population") in (None, "adult_any"):
                targets.append((r["id"], bed["level_of_care"]))
                break
    client = app.test_client()
    etags = {fid: client.get(f"/v1/facilities/{fid}/beds").headers["ETag"]
             for fid, _ in targets}

    def put(n):
        fid, level = targets[n % len(targets)]
        answer = client.put(f"/v1/facilities/{fid}/beds", json={"rows": [{
            "level_of_care": level, "population": "adult_any", "capacity": 20,
            "available": n % 7}]}, headers={"Authorization": f"Bearer {key}",
                                             "If-Match": etags[fid]})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        etags[fid] = answer.headers["ETag"]

    for n in range(len(targets)):  # baselines copied in: the steady state follows
        put(n)
    # Unprofiled first: the CPU one served report costs (process time, so the fsync's
    # wait and other processes' load count less than in the wall time).
    cpu, started = time.process_time(), time.perf_counter()
    for n in range(args.reports):
        put(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - started
    print(f"{args.reports} reports unprofiled: {cpu / args.reports * 1000:.2f} ms CPU, "
          f"{wall / args.reports * 1000:.2f} ms wall each (load {os.getloadavg()[0]:.2f})")
    started = time.perf_counter()
    # CPU time, not wall: the fsync's wait is not the report's work.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for n in range(args.reports):
        put(n)
    profile.disable()
    wall = time.perf_counter() - started
    if os.environ.get("DUMP"):
        profile.dump_stats(os.environ["DUMP"])
    stats = pstats.Stats(profile)
    print(f"{args.reports} reports, {wall / args.reports * 1000:.2f} ms each (profiled)")
    rows = []
    for (path, _line, name), (_cc, calls, _tt, cumulative, _callers) in stats.stats.items():
        if name in PARTS:
            rows.append((cumulative, name, os.path.basename(path), calls))
    if os.environ.get("CALLEES"):
        stats.sort_stats("cumulative").print_callees(*os.environ["CALLEES"].split(","))
    for cumulative, name, path, calls in sorted(rows, reverse=True):
        print(f"  {cumulative / args.reports * 1000:7.3f} ms/report  {calls / args.reports:5.1f}"
              f" calls  {name} ({path})")


if __name__ == "__main__":
    main()

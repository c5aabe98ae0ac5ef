"""Benchmark of the embedded store against DESIGN §8: index time and memory, query latency.

    .venv/bin/python bench/search_bench.py 100000 [--shared ../shared]

Uses the synthetic records and the fixed 200-query set of ../shared/bench/synthetic.py
(imported from there, not copied), converted to our record format. Prints figures; it
asserts nothing, because time on a shared machine is noise unless compared in one run.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from directory_service.schemas.records import RecordSchema  # noqa: E402
from directory_service.search.embedded.store import SqliteStore  # noqa: E402
from directory_service.search.embedded.writer import SqliteIndexWriter  # noqa: E402
from directory_service.search.store import SearchQuery  # noqa: E402
from directory_service.timezones import zone_at  # noqa: E402

EXTRA = {"meeting": {"fellowship": "AA", "day": 1, "time": "19:00"},
         "naloxone_site": {"site_type": "pharmacy"}, "takeback_site": {"site_type": "pharmacy"}}


def canonical(row, reported_at):
    """One synthetic row as our record (open_beds become a fresh 3.7-WM-or-first-level row)."""
    # Records name their zone (the indexer's placer sets it); a point at sea gets Chicago's.
    zone = zone_at(row["lat"], row["lon"]) or "America/Chicago"
    record = {"id": row["id"], "kind": row["kind"], "name": row["name"], "timezone": zone,
              "location": {"lat": row["lat"], "lon": row["lon"]}, **EXTRA.get(row["kind"], {})}
    if row["kind"] == "treatment_facility":
        levels = row["levels_of_care"]
        record.update(levels_of_care=levels, payment=row["payment"])
        level = "3.7-WM" if "3.7-WM" in levels else levels[0]
        beds = row["open_beds"]
        record["beds"] = [{"level_of_care": level, "capacity": max(beds, 1), "available": beds,
                           "status": "open" if beds else "full", "reported_at": reported_at}]
    return record


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.abspath(args.shared), "bench"))
    import synthetic

    now = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = now.isoformat().replace("+00:00", "Z")
    schema = RecordSchema()
    path = os.path.join(tempfile.mkdtemp(prefix="bench-"), "directory.sqlite")
    started = time.perf_counter()
    with SqliteIndexWriter(path) as writer:
        for row in synthetic.records(args.n):
            writer.add(schema.load(canonical(row, stamp)))
        writer.commit()
    index_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"index {args.n} records: {index_s:.1f} s, peak RSS {peak_mb:.0f} MB, "
          f"file {os.path.getsize(path) / 1e6:.0f} MB")

    store = SqliteStore(path)
    started = time.perf_counter()
    store.health()
    print(f"open store (map columns): {(time.perf_counter() - started) * 1000:.0f} ms")
    queries = [SearchQuery(lat=q["lat"], lon=q["lon"], radius_m=q["radius_km"] * 1000,
                           kinds=(q["kind"],), levels_primary=(q["level_of_care"],),
                           payment=(q["payment"],), per_page=q["top"], now=now)
               for q in synthetic.queries()]
    for query in queries[:10]:
        store.search(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        result = store.search(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"in-process search: median {statistics.median(times):.3f} ms, "
          f"p99 {times[int(len(times) * 0.99) - 1]:.3f} ms over {len(times)} queries")
    print("last query top 3:", [h.record["id"] for h in result.hits[:3]],
          "(our formula differs from the peer's, so ids may differ)")
    print(json.dumps({"n": args.n, "index_s": round(index_s, 2), "peak_rss_mb": round(peak_mb),
                      "median_ms": round(statistics.median(times), 3),
                      "p99_ms": round(times[int(len(times) * 0.99) - 1], 3)}))


if __name__ == "__main__":
    main()

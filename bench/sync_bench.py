"""What `PRAGMA synchronous = FULL` costs the availability database: bed reports per second
with NORMAL and with FULL, on this machine's disk.

    .venv/bin/python bench/sync_bench.py [--reports 2000] [--dir var/]

Each report is one real write transaction (`reports.apply_report`: version bump, the row,
its history entry, the change mark), one after another from one thread, as a worker
writes them. FULL fsyncs the WAL at every commit; NORMAL only at checkpoints, so a power
cut may lose NORMAL's last commits. Prints figures; asserts nothing.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event  # noqa: E402

from directory_service.availability import reports  # noqa: E402
from directory_service.availability.db import AvailabilityDB  # noqa: E402

LEVELS = ("3.7-WM", "3.5", "3.1")


def run(mode, count, directory):
    path = os.path.join(directory, f"availability-{mode.lower()}.sqlite")
    adb = AvailabilityDB(path)
    # Every pooled connection gets the mode under test (after the FULL of db.py).
    event.listen(adb.engine, "connect",
                 lambda conn, _: conn.execute(f"PRAGMA synchronous = {mode}"))
    adb.engine.dispose()
    with adb.read() as db:
        assert db.exec_driver_sql("PRAGMA synchronous").scalar() == {"NORMAL": 1, "FULL": 2}[mode]
    latencies = []
    started = time.perf_counter()
    for i in range(count):
        row = {"level_of_care": LEVELS[i % 3], "population": "adult_any", "capacity": 20,
               "available": i % 20, "status": "open" if i % 20 else "full"}
        t0 = time.perf_counter()
        reports.apply_report(adb, f"bench:fac-{i % 50:03d}", [row], "key:bench", [])
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    adb.close()
    latencies.sort()
    return count / elapsed, statistics.median(latencies), latencies[int(0.99 * (count - 1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--dir", default=os.path.join(os.path.dirname(__file__), "..", "var"),
                        help="where the test databases go (default var/, the service's disk)")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="sync-bench-", dir=args.dir)
    try:
        results = {mode: run(mode, args.reports, directory) for mode in ("NORMAL", "FULL")}
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    for mode, (rate, median, p99) in results.items():
        print(f"synchronous={mode:<6}: {rate:8.0f} bed reports/s, commit median "
              f"{median:.2f} ms, p99 {p99:.2f} ms ({args.reports} reports, one writer)")
    normal, full = results["NORMAL"][0], results["FULL"][0]
    print(f"FULL costs {100 * (1 - full / normal):.0f} % of NORMAL's throughput "
          f"({full:.0f} vs {normal:.0f} reports/s)")


if __name__ == "__main__":
    main()

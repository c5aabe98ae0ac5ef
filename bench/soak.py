"""Soak: a real gunicorn with several workers under mixed traffic for a bounded time.

    .venv/bin/python bench/soak.py [--seconds 60] [--workers 4] [--clients 8]
        [--kill-every SECONDS] [--rate-limits] [--env NAME=VALUE ...]

Loopback only: it loads the seed directory into a temp store, makes keys in a temp
availability database, starts `gunicorn -c gunicorn.conf.py` on 127.0.0.1 (a free port)
and runs `--clients` threads of mixed traffic until `--seconds` have passed: searches and
record reads (most of it), bed reports (GET the ETag, PUT with If-Match) and holds
(create, then cancel, confirm or decline). Then it stops the server and prints errors
(5xx, connection failures, answers no client should get), throughput, latency per kind of
request, and each worker's memory (RSS) at the start, at its peak and at the end.

Expected refusals are not errors: 409 (no bed left, a hold already decided), 412 (another
writer reported first), 429 (a rate limit; counted apart). Rate limits are off
(RATE_LIMIT_ENABLED=false: a soak measures the service, not the limiter) unless
`--rate-limits`; `--env` passes other settings to the server. `--kill-every` injects faults: every so many
seconds one worker is killed with SIGKILL (gunicorn starts another); the requests it held
fail at the connection and are counted apart from errors, and no 5xx may follow. Exit
status 1 when there was any error.
"""
import argparse
import collections
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.loopback import ROOT, Gunicorn, rss_mb  # noqa: E402

PLACES = ["60540", "Naperville, IL", "60505", "Aurora, IL", "Joliet, IL", "60120",
          "Elgin, IL", "Chicago, IL", "60008"]
SEARCHES = [
    "kind=treatment_facility&level_of_care=detox&payment=medicaid",
    "kind=treatment_facility&has_open_beds=true&gender=men&age=30",
    "kind=meeting&day=0&attendance=online,hybrid",
    "kind=naloxone_site&open_now=true",
    "kind=takeback_site&q=police",
    "q=recovery&radius=40",
    "kind=meeting&starts_within=120&view=compact",
]
EXPECTED = {
    "search": {200, 304},
    "resource": {200, 301},
    "beds_read": {200},
    "report": {200, 409, 412},
    "hold": {201, 409},
    "hold_decide": {200, 409},
}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)
        self.statuses = collections.defaultdict(collections.Counter)
        self.errors = []
        self.throttled = 0
        self.faults = 0
        self.dropped = 0

    def record(self, kind, started, status, detail=""):
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latency[kind].append(elapsed)
            self.statuses[kind][status] += 1
            if status == 429:
                self.throttled += 1
            elif status == "connection" and self.faults:
                self.dropped += 1  # a request the killed worker held
            elif status not in EXPECTED[kind]:
                self.errors.append(f"{kind}: {status} {detail[:160]}")


def setup(base):
    """Seed store, availability DB and keys; (env, facilities, keys)."""
    from directory_service.availability import keys
    from directory_service.availability.db import AvailabilityDB
    from directory_service.search.embedded.store import SqliteStore
    from directory_service.search.embedded.writer import SqliteIndexWriter
    from indexer import pipeline

    store_path = os.path.join(base, "directory.sqlite")
    availability = os.path.join(base, "availability.sqlite")
    pipeline.run([os.path.join(ROOT, "seed_data")], SqliteIndexWriter(store_path))
    store = SqliteStore(store_path)
    facilities = {r["id"]: r for r in store.scan(("treatment_facility",)) if r.get("beds")}
    record_ids = [r["id"] for r in store.scan()]
    store.close()
    adb = AvailabilityDB(availability)
    made = {"admin": keys.create(adb, "admin")[1], "coach": keys.create(adb, "coach")[1]}
    adb.close()
    env = {"STORE_PATH": store_path, "AVAILABILITY_PATH": availability, "LOG_LEVEL": "WARNING"}
    return env, facilities, record_ids, made


def client(url, stop, tally, facilities, record_ids, keys, seed):
    rng = random.Random(seed)
    session = requests.Session()
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    coach = {"Authorization": f"Bearer {keys['coach']}"}
    ids = sorted(facilities)

    def call(kind, method, path, **kwargs):
        started = time.perf_counter()
        try:
            response = session.request(method, url + path, timeout=30, **kwargs)
        except requests.RequestException as exc:
            tally.record(kind, started, "connection", type(exc).__name__)
            return None
        tally.record(kind, started, response.status_code, response.text)
        return response

    while not stop.is_set():
        roll = rng.random()
        if roll < 0.62:
            call("search", "GET", f"/v1/search?near={rng.choice(PLACES)}&"
                                  f"{rng.choice(SEARCHES)}&page={rng.randint(1, 3)}")
        elif roll < 0.75:
            call("resource", "GET", f"/v1/resources/{rng.choice(record_ids)}")
        elif roll < 0.88:
            facility_id = rng.choice(ids)
            read = call("beds_read", "GET", f"/v1/facilities/{facility_id}/beds")
            if read is None or read.status_code != 200:
                continue
            row = rng.choice(facilities[facility_id]["beds"])
            capacity = row.get("capacity") or 10
            body = {"rows": [{"level_of_care": row["level_of_care"],
                              "population": row.get("population") or "adult_any",
                              "capacity": capacity, "available": rng.randint(0, capacity)}]}
            call("report", "PUT", f"/v1/facilities/{facility_id}/beds", json=body,
                 headers={**admin, "If-Match": read.headers.get("ETag", '"0"')})
        else:
            facility_id = rng.choice(ids)
            row = rng.choice(facilities[facility_id]["beds"])
            made = call("hold", "POST", f"/v1/facilities/{facility_id}/holds", headers=coach,
                        json={"level_of_care": row["level_of_care"],
                              "population": row.get("population") or "adult_any",
                              "expires_in_minutes": 30, "note": "arriving in 20 minutes"})
            if made is not None and made.status_code == 201:
                hold_id = made.json()["id"]
                action, who = rng.choice([("cancel", coach), ("confirm", admin),
                                          ("decline", admin)])
                call("hold_decide", "POST", f"/v1/holds/{hold_id}/{action}", headers=who)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kill-every", type=float, default=0,
                        help="SIGKILL one worker every so many seconds (0: never)")
    parser.add_argument("--rate-limits", action="store_true",
                        help="keep the configured rate limits (default: off)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="soak-")
    try:
        env, facilities, record_ids, keys = setup(base)
        if not args.rate_limits:
            env["RATE_LIMIT_ENABLED"] = "false"
        env.update(item.split("=", 1) for item in args.env)
        tally, stop = Tally(), threading.Event()
        with Gunicorn(env, workers=args.workers) as server:
            memory = {pid: [rss_mb(pid)] for pid in server.worker_pids()}
            threads = [threading.Thread(target=client, daemon=True, args=(
                server.url, stop, tally, facilities, record_ids, keys, i))
                for i in range(args.clients)]
            started = last_kill = time.perf_counter()
            rng = random.Random(99)
            for thread in threads:
                thread.start()
            while time.perf_counter() - started < args.seconds:
                time.sleep(min(1.0, max(0.0, args.seconds - (time.perf_counter() - started))))
                workers = server.worker_pids()
                for pid in workers:
                    memory.setdefault(pid, []).append(rss_mb(pid))
                if args.kill_every and workers and \
                        time.perf_counter() - last_kill >= args.kill_every:
                    with tally.lock:
                        tally.faults += 1
                    os.kill(rng.choice(workers), signal.SIGKILL)
                    last_kill = time.perf_counter()
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            elapsed = time.perf_counter() - started
            final = server.worker_pids()
            for pid in final:
                memory.setdefault(pid, []).append(rss_mb(pid))
            for pid in set(memory) - set(final):
                memory[pid].append(None)  # killed or recycled (max_requests) meanwhile
            log = server.output()
        report(args, tally, elapsed, memory, log)
        return 1 if tally.errors or "Traceback" in log or "WORKER TIMEOUT" in log else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


def report(args, tally, elapsed, memory, log):
    total = sum(len(v) for v in tally.latency.values())
    print(f"soak: {args.seconds:.0f} s, {args.workers} workers, {args.clients} clients, "
          f"loopback")
    print(f"requests: {total} in {elapsed:.1f} s = {total / elapsed:.0f}/s; "
          f"errors: {len(tally.errors)}; throttled (429): {tally.throttled}")
    if tally.faults:
        print(f"faults injected: {tally.faults} worker SIGKILLs; requests they dropped at "
              f"the connection: {tally.dropped}")
    for kind, times in sorted(tally.latency.items()):
        times = sorted(times)
        p99 = times[int(0.99 * (len(times) - 1))]
        statuses = " ".join(f"{s}×{n}" for s, n in sorted(tally.statuses[kind].items(),
                                                          key=lambda kv: str(kv[0])))
        print(f"  {kind:<12} {len(times):6d}  median {statistics.median(times):6.1f} ms  "
              f"p99 {p99:7.1f} ms  {statuses}")
    print("worker RSS (MB) start → peak → end:")
    for pid, samples in sorted(memory.items()):
        seen = [s for s in samples if s is not None]
        if seen:
            state = "" if samples[-1] is not None else " (gone: killed or recycled)"
            print(f"  pid {pid}: {seen[0]:.0f} → {max(seen):.0f} → {seen[-1]:.0f}{state}")
    for line in tally.errors[:10]:
        print(f"  error: {line}")
    print(f"server log: {log.count('Traceback')} tracebacks, "
          f"{log.count('WORKER TIMEOUT')} worker timeouts")
    if "Traceback" in log:
        start = log.index("Traceback")
        print(log[start:start + 1500])


if __name__ == "__main__":
    sys.exit(main())

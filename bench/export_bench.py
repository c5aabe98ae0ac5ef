"""An export of a large directory over HTTP, page by page, under the served settings.

    .venv/bin/python bench/export_bench.py 1000000 [--format ndjson] [--limit N]
        [--store existing.sqlite] [--workers 2] [--shared ../shared]

Builds N synthetic records (bench/loopback.py; or reuses --store), starts gunicorn with
gunicorn.conf.py (its worker timeout included) on 127.0.0.1, then follows
`GET /v1/export` and its `Link: rel="next"` to the end, as a partner's sync would. It
checks every record arrived once, in id order, and prints the time, the slowest page and
the client's throughput. A 429 (the read rate limit) is waited out for Retry-After
seconds, as a client should, and counted; `--no-rate-limits` turns the limits off.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.loopback import Gunicorn, build_store, rss_mb  # noqa: E402


THROTTLED = []


def follow(url, fmt, session):
    """Every page; yields (seconds, bytes, ids) per page."""
    while url:
        started = time.perf_counter()
        response = session.get(url, timeout=120)
        if response.status_code == 429:
            THROTTLED.append(float(response.headers.get("Retry-After", "1")))
            time.sleep(THROTTLED[-1])
            continue
        response.raise_for_status()
        body = response.content
        if "Content-Length" in response.headers:
            assert len(body) == int(response.headers["Content-Length"]), "short page"
        if fmt == "ndjson":
            ids = [json.loads(line)["id"] for line in body.splitlines()]
        elif fmt == "geojson":
            ids = [f["id"] for f in json.loads(body)["features"]]
        else:
            ids = [item["id"] for item in json.loads(body)]
        yield time.perf_counter() - started, len(body), ids
        url = response.links.get("next", {}).get("url")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--format", default="ndjson", choices=("ndjson", "geojson", "hsds"))
    parser.add_argument("--limit", type=int, default=None, help="page size (API default)")
    parser.add_argument("--store", default=None, help="reuse this store file")
    parser.add_argument("--keep", default=None, help="keep the built store at this path")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..",
                                                         "..", "shared"))
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="export-bench-")
    try:
        store = args.store
        if store is None:
            store = args.keep or os.path.join(base, "directory.sqlite")
            stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
            started = time.perf_counter()
            build_store(args.n, store, args.shared, stamp.replace("+00:00", "Z"))
            print(f"built {args.n} records in {time.perf_counter() - started:.0f} s "
                  f"({os.path.getsize(store) / 1e6:.0f} MB)")
        env = {"STORE_PATH": os.path.abspath(store),
               "AVAILABILITY_PATH": os.path.join(base, "availability.sqlite")}
        if args.no_rate_limits:
            env["RATE_LIMIT_ENABLED"] = "false"
        with Gunicorn(env, workers=args.workers) as server:
            url = f"{server.url}/v1/export?format={args.format}"
            if args.limit:
                url += f"&limit={args.limit}"
            pages, total_bytes, count, slowest, last = 0, 0, 0, 0.0, ""
            started = time.perf_counter()
            with requests.Session() as session:
                for seconds, size, ids in follow(url, args.format, session):
                    assert all(i > last for i in ids[:1]) and ids == sorted(ids), "order"
                    last = ids[-1] if ids else last
                    pages, count, total_bytes = pages + 1, count + len(ids), total_bytes + size
                    slowest = max(slowest, seconds)
            elapsed = time.perf_counter() - started
            rss = [rss_mb(pid) for pid in server.worker_pids()]
            timeouts = server.output().count("WORKER TIMEOUT")
        print(f"export {args.format}: {count} records in {pages} pages, "
              f"{total_bytes / 1e6:.0f} MB, {elapsed:.1f} s "
              f"({count / elapsed:,.0f} records/s); slowest page {slowest:.2f} s; "
              f"worker timeouts {timeouts}; 429s waited out {len(THROTTLED)} "
              f"({sum(THROTTLED):.0f} s); worker RSS after "
              f"{', '.join(f'{r:.0f}' for r in rss if r)} MB")
        expected = args.n if args.store is None else None
        if expected is not None and count != expected:
            print(f"INCOMPLETE: expected {expected} records")
            sys.exit(1)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

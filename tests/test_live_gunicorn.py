"""Concurrency against a real gunicorn with four workers (DESIGN §9), on SQLite and on
PostgreSQL: fifty coaches racing
for the last bed get exactly one hold; concurrent reports with If-Match lose no update."""
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from directory_service.availability import keys, reports
from directory_service.availability.db import AvailabilityDB
from tests.stores import build_embedded
from tests.test_live_support import directory

requests = pytest.importorskip("requests")
pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(tmp, url=None):
    """gunicorn with four workers over the test directory; (base URL, AvailabilityDB).
    `url`: a PostgreSQL availability database, else a SQLite file in `tmp`."""
    store = build_embedded(directory(), tmp)
    availability = str(tmp / "availability.sqlite")
    adb = AvailabilityDB(availability, url=url)
    port = _free_port()
    # The race retries on 412 as fast as it can: that is a concurrency test, not a flood,
    # so one key's write limit (60/min by default, per worker) is raised here.
    env = {**os.environ, "STORE_PATH": store.path, "AVAILABILITY_PATH": availability,
           "AVAILABILITY_URL": url or "", "LOG_LEVEL": "WARNING",
           "RATE_LIMIT_WRITE": "100000 per minute"}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    log = open(tmp / "gunicorn.log", "w")
    proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "-w", "4",
                             "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # Start-up, not a measurement: wait up to a minute for a worker to answer.
        for _ in range(600):
            if proc.poll() is not None:
                break
            try:
                if requests.get(f"{base}/readyz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start; see {tmp / 'gunicorn.log'}")
        yield base, adb
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        store.close()
        adb.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """One gunicorn per backend (tests/availability_backends.py)."""
    url = None
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg_server")
        url = pg.create()
    with live_server(tmp_path_factory.mktemp("gunicorn"), url) as running:
        yield running
    if url:
        pg.drop(url)


def _bearer(adb, role, facility_id=None):
    return {"Authorization": f"Bearer {keys.create(adb, role, facility_id)[1]}"}


def _all_at_once(count, task):
    gate = threading.Barrier(count)

    def run(i):
        gate.wait()
        return task(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_fifty_coaches_one_last_bed(server):
    base, adb = server
    coaches = [_bearer(adb, "coach") for _ in range(50)]
    body = {"level_of_care": "3.7-WM", "population": "adult_men", "note": "on our way"}
    statuses = _all_at_once(50, lambda i: requests.post(
        f"{base}/v1/facilities/test:a/holds", json=body, headers=coaches[i], timeout=30))
    codes = sorted(r.status_code for r in statuses)
    assert codes == [201] + [409] * 49
    refused = next(r for r in statuses if r.status_code == 409)
    assert "no open 3.7-WM bed" in refused.json()["detail"]
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    figure = requests.get(f"{base}/v1/facilities/test:a/beds", timeout=5).json()["figures"]
    assert figure["3.7-WM"]["open"] == 0


def test_concurrent_reports_lose_no_update(server):
    base, adb = server
    key = _bearer(adb, "facility", "test:b")
    writers, writes_each = 8, 5

    def writer(i):
        done = 0
        for attempt in range(200):
            if done == writes_each:
                break
            seen = requests.get(f"{base}/v1/facilities/test:b/beds", timeout=10)
            row = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
                   "available": (i + attempt) % 10}
            put = requests.put(f"{base}/v1/facilities/test:b/beds", json={"rows": [row]},
                               headers={**key, "If-Match": seen.headers["ETag"]}, timeout=10)
            assert put.status_code in (200, 412), put.text
            done += put.status_code == 200
        return done

    successes = sum(_all_at_once(writers, writer))
    assert successes == writers * writes_each
    final = requests.get(f"{base}/v1/facilities/test:b/beds", timeout=5)
    assert final.json()["version"] == successes
    total, entries = reports.history(adb, "test:b", 1, 1000)
    assert [e["version"] for e in entries if e["event"] == "report"] == \
        list(range(successes, 0, -1))

"""Every acknowledged bed report survives kill -9 of the server (issue 25, item 4).

A real gunicorn (gunicorn.conf.py: gevent, 2 workers) serves the seed directory on a
SQLite availability file; 8 clients PUT bed reports as fast as they are answered (each
with the If-Match of its facility's last answer), so reports are committed in groups
(availability/group_commit.py). Mid-load the master and both workers get SIGKILL. The
file is then opened as it was left: every report answered 200 is there, at the version
its ETag named, with the figure it sent, and with exactly one outbox event; no version
is written twice.
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import requests

from tests.conftest import ROOT
from tests.server import free_port


def _seed(base):
    code = f"""
import json, os
from directory_service.availability import keys
from directory_service.availability.db import AvailabilityDB
from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
path = os.path.join({str(base)!r}, "directory.sqlite")
pipeline.run([os.path.join({ROOT!r}, "seed_data")], SqliteIndexWriter(path))
targets = []
for r in SqliteStore(path).scan(("treatment_facility",)):
    for bed in r.get("beds") or ():
        if bed.get("population") in (None, "adult_any"):
            targets.append([r["id"], bed["level_of_care"]])
            break
adb = AvailabilityDB(os.path.join({str(base)!r}, "availability.sqlite"))
print(json.dumps({{"key": keys.create(adb, "admin")[1], "targets": targets}}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_acknowledged_report_survives_kill_9(tmp_path):
    seeded = _seed(tmp_path)
    db_path = str(tmp_path / "availability.sqlite")
    port = free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "STORE_PATH": str(tmp_path / "directory.sqlite"), "AVAILABILITY_PATH": db_path,
           "RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    log = open(tmp_path / "server.log", "w")
    # Its own process group: SIGKILL reaches the master and its workers, nothing else.
    server = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "no server"
            time.sleep(0.2)

        acknowledged, lock, stop = [], threading.Lock(), threading.Event()
        auth = {"Authorization": f"Bearer {seeded['key']}"}
        targets = seeded["targets"]

        def reporter(i):
            session, n = requests.Session(), 0
            mine = targets[i::8]
            etags = {}
            while not stop.is_set():
                fid, level = mine[n % len(mine)]
                n += 1
                try:
                    if fid not in etags:
                        etags[fid] = session.get(f"{url}/v1/facilities/{fid}/beds",
                                                 timeout=10).headers["ETag"]
                    available = n % 20
                    answer = session.put(
                        f"{url}/v1/facilities/{fid}/beds", timeout=10,
                        headers={**auth, "If-Match": etags[fid]},
                        json={"rows": [{"level_of_care": level, "population": "adult_any",
                                        "capacity": 20, "available": available}]})
                except requests.RequestException:
                    return  # the server is gone
                if answer.status_code == 200:
                    etags[fid] = answer.headers["ETag"]
                    with lock:
                        acknowledged.append((fid, level, int(answer.json()["version"]),
                                             available))

        threads = [threading.Thread(target=reporter, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # mid-load: reports are in flight
        server.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()

    assert len(acknowledged) >= 300, open(tmp_path / "server.log").read()[-3000:]
    # The file as the killed server left it (its WAL included), opened afresh.
    with sqlite3.connect(db_path) as db:
        history = {(fid, version): (level, available) for fid, level, version, available in
                   db.execute("SELECT facility_id, level_of_care, version, available "
                              "FROM bed_history WHERE event = 'report' "
                              "AND population = 'adult_any'")}
        events = {}
        for fid, data in db.execute("SELECT facility_id, data FROM outbox "
                                    "WHERE event = 'beds.updated'"):
            key = (fid, json.loads(data)["version"])
            events[key] = events.get(key, 0) + 1
        versions = dict(db.execute("SELECT facility_id, version FROM facility_versions"))
        written = db.execute("SELECT count(*), count(DISTINCT facility_id || ' ' || version) "
                             "FROM bed_history WHERE event = 'report'").fetchone()
    missing = [a for a in acknowledged if history.get((a[0], a[2])) != (a[1], a[3])]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged reports lost"
    assert all(events.get((fid, version)) == 1 for fid, _, version, _ in acknowledged)
    assert all(versions[fid] >= version for fid, _, version, _ in acknowledged)
    assert written[0] == written[1], "a version written twice"

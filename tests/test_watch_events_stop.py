"""A real gunicorn with a coach's watch events stream open stops at once on SIGTERM: the
stream ends when its worker is told to stop (serving.stopping), instead of holding the
worker for GRACEFUL_TIMEOUT_S (20 s) on every restart while a coach page is open."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from directory_service.availability import keys
from directory_service.availability.db import AvailabilityDB
from tests.server import free_port
from tests.stores import build_embedded
from tests.test_live_support import directory

requests = pytest.importorskip("requests")
pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_an_open_event_stream_does_not_hold_a_stopping_worker(tmp_path):
    store = build_embedded(directory(), tmp_path)
    availability = str(tmp_path / "availability.sqlite")
    adb = AvailabilityDB(availability)
    port, base = free_port(), None
    env = {**os.environ, "STORE_PATH": store.path, "AVAILABILITY_PATH": availability,
           "LOG_LEVEL": "WARNING", "GRACEFUL_TIMEOUT_S": "20", "WEB_CONCURRENCY": "1"}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "--bind",
                             f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if requests.get(f"{base}/readyz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        _key_id, secret = keys.create(adb, "coach")
        session = requests.Session()
        signed = session.post(f"{base}/staff/sign-in", data={"key": secret},
                              headers={"Origin": base, "Sec-Fetch-Site": "same-origin"},
                              allow_redirects=False, timeout=10)
        assert signed.status_code == 303, signed.text
        stream = session.get(f"{base}/staff/coach/watches/events", stream=True, timeout=60)
        assert stream.status_code == 200
        chunks = stream.iter_content(chunk_size=None)
        assert b"retry:" in next(chunks)
        ended = threading.Event()

        def drain():
            try:
                for _chunk in chunks:
                    pass
            except requests.RequestException:
                pass  # cut rather than ended: the assertion below tells them apart by time
            finally:
                ended.set()

        threading.Thread(target=drain, daemon=True).start()
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        # Once it ran on until the worker was killed at GRACEFUL_TIMEOUT_S (20 s).
        # Well before GRACEFUL_TIMEOUT_S (20 s), with room for a busy machine.
        assert ended.wait(12), "the stream did not end when its worker was told to stop"
        session.close()  # a browser's reconnection on it is answered and closed at once
        proc.wait(timeout=40)
        took = time.monotonic() - started
        assert took < 18, f"gunicorn took {took:.1f} s to stop"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()

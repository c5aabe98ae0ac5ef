"""Slow and many clients against the real server `make run` starts (gunicorn.conf.py).

Fifty sockets trickle header lines and never finish their request (slowloris); a client
that is dropped reconnects at once, as an attacker would. Meanwhile `/healthz` must answer
within a second every time. Loopback only; bounded in time; stops by itself.
"""
import socket
import threading
import time

import pytest
import requests

from tests.server import Gunicorn

pytestmark = pytest.mark.slow

TRICKLERS = 50
LINE_EVERY_S = 0.5


class Tricklers:
    """`count` sockets sending one header line each `LINE_EVERY_S`, reconnecting when cut."""

    def __init__(self, port, count):
        self.port, self.count = port, count
        self.stop = threading.Event()
        self.connects = 0
        self.live_peak = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        self.connects += 1
        return sock

    def _run(self):
        socks = [None] * self.count
        n = 0
        while not self.stop.is_set():
            for i, sock in enumerate(socks):
                try:
                    if sock is None:
                        sock = socks[i] = self._open()
                    sock.sendall(f"X-Trickle-{n}: {i}\r\n".encode())
                except OSError:
                    if sock is not None:
                        sock.close()
                    socks[i] = None
            self.live_peak = max(self.live_peak, sum(s is not None for s in socks))
            n += 1
            self.stop.wait(LINE_EVERY_S)
        for sock in socks:
            if sock is not None:
                sock.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


def test_healthz_answers_within_a_second_while_fifty_clients_trickle(tmp_path, seed_store_path):
    env = {"STORE_PATH": seed_store_path, "AVAILABILITY_PATH": str(tmp_path / "av.sqlite"),
           "LOG_LEVEL": "WARNING"}
    # Two workers: the fewer the workers, the harder the test (sync workers hold out only
    # as many slow clients as there are workers).
    with Gunicorn(env, workers=2) as server:
        with Tricklers(server.port, TRICKLERS) as tricklers:
            time.sleep(2)  # let all fifty connect and start trickling
            assert tricklers.live_peak == TRICKLERS
            latencies = []
            # Twelve seconds: past gunicorn's header deadline, so reconnecting clients are
            # in the mix too.
            for _ in range(12):
                started = time.monotonic()
                try:
                    ok = requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
                except requests.RequestException:
                    ok = False
                latencies.append(time.monotonic() - started if ok else float("inf"))
                time.sleep(max(0.0, 1 - latencies[-1]) if ok else 0)
            try:
                search = requests.get(f"{server.url}/v1/search?near=60540", timeout=5).status_code
            except requests.RequestException as exc:
                search = repr(exc)
    assert search == 200
    assert max(latencies) < 1.0, [round(s, 3) for s in latencies]
    # The slow clients were cut at the header deadline and came back: more connections
    # than sockets.
    assert tricklers.connects > TRICKLERS


class BodyTricklers:
    """`count` sockets that send a POST's headers, then its declared body a byte at a time
    every `every_s`, never finishing; `closed` counts those the server cut off."""

    def __init__(self, port, count, every_s=1.0):
        self.port, self.count, self.every_s = port, count, every_s
        self.socks, self.closed = [], 0

    def open(self):
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(b"POST /v1/match HTTP/1.1\r\nHost: localhost\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{")
            sock.setblocking(False)
            self.socks.append(sock)

    def trickle(self, seconds):
        """Keep trickling for `seconds`; a socket the server answered or closed is counted."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for i, sock in enumerate(self.socks):
                if sock is None:
                    continue
                try:
                    if sock.recv(4096, socket.MSG_PEEK) is not None:
                        sock.close()
                        self.socks[i] = None
                        self.closed += 1
                        continue
                except BlockingIOError:
                    pass                # nothing from the server yet: still held
                except OSError:
                    sock.close()
                    self.socks[i] = None
                    self.closed += 1
                    continue
                try:
                    sock.send(b" ")
                except OSError:
                    pass
            time.sleep(self.every_s)

    def close(self):
        for sock in self.socks:
            if sock is not None:
                sock.close()


def test_slow_bodies_are_cut_off_so_searches_still_answer(tmp_path, seed_store_path):
    """Three times as many body tricklers as connection slots (2 workers × 50): without a
    body deadline every slot stays taken and no search connects."""
    env = {"STORE_PATH": seed_store_path, "AVAILABILITY_PATH": str(tmp_path / "av.sqlite"),
           "LOG_LEVEL": "WARNING", "WORKER_CONNECTIONS": "50", "BODY_TIMEOUT_S": "1",
           "RATE_LIMIT_ENABLED": "false"}
    with Gunicorn(env, workers=2) as server:
        tricklers = BodyTricklers(server.port, 300)
        try:
            tricklers.open()
            tricklers.trickle(1.0)
            answered = []
            for _ in range(5):
                try:
                    # Queued behind up to 200 tricklers cut a slot-full at a time: a
                    # generous bound for a loaded machine, not a timing assertion.
                    answered.append(requests.get(f"{server.url}/v1/search?near=60540",
                                                 timeout=90).status_code)
                except requests.RequestException as exc:
                    answered.append(type(exc).__name__)
                tricklers.trickle(0.5)
            tricklers.trickle(3.0)
        finally:
            tricklers.close()
    assert answered == [200] * 5
    assert tricklers.closed >= 200  # cut at the deadline (or refused), not held

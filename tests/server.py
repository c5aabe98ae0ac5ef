"""A real gunicorn server on loopback for tests that only a real server can answer."""
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests

from tests.conftest import ROOT


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """Starts `gunicorn -c gunicorn.conf.py` with extra env; stops it on exit."""

    def __init__(self, env, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "BIND": f"127.0.0.1:{self.port}",
                    "WEB_CONCURRENCY": str(workers)}
        self.proc = None

    def __enter__(self):
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        # A file, not a pipe: a pipe nobody reads would block a busy server.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT,
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"gunicorn exited: {self.output}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start within 60 s: {self.output}")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.seek(0)
        self.output = self.log.read()
        self.log.close()

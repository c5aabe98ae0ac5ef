"""Rows validated by `RecordSchema.load` and encoded as stored JSON in a second process,
while the index run reads, places and stages (issue 25 §3: the add phase's second core).

    for loaded in load_rows(schema, rows):   # in row order, one Loaded per row
        ...loaded.messages (rejected) or loaded.doc, loaded.key (and loaded.extra)

Why a process: per row, `RecordSchema.load` and `encode` were about two fifths of an index
run's add phase, and are pure functions of the row, so a second core can run them while this one
reads the next rows. The process loads with the same `RecordSchema` (the one definition of
a record) and sends back marshmallow's own messages for a rejected row; the caller reports
them with the row's file and number as before. Rows go over a pipe in pickled batches, a
few batches ahead; results come back in order.

The first LOAD_APART_FROM rows are loaded here: a small run loads every row here, as
before (the process is started at row START_AT, so its imports overlap the rows between;
a run that ends in between stops it unused). A failure of the process (it died, or raised
on a row) raises IndexRejected here, which fails the build; this side's failure or exit
closes its input, and the process exits.
"""
import os
import pickle
import select
import subprocess
import sys
import tempfile
import threading
import traceback
from collections import deque, namedtuple
from struct import Struct

from marshmallow import ValidationError

from directory_service.search.embedded.staged_docs import encode, record_key
from directory_service.search.embedded.store_rows import peak_rss_mb
from directory_service.search.store import IndexRejected

# Rows loaded here before the process takes over, and when it is started (its imports,
# about a second, overlap the rows between; a run that ends in between stops it unused).
LOAD_APART_FROM = 20_000
START_AT = 5_000
# From LOAD_APART_FROM on, rows are still loaded here until the process says it is ready
# (its imports done), checked every BATCH rows: this side never waits for its start.
# False: wait for it at LOAD_APART_FROM (tests, to know which rows go where).
SWITCH_WHEN_READY = True
BATCH = 256       # rows a pickle
AHEAD = 8         # batches sent before the first result is awaited
FRAME = Struct("<Q")

# One row's outcome: `messages` (marshmallow's, for a rejected row) or the loaded record's
# stored JSON `doc`, `key` (staged_docs.record_key) and `extra`, what the caller's
# `extract` function took from the record. Not the record itself: sending it back, or
# decoding `doc` here, costs this side about what loading it did.
Loaded = namedtuple("Loaded", "doc key extra messages")


def load_one(schema, row, extract=None):
    """One row's Loaded, in this process."""
    try:
        record = schema.load(row)
    except ValidationError as exc:
        return Loaded(None, None, None, exc.messages)
    return Loaded(encode(record), record_key(record),
                  None if extract is None else extract(record), None)


def load_rows(schema, rows, extract=None, apart_from=None, start_at=None, stats=None):
    """One Loaded per row, in order: the first `apart_from` (LOAD_APART_FROM) here, the
    rest in a process started at row `start_at` (START_AT). `extract` (a module-level
    function, so the process can import it) takes what the caller needs beyond `key`
    from each loaded record. `stats`, a dict, gets the process's "peak_rss_mb"."""
    apart_from = LOAD_APART_FROM if apart_from is None else apart_from
    start_at = min(START_AT if start_at is None else start_at, apart_from)
    rows = iter(rows)
    apart = None
    try:
        for count, row in enumerate(rows):
            if count == start_at:
                apart = LoadApart(schema, extract).start()
            if count >= apart_from and (count - apart_from) % BATCH == 0 and (
                    not SWITCH_WHEN_READY or apart.ready()):
                apart.wait_ready()
                yield from apart.map(_chain(row, rows))
                break
            yield load_one(schema, row, extract)
        if apart is not None and apart.used:
            peak = apart.finish()
            if stats is not None:
                stats["peak_rss_mb"] = peak
    finally:
        if apart is not None:
            apart.close()


def _chain(first, rest):
    yield first
    yield from rest


class LoadApart:
    """The process (this module run as a script) and the pipes to it."""

    def __init__(self, schema, extract=None):
        self.schema, self.extract = schema, extract
        self.used = self._started = False
        self.proc = self._errors = self._sender = None
        self._outbox, self._posted = deque(), threading.Condition()

    def start(self):
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))))
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": package_root + (os.pathsep + path if path else "")}
        self._errors = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, env=env)
        # Batches are written by a thread: this one reads results meanwhile, so neither
        # side can wait on a full pipe the other is not emptying.
        self._sender = threading.Thread(target=self._send, daemon=True)
        self._sender.start()
        # First the schema itself and `extract` (by name: the process imports the same).
        self._post((self.schema, self.extract))
        return self

    def ready(self):
        """Whether the process has said it is ready (without waiting for it)."""
        return self._started or bool(select.select([self.proc.stdout], [], [], 0)[0])

    def wait_ready(self):
        if not self._started:
            status, _ = self._receive_frame()
            if status != "ready":
                self._fail(f"it said {status!r} first")
            self._started = True

    def map(self, rows):
        """Loaded per row, in order, `AHEAD` batches in flight."""
        self.used = True
        in_flight, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                self._post(batch)
                batch, in_flight = [], in_flight + 1
                if in_flight >= AHEAD:
                    yield from self._receive()
                    in_flight -= 1
        if batch:
            self._post(batch)
            in_flight += 1
        for _ in range(in_flight):
            yield from self._receive()

    def _post(self, batch):
        frame = pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
        with self._posted:
            self._outbox.append(FRAME.pack(len(frame)) + frame)
            self._posted.notify()

    def _send(self):
        stdin = self.proc.stdin
        try:
            while True:
                with self._posted:
                    while not self._outbox:
                        self._posted.wait()
                    frame = self._outbox.popleft()
                if frame is None:
                    break
                stdin.write(frame)
                stdin.flush()
        except (OSError, ValueError):  # it died (the reading side says why) or was closed
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _receive(self):
        status, results = self._receive_frame()
        if status != "ok":
            self._fail(results)
        return [Loaded(*result) for result in results]

    def _receive_frame(self):
        head = self.proc.stdout.read(FRAME.size)
        body = self.proc.stdout.read(FRAME.unpack(head)[0]) if len(head) == FRAME.size else b""
        if not body:
            self._fail()
        return pickle.loads(body)

    def finish(self):
        """Stop the process once every result is in and return its peak RSS (MB);
        raises IndexRejected if it failed."""
        self._stop_sending()
        status, peak = self._receive_frame()
        if status != "done" or self.proc.wait() != 0:
            self._fail()
        return peak

    def _stop_sending(self):
        with self._posted:
            self._outbox.append(None)
            self._posted.notify()
        self._sender.join()

    def _fail(self, why=None):
        if why is None:
            self.proc.kill()
            self.proc.wait()
            self._errors.seek(0)
            why = self._errors.read().decode(errors="replace").strip()[-2000:] or (
                f"it exited with status {self.proc.returncode}")
        raise IndexRejected(f"validating rows in a second process failed: {why}")

    def close(self):
        """Kill the process if it still runs (a failure on this side), and wait for it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self._sender.is_alive():
            self._stop_sending()
        self.proc.stdout.close()
        self._errors.close()


def serve(stdin, stdout):
    """The process: (schema, extract), then batches of rows in, ("ok", [Loaded fields per
    row]) out, until EOF; then ("done", its peak RSS)."""
    head = stdin.read(FRAME.size)
    if len(head) < FRAME.size:
        return 0
    schema, extract = pickle.loads(stdin.read(FRAME.unpack(head)[0]))
    _send(stdout, ("ready", None))
    while True:
        head = stdin.read(FRAME.size)
        if len(head) < FRAME.size:
            _send(stdout, ("done", peak_rss_mb()))
            return 0
        rows = pickle.loads(stdin.read(FRAME.unpack(head)[0]))
        try:
            out = ("ok", [tuple(load_one(schema, row, extract)) for row in rows])
        except Exception:  # noqa: BLE001 - a bug on a row fails the build, with its trace
            out = ("failed", traceback.format_exc()[-2000:])
        _send(stdout, out)
        if out[0] != "ok":
            return 1


def _send(stdout, value):
    frame = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    stdout.write(FRAME.pack(len(frame)) + frame)
    stdout.flush()


if __name__ == "__main__":
    sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer))

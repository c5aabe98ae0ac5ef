"""Group commit on the SQLite file (issue 25, item 4): bed reports that arrive together
share one transaction and one fsync.

Every report used to be a transaction of its own, `synchronous = FULL`, so each paid an
fsync with the write lock held, and the two workers took turns. Now, in each worker
process, concurrent `AvailabilityDB.grouped_write` calls queue their work; one of them
(the leader) takes the write lock (`BEGIN IMMEDIATE`, waiting cooperatively, while more
work queues), runs each queued piece of work in its own SAVEPOINT (a piece that raises,
such as a stale version or an older report, is rolled back alone and its caller gets the
exception), and commits once. Every caller is answered only after that COMMIT returned:

- **kill -9 of the server** (or any crash of the process): nothing acknowledged is lost,
  whatever the `synchronous` setting, because a committed WAL frame is in the operating
  system's page cache before the answer is sent;
- **power loss or an OS crash**: nothing acknowledged is lost either, because the
  database stays at `synchronous = FULL` (the WAL is fsynced at every COMMIT, i.e. once
  per group). `NORMAL` would fsync only at checkpoints and could lose the last groups.

Under gevent the COMMIT (the fsync) runs in gevent's pool of native threads, so the
worker keeps parsing and answering other requests meanwhile, and the reports among them
queue for the next group instead of waiting for this one's disk flush one by one. When
the group is done, the leader hands the lead to the oldest waiting caller. Outside gevent
(tests, scripts) the same code runs with ordinary threads and commits inline.
"""
import os
import threading
import time

# At most this many reports in one transaction (a bound on one group's latency).
MAX_GROUP = 64


class _Work:
    __slots__ = ("work", "wake", "finished", "result", "error", "lead")

    def __init__(self, work):
        self.work, self.wake = work, threading.Event()
        self.result = self.error = None
        self.finished = self.lead = False


def _native_runner():
    """gevent's thread pool's `apply` in a gevent worker, else None (commit inline)."""
    try:
        from gevent import monkey
    except ImportError:
        return None
    if not monkey.is_module_patched("threading"):
        return None
    import gevent

    return gevent.get_hub().threadpool.apply


class GroupCommit:
    """One per worker process and database (AvailabilityDB.grouped_write)."""

    def __init__(self, adb):
        self.adb, self.pid = adb, os.getpid()
        self._lock = threading.Lock()
        self._pending = []
        self._leading = False
        self.groups = 0  # committed groups (tests read it)
        self.largest = 0

    def run(self, work):
        item = _Work(work)
        with self._lock:
            self._pending.append(item)
            lead = not self._leading
            self._leading = True
        if lead:
            self._lead()
        while not item.finished:
            item.wake.wait()
            item.wake.clear()
            if item.lead and not item.finished:
                item.lead = False
                self._lead()
        if item.error is not None:
            raise item.error
        return item.result

    def _lead(self):
        """Run one group; then pass the lead to the oldest waiting caller, or drop it."""
        batch = []
        try:
            batch = self._run_group()
        finally:
            for item in batch:
                item.finished = True
                item.wake.set()
            with self._lock:
                nxt = self._pending[0] if self._pending else None
                if nxt is None:
                    self._leading = False
                else:
                    nxt.lead = True
            if nxt is not None:
                nxt.wake.set()  # it runs the next group

    def _run_group(self):
        adb = self.adb
        # No yield before the lock: under search load every yield puts a report behind
        # every ready search of its worker; reports queue while the previous group's
        # COMMIT runs in the thread pool.
        commit = _native_runner()
        from directory_service import metrics

        started, failure, batch = time.perf_counter(), None, []
        try:
            adb._ensure_schema()
            with adb.engine.connect() as conn:
                conn.execution_options(availability_write=True,
                                       busy_timeout_ms=adb.busy_timeout_ms)
                transaction = conn.begin()  # BEGIN IMMEDIATE: more work queues meanwhile
                try:
                    with self._lock:
                        batch = self._pending[:MAX_GROUP]
                        del self._pending[:MAX_GROUP]
                    raw = conn.connection.dbapi_connection
                    for item in batch:
                        _in_savepoint(raw, item, conn)
                    if commit is not None:
                        commit(raw.commit)  # the fsync off the worker's only thread
                    else:
                        raw.commit()
                    transaction.commit()  # SQLAlchemy's bookkeeping (nothing left to do)
                except BaseException:
                    if transaction.is_active:
                        transaction.rollback()
                    raise
            self.groups += 1
            self.largest = max(self.largest, len(batch))
        except Exception as exc:  # the group failed: nobody in it was saved
            failure = exc
            if not batch:
                with self._lock:
                    batch = self._pending[:1]
                    del self._pending[:1]
            for item in batch:
                item.result, item.error = None, exc
        finally:
            metrics.observe_availability("write", time.perf_counter() - started, failure)
        return batch


def _in_savepoint(raw, item, conn):
    """One caller's work in a SAVEPOINT of its own, on the DBAPI connection (SQLAlchemy's
    `begin_nested` cost more than a report's statements; issue 25): work that raises is
    rolled back alone and its caller gets the exception."""
    raw.execute("SAVEPOINT report")
    try:
        item.result = item.work(conn)
    except Exception as exc:
        raw.execute("ROLLBACK TO report")
        item.error = exc
    raw.execute("RELEASE report")


"""The registry (registry.py) turned into huey tasks, one `Jobs` per app.

Three tasks: `tick` (huey's periodic task, every minute on each node) enqueues each due
periodic job with its slot and makes sure every outbox consumer is queued; `run_periodic`
claims (job, slot) in the availability database and runs the job only when it got the
claim; `consume` runs one outbox consumer. Consumer runs are coalesced: a marker in the
queue's key-value store says one is already waiting, so a burst of writes queues one run,
not one per write (the marker goes when the run starts, so a write during a run queues
the next). The huey instance is made lazily and again after a fork.
"""
import logging
import os
import random
import threading
import time

from huey import crontab

from directory_service.availability.db import iso, parse_iso, utcnow
from directory_service.jobs import claims, registry
from directory_service.jobs.queue import make_huey
from directory_service.search.store import StoreError

log = logging.getLogger(__name__)
BUSY_RETRY_S = 1.0  # another node holds the consumer's lease: try again this soon
# A consumer with work due before the next minute's tick (a webhook retry in 30 s) says so
# ({"again_in_s": s}) and is queued for then, no sooner than this.
AGAIN_MIN_S, TICK_S = 0.5, 60.0
BACKOFF_BASE_S, BACKOFF_CAP_S = 1.0, 60.0
STALE_MARKER_S = 300.0  # a marker this old lost its task (queue wiped): cleared


def backoff_s(failures, rand=random.random):
    """1, 2, 4 … 60 s after `failures` failures in a row, with up to 50 % jitter."""
    delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, failures - 1))
    return delay * (0.5 + rand() / 2)


def _marker(name, kind="queued"):
    """The key saying a run of consumer `name` waits: "queued" (now) or "retry"."""
    return f"{kind}:{name}"


class Jobs:
    """One app's job runner: enqueue from the API, execute in the consumer."""

    def __init__(self, app, periodic=None, consumers=None):
        self.app, self.settings = app, app.config["SETTINGS"]
        self.periodic = registry.PERIODIC if periodic is None else tuple(periodic)
        self.consumers = registry.CONSUMERS if consumers is None else tuple(consumers)
        self._huey, self._pid = None, None
        self._failures, self._lock = {}, threading.Lock()

    @property
    def huey(self):
        if self._huey is None or self._pid != os.getpid():
            with self._lock:
                if self._huey is None or self._pid != os.getpid():
                    self._huey = self._build()
                    self._pid = os.getpid()
        return self._huey

    def _build(self):
        huey = make_huey(self.settings)
        self._tasks = {"consume": huey.task(name="consume")(self.consume),
                       "run_periodic": huey.task(name="run_periodic")(self.run_periodic)}
        huey.periodic_task(crontab(), name="tick")(self.tick)
        return huey

    def _task(self, name):
        self.huey  # noqa: B018 (built, in this process)
        return self._tasks[name]

    # --- the API side -------------------------------------------------------------
    def enqueue_consumers(self):
        """Queue every outbox consumer once (a no-op for one already queued).

        Called after every committed write, so first one read of the markers: a consumer
        whose marker is there is queued already, and its run starts after the marker is
        deleted, hence after this write's commit, so it will see the change. Only a
        missing marker costs the exclusive insert (put_if_empty). Before, each write made
        one `BEGIN EXCLUSIVE` on the queue file per consumer, all refused (issue 25)."""
        names = [consumer.name for consumer in self.consumers]
        try:
            present = self.huey.storage.peek_many([_marker(name) for name in names])
        except Exception:  # a storage without it: ask put_if_empty
            present = {}
        for name in names:
            if _marker(name) not in present:
                self.enqueue_consumer(name)

    def enqueue_consumer(self, name, delay=None):
        """Queue one run of consumer `name` unless one is queued already; True when this
        call queued it. With `delay` (a retry), a run that long from now, coalesced with
        other retries only: a write still queues an immediate run meanwhile."""
        huey, marker = self.huey, _marker(name, "retry" if delay else "queued")
        if not huey.put_if_empty(marker, time.time()):
            return False
        try:
            if delay:
                self._task("consume").schedule((name, marker), delay=delay)
            else:
                self._task("consume")(name, marker)
        except Exception:
            huey.delete(marker)
            raise
        return True

    # --- the tasks ----------------------------------------------------------------
    def tick(self, now=None):
        """Every minute on each node: queue each periodic job due now with its slot, and
        each consumer (a safety net for a missed write; leases keep it cheap)."""
        now = now or utcnow()
        due = []
        for job in self.periodic:
            slot = job.schedule.slot(now, self.settings)
            if slot is not None:
                self._task("run_periodic")(job.name, iso(slot), iso(now))
                due.append(job.name)
        for consumer in self.consumers:
            for kind in ("queued", "retry"):
                self._clear_if_stale(_marker(consumer.name, kind))
            self.enqueue_consumer(consumer.name)
        return due

    def _clear_if_stale(self, marker):
        queued_at = self.huey.get(marker, peek=True)
        if queued_at is not None and time.time() - queued_at > STALE_MARKER_S:
            log.warning("%s was set %.0f s ago and its run never came; cleared", marker,
                        time.time() - queued_at)
            self.huey.delete(marker)

    def run_periodic(self, name, slot, now=None):
        """Run periodic job `name` for `slot` if this node claims it first; its counts,
        or {"claimed": False} when another node (or an earlier tick) has it."""
        job = registry.periodic(name, self.periodic)
        slot, now = parse_iso(slot), parse_iso(now) if now else utcnow()
        adb = self.app.extensions["availability"]
        if not claims.claim(adb, name, slot, now=now):
            log.debug("periodic job %s, slot %s: claimed by another runner", name, iso(slot))
            return {"claimed": False}
        try:
            with self.app.app_context():
                outcome = job.run(self.app, now) or {}
        except Exception as exc:  # the slot is spent; the next one runs it again
            log.exception("periodic job %s failed for slot %s", name, iso(slot))
            claims.finish(adb, name, slot, f"error: {type(exc).__name__}")
            return {"claimed": True, "error": type(exc).__name__}
        claims.finish(adb, name, slot, outcome)
        log.info("periodic job %s, slot %s: ran", name, iso(slot))
        return {"claimed": True, **outcome}

    def consume(self, name, marker=None):
        """Run outbox consumer `name` once; retried soon when busy, later when failing.
        `marker`: the key it was queued under, cleared first so a write during the run
        queues the next one."""
        if marker:
            self.huey.delete(marker)
        consumer = registry.consumer(name, self.consumers)
        try:
            with self.app.app_context():
                result = consumer.run(self.app, utcnow()) or {}
        except Exception as exc:
            with self._lock:
                failures = self._failures[name] = self._failures.get(name, 0) + 1
            delay = backoff_s(failures)
            # The engine's message says why; a database driver's may name hosts and
            # users, so of any other error only the class is logged.
            why = str(exc)[:300] if isinstance(exc, StoreError) else ""
            log.warning("outbox consumer %s failed (%d in a row), retrying in %.1f s: %s %s",
                        name, failures, delay, type(exc).__name__, why)
            self.enqueue_consumer(name, delay=delay)
            return {"error": type(exc).__name__, "retry_in_s": round(delay, 1)}
        with self._lock:
            if self._failures.pop(name, 0):
                log.info("outbox consumer %s caught up after failures", name)
        if result.get("busy"):
            self.enqueue_consumer(name, delay=BUSY_RETRY_S)
        elif result.get("again_in_s") is not None and result["again_in_s"] < TICK_S:
            self.enqueue_consumer(name, delay=max(AGAIN_MIN_S, result["again_in_s"]))
        return result

    # --- running ------------------------------------------------------------------
    def run_queued(self, limit=1000):
        """Execute what is queued now, in this process (tests, `jobs --once`); returns
        how many tasks ran. Tasks with a later eta go to the schedule, not run."""
        huey, count = self.huey, 0
        for _ in range(limit):
            task = huey.dequeue()
            if task is None:
                break
            if huey.ready_to_run(task):
                count += 1
            huey.execute(task)  # a later one goes to the schedule
        return count

    def consumer(self, workers=None):
        """huey's consumer for this app: threads, the scheduler (periodic `tick`), a
        graceful stop on SIGTERM that lets running tasks finish (GRACEFUL_TIMEOUT_S)."""
        s = self.settings
        return self.huey.create_consumer(
            workers=workers or s.jobs_workers, worker_type="thread", periodic=True,
            initial_delay=0.1, backoff=1.5, max_delay=s.jobs_poll_s, scheduler_interval=1,
            graceful_signal="TERM", shutdown_timeout=s.graceful_timeout_s)

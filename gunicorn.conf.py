"""gunicorn settings for directory-service (`gunicorn -c gunicorn.conf.py`).

Slow clients: each worker is a gevent worker, so a connection that trickles its headers
holds a cheap greenlet, not the worker; `/healthz` and searches keep answering while
fifty such clients connect (tests/test_slow_clients.py). A request's headers must all
arrive within `keepalive` seconds (gunicorn wraps each header read in that timeout) and
stay within the limits below, or the connection is closed. For the public internet put a
buffering proxy in front as well (docker-compose.yml, docs/serving.md).

Logs: the access log leaves out the query string and the client address: a search's query
string holds the searcher's location, and DESIGN §9 forbids logging it. `SafeLogger`
escapes every field a client wrote (a `%0A` in a path cannot forge a log line) and scrubs
addresses and query strings from gunicorn's own error messages.
"""
import gc
import glob
import os
import sys
import tempfile

worker_class = "gevent"
# Patch before the master imports the application (gazetteer.warm below): ssl and urllib3
# imported unpatched would be used unpatched by every forked worker. The worker's own
# patch_all then finds everything patched already.
import gevent  # noqa: E402
from gevent import monkey  # noqa: E402

monkey.patch_all()

# Metrics from every worker are summed at /metrics (directory_service/metrics.py): each
# worker writes its counters to files in this directory, set before any worker starts.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="directory-metrics-")


def _served_settings():
    """Workers and the graceful timeout come from the settings (directory_service/config.py),
    and the PostgreSQL connection budget is checked before any worker starts: a deployment
    whose pools could exceed it is refused with one line naming the numbers."""
    from directory_service import connection_budget
    from directory_service.config import ConfigError, Settings

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        _refuse(exc)
    _check_budget(settings, connection_budget.worker_count(settings))
    return settings


def _check_budget(settings, workers):
    from directory_service import connection_budget
    from directory_service.config import ConfigError

    try:
        connection_budget.check(settings, workers)
    except ConfigError as exc:
        _refuse(exc)


def _refuse(exc):
    sys.stderr.write(f"directory-service refuses to start: {exc}\n")
    sys.exit(1)


_settings = _served_settings()
wsgi_app = "directory_service:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
from directory_service import worker_turns  # noqa: E402
from directory_service.connection_budget import worker_count  # noqa: E402

# WEB_CONCURRENCY, or the CPU count (at least 2) when it is 0.
workers = worker_count(_settings)
# Concurrent connections per worker (slow ones included); beyond it a worker stops accepting.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", 1000))
timeout = 30
# Seconds a worker gets to finish its requests after SIGTERM (GRACEFUL_TIMEOUT_S); the
# container's stop_grace_period (docker-compose.yml) must be longer, or Docker kills
# the workers mid-request.
graceful_timeout = _settings.graceful_timeout_s
# Idle keep-alive wait, and also the deadline for a request's headers to arrive.
keepalive = 5
# A worker is recycled now and then (a guard against slow leaks). Each recycle stalls the
# worker's connections while the new one starts and opens the store (0.1 s at 100k records,
# 1 s at 1M): at 5,000 that was every few seconds under load, and the 0.6-1 s p99 of every
# benchmark here (issue 15). At 1,000 requests/s per worker 100,000 is about every 2 min.
max_requests = int(os.environ.get("MAX_REQUESTS", 100_000))
max_requests_jitter = max_requests // 10
# Header limits (gunicorn answers 400 / 431 itself, before the application sees them).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
accesslog = "-"
# The plain format, used with LOG_FORMAT=text; the default is one JSON object a line
# (method, path without its query, route, status, bytes, duration_ms, request_id).
access_log_format = '%(m)s %(U)s %(s)s %(B)s %(M)sms'
errorlog = "-"
logger_class = "directory_service.serving.SafeLogger"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def on_starting(server):
    """Build the place gazetteer, the longer town list, the close spellings and the language
    names once in the master; forked workers share them, so no searcher waits for them. Counters of an earlier
    run are cleared."""
    from directory_service import gazetteer, geo, towns
    from directory_service.schemas import language

    # `-w N` on the command line overrides WEB_CONCURRENCY: count what will really run.
    if server.cfg.workers != workers:
        _check_budget(_settings, server.cfg.workers)
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)
    gazetteer.warm()
    towns.warm()
    language.warm()
    geo.warm()


def child_exit(server, worker):
    """A dead worker's live gauges go with it; its counters stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Let long responses see the worker stop (serving.stopping: the watch events), and
    open the store before the worker takes a request, so no first search holds the
    worker's other connections while it does (issue 25). A store not ready yet (no index,
    a database down) is left to the requests, which answer as they always did. (Live beds
    reach Elasticsearch through the job runner, not the workers: jobs/.)"""
    from directory_service import serving

    serving.WORKER = worker
    store = getattr(worker.wsgi, "extensions", {}).get("store")
    if store is not None:
        try:
            store.warm()
        except Exception as exc:  # noqa: BLE001 - the requests report it (503, /readyz)
            worker.log.warning("store not opened before requests: %s", type(exc).__name__)
    # What the worker holds now (the app, the opened store, ~436,000 objects) lives as long
    # as the worker: out of the garbage collector's sight, so no full collection in some
    # later request walks it (0.2–0.5 s, a request's tail; issue 25 §5).
    gc.freeze()


WRITE_METHODS = frozenset(("PUT", "POST", "PATCH", "DELETE"))
# Writes in flight in this worker (gevent: one thread, so a plain counter).
_writes = [0]
# How long a read waits at most, in steps, for the worker's writes in flight to go on.
READ_DEFER_STEPS, READ_DEFER_STEP_S = 4, 0.0005


def pre_request(worker, req):
    """Writes first (issue 25, item 4): a read that finds writes in flight in its worker
    waits up to 2 ms before it starts, so they go on. Under gevent a request runs until
    it yields and then queues behind every ready request of its worker; a bed report
    yields several times (the other worker's write lock, its group's commit in the thread
    pool, its answer), and under a saturating search load each yield put it behind every
    ready search: 14 reports/s beside 244 searches/s. With this: 89–103 beside 74–171
    (docs/performance-history.md, "Bed reports: group commit")."""
    if req.method in WRITE_METHODS:
        _writes[0] += 1
        return
    for _ in range(READ_DEFER_STEPS):
        if not _writes[0]:
            return
        gevent.sleep(READ_DEFER_STEP_S)


def post_request(worker, req, environ, resp):
    """Let the worker's other connections go first before reading this one's next request
    (directory_service/worker_turns.py: why an idle wait, not `gevent.sleep(0)`)."""
    if req.method in WRITE_METHODS:
        _writes[0] = max(0, _writes[0] - 1)
    worker_turns.let_waiting_connections_go_first()

"""Prometheus metrics at `/metrics`, correct under gunicorn's several workers.

Counters and histograms are kept per process; under gunicorn each worker writes them to
files in `PROMETHEUS_MULTIPROC_DIR` (gunicorn.conf.py makes that directory and marks dead
workers), and a scrape of any worker sums them all (prometheus_client's multiprocess
mode). Figures that describe the directory rather than the requests (index age, records
by kind, facilities by freshness, outbox lag) are read at scrape time by the worker that
answers, so they are never double-counted.

Labels never carry a searcher's place, query text, record id or key: a request is labelled
by its route's rule (`/v1/resources/<path:record_id>`), its method and its status only.
`METRICS_TOKEN`, when set, must be sent as `Authorization: Bearer …`; `METRICS_ENABLED=false`
turns the endpoint off (404).
"""
import hmac
import logging
import os
import time
from datetime import datetime, timezone

from flask import Response, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily

from directory_service import vocab

log = logging.getLogger(__name__)

# Seconds. A search answers in milliseconds; a bulk export may take seconds.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)

REQUESTS = Counter("directory_http_requests_total", "HTTP requests answered.",
                   ["route", "method", "status"])
LATENCY = Histogram("directory_http_request_duration_seconds",
                    "Time from the request's arrival in the app to its answer.",
                    ["route", "method"], buckets=LATENCY_BUCKETS)
STORE_SECONDS = Histogram("directory_store_search_duration_seconds",
                          "Time the search store took to answer one search.",
                          buckets=DB_BUCKETS)
STORE_ERRORS = Counter("directory_store_errors_total",
                       "Searches the store could not answer.", ["error"])
AVAILABILITY_SECONDS = Histogram("directory_availability_db_duration_seconds",
                                 "Time of one availability-database transaction.",
                                 ["operation"], buckets=DB_BUCKETS)
AVAILABILITY_ERRORS = Counter("directory_availability_db_errors_total",
                              "Availability-database transactions that failed.",
                              ["operation", "error"])
BED_REPORTS = Counter("directory_bed_reports_total", "Bed reports by outcome.", ["outcome"])
HOLDS = Counter("directory_holds_total", "Hold actions by kind.", ["action"])


def init_app(app, settings):
    """Time every request and answer `/metrics` (unless turned off)."""
    app.before_request(_start_timer)
    app.after_request(_count)
    if settings.metrics_enabled:
        app.add_url_rule("/metrics", "metrics", metrics_view)


def _start_timer():
    g.metrics_started = time.perf_counter()


def route_label():
    """The matched rule (a template, never the client's path), or "unmatched"."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _count(response):
    started = g.pop("metrics_started", None)
    route, method = route_label(), request.method
    if method not in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        method = "other"  # a client's made-up method must not make a new series
    REQUESTS.labels(route, method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(route, method).observe(time.perf_counter() - started)
    return response


def observe_store_search(seconds):
    STORE_SECONDS.observe(seconds)


def count_store_error(exc):
    STORE_ERRORS.labels(type(exc).__name__).inc()


def observe_availability(operation, seconds, exc=None):
    """One availability transaction (`read` or `write`) and, when it failed, its error
    class (never its text: it may name hosts and users)."""
    AVAILABILITY_SECONDS.labels(operation).observe(seconds)
    if exc is not None:
        error = type(getattr(exc, "orig", None) or exc).__name__
        AVAILABILITY_ERRORS.labels(operation, error).inc()


def metrics_view():
    token = current_app.config["SETTINGS"].metrics_token
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return Response("metrics need the bearer token (METRICS_TOKEN)\n", 401,
                            {"WWW-Authenticate": 'Bearer realm="metrics"'},
                            mimetype="text/plain")
    body = generate_latest(_process_registry()) + generate_latest(_directory_registry())
    return Response(body, 200, {"Cache-Control": "no-store"}, mimetype=CONTENT_TYPE_LATEST)


def _process_registry():
    """Every worker's counters (multiprocess mode), or this process's own."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY


def _directory_registry():
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DirectoryCollector(current_app._get_current_object()))
    return registry


class DirectoryCollector:
    """What the directory holds now, read when scraped (never from a searcher's request)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        store = self.app.extensions["store"]
        up = GaugeMetricFamily("directory_store_up", "1 when the search store answers.")
        try:
            stats = store.stats()
        except Exception as exc:  # noqa: BLE001 - a scrape reports the store down, never fails
            log.warning("metrics: store stats failed (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            yield from self._availability()
            return
        up.add_metric([], 1)
        yield up
        records = GaugeMetricFamily("directory_records", "Records in the serving index.",
                                    labels=["kind"])
        for kind in vocab.KINDS:
            records.add_metric([kind], stats.get("records_by_kind", {}).get(kind, 0))
        yield records
        built = _parse(stats.get("built_at"))
        if built is not None:
            age = GaugeMetricFamily("directory_index_age_seconds",
                                    "Seconds since the serving index was built.")
            age.add_metric([], max(0.0, (datetime.now(timezone.utc) - built).total_seconds()))
            yield age
        lag = _safe(store.sync_lag)
        if lag:
            pending = GaugeMetricFamily("directory_outbox_pending",
                                        "Live-bed changes not yet pushed to the search engine.")
            pending.add_metric([], lag.get("pending") or 0)
            yield pending
            oldest = GaugeMetricFamily("directory_outbox_oldest_seconds",
                                       "Age of the oldest change not yet pushed.")
            oldest.add_metric([], lag.get("oldest_s") or 0)
            yield oldest
        yield from self._availability()

    def _availability(self):
        adb = self.app.extensions.get("availability")
        if adb is None:
            return
        from directory_service.availability.freshness_bands import freshness_counts

        up = GaugeMetricFamily("directory_availability_up",
                               "1 when the availability database answers.")
        settings = self.app.config["SETTINGS"]
        try:
            counts = freshness_counts(adb, settings)
        except Exception as exc:  # noqa: BLE001 - reported as down, never a failed scrape
            log.warning("metrics: availability figures failed (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        bands = GaugeMetricFamily(
            "directory_facilities_by_freshness",
            "Facilities reporting live beds, by the freshness of their oldest figure.",
            labels=["freshness"])
        for band in ("fresh", "aging", "stale", "unknown"):
            bands.add_metric([band], counts.get(band, 0))
        yield bands
        yield from _webhooks(adb)


def _webhooks(adb):
    """Partner webhook deliveries by state: a growing `pending` or any `dead` needs a look."""
    from directory_service.webhooks import store

    try:
        found = store.counts_by_state(adb.read())
    except Exception as exc:  # noqa: BLE001 - a scrape never fails for it
        log.warning("metrics: webhook counts failed (%s)", type(exc).__name__)
        return
    family = GaugeMetricFamily("directory_webhook_deliveries",
                               "Partner webhook deliveries by state.", labels=["state"])
    for state in store.DELIVERY_STATES:
        family.add_metric([state], found.get(state, 0))
    yield family


def _safe(call):
    try:
        return call()
    except Exception:  # noqa: BLE001 - an optional figure
        return None


def _parse(iso):
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

"""The benchmark's answer-check server: the service with its search clock pinned.

Ranking decays bed figures with the clock (docs/ranking.md), so an answer served minutes
after the in-process one may rightly differ (issue 25: 21 of 200 orders at +5 min).
bench/run.py therefore answers the queries in process at one pinned moment and serves
this module with that moment in `BENCH_PINNED_NOW`:

    BENCH_PINNED_NOW=2026-12-07T02:30:00Z gunicorn -c gunicorn.conf.py bench.pinned_app:app

Benchmark only: the production entry point (`directory_service:create_app()`) reads no
such setting, so nothing outside bench/ can fix a served clock. The req/s figures are
measured on the production entry point, not on this one.
"""
import os
from datetime import datetime, timezone

from directory_service import create_app
from directory_service.api import http_cache

ENV = "BENCH_PINNED_NOW"


def parse(text):
    """An ISO 8601 moment with its zone (`Z` or an offset) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{ENV} must name its zone (Z or +00:00): {text!r}")
    return moment.astimezone(timezone.utc)


def pin(moment):
    """Fix the clock every search answer reads (`http_cache.utcnow`) at `moment`."""
    http_cache.utcnow = lambda: moment


def make_app(moment, settings=None, store=None):
    pin(moment)
    return create_app(settings, store)


def __getattr__(name):
    # gunicorn asks for `app`; built on first use, and only with the moment given.
    if name != "app":
        raise AttributeError(name)
    if not os.environ.get(ENV):
        raise RuntimeError(f"bench.pinned_app serves only with {ENV} set (bench/run.py sets it)")
    globals()["app"] = make_app(parse(os.environ[ENV]))
    return globals()["app"]

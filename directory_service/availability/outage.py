"""Reads that go on while the availability database is down (DESIGN §14: degrade, never 500).

Search, records, match, exports and the public pages read the directory from the search
store and only overlay live bed figures from the availability database. When that
database cannot answer, those reads still answer from the index, with every bed figure
marked unavailable — status "unknown", no number, `live_figures: "unavailable"` — never
zero and never open, because an index figure may have been overtaken by a report we
cannot see. Writes (reports, holds, keys, staff sign-in) still answer 503 with
Retry-After (availability/__init__.py).

The flag lives on the request (`flask.g`), so one request is consistent throughout, and
the next request tries the database again: recovery needs no restart.
"""
import logging

from flask import g, has_request_context

log = logging.getLogger(__name__)
UNAVAILABLE = "unavailable"


def outages():
    from directory_service.availability import OUTAGES

    return OUTAGES


def mark_down(exc):
    """Note that this request could not read live figures (the error's class only)."""
    if has_request_context():
        if not g.get("availability_down"):
            log.warning("availability database unavailable; serving the index without "
                        "live figures (%s)", type(getattr(exc, "orig", None) or exc).__name__)
        g.availability_down = True


def is_down():
    return has_request_context() and bool(g.get("availability_down"))


def reading(call, default=None):
    """`call()`, or `default` (and the request marked) when the database is down."""
    try:
        return call()
    except outages() as exc:
        mark_down(exc)
        return default


def unavailable_row(row, annotated=True):
    """A bed row whose live figure cannot be known now: its place kept, no number.
    `annotated` adds the API's derived fields; without it the row stays in the record
    format (exports can be loaded again)."""
    row = {**row, "available": None, "status": "unknown", "reported_at": None,
           "reported_by": None}
    if annotated:
        row.update(age_seconds=None, freshness="unknown", live=UNAVAILABLE)
    return row


def unavailable_record(record, annotated=True):
    """A facility record with every bed figure marked unavailable."""
    if record.get("kind") != "treatment_facility":
        return record
    marked = {**record, "beds": [unavailable_row(r, annotated) for r in record.get("beds") or ()]}
    if annotated:
        marked["live_figures"] = UNAVAILABLE
    return marked

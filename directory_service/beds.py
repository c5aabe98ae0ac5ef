"""Bed figures as a response shows them: every figure carries its age and freshness.

Unknown stays unknown: a figure without a report is `open: null, freshness: unknown`,
never 0 and never open.
"""
from datetime import datetime

from directory_service import ranking
from directory_service.availability import outage


def _age_seconds(reported_at, now):
    if not reported_at:
        return None
    moment = datetime.fromisoformat(reported_at.replace("Z", "+00:00"))
    return max(0, int((now - moment).total_seconds()))


def figure(open_beds, reported_at, now, settings):
    """{"open", "reported_at", "age_seconds", "freshness"} for one bed figure."""
    if outage.is_down():  # live figures unreadable: no number rather than an old one
        open_beds = None
    age = _age_seconds(reported_at, now) if open_beds is not None else None
    return {
        "open": open_beds,
        "reported_at": reported_at if open_beds is not None else None,
        "age_seconds": age,
        "freshness": ranking.freshness(age, settings.fresh_hours, settings.stale_hours),
    }


def annotate_record(record, now, settings):
    """A copy of `record` whose bed rows carry age_seconds and freshness (all marked
    unavailable while the availability database is down: availability/outage.py)."""
    if outage.is_down():
        return outage.unavailable_record(record)
    if not record.get("beds"):
        return record
    rows = []
    for bed in record["beds"]:
        known = bed.get("status") != "unknown" and bed.get("reported_at")
        age = _age_seconds(bed.get("reported_at"), now) if known else None
        rows.append({**bed, "age_seconds": age,
                     "freshness": ranking.freshness(age, settings.fresh_hours, settings.stale_hours)})
    return {**record, "beds": rows}

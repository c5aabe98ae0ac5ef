"""How many reporting facilities are fresh, aging or stale: the figure an operator watches.

A facility is judged by its oldest figure (the admin board's rule, docs/ranking.md): one
detox row 14 hours old makes the facility aging however fresh its other rows are. Read
with one grouped query, so a scrape of `/metrics` costs the same at 10 or 10,000
facilities' worth of rows.
"""
from sqlalchemy import func, select

from directory_service import ranking
from directory_service.availability.db import parse_iso, utcnow
from directory_service.availability.schema import bed_reports

_known = (bed_reports.c.status != "unknown") & bed_reports.c.reported_at.isnot(None)
OLDEST_BY_FACILITY = (
    select(bed_reports.c.facility_id,
           func.min(bed_reports.c.reported_at).filter(_known))
    .group_by(bed_reports.c.facility_id))


def freshness_counts(adb, settings, now=None):
    """{"fresh": n, "aging": n, "stale": n, "unknown": n} over facilities with live rows."""
    now = now or utcnow()
    counts = {"fresh": 0, "aging": 0, "stale": 0, "unknown": 0}
    with adb.read() as db:
        for _facility, oldest in db.execute(OLDEST_BY_FACILITY):
            age = None if oldest is None else (now - parse_iso(oldest)).total_seconds()
            counts[ranking.freshness(age, settings.fresh_hours, settings.stale_hours)] += 1
    return counts

"""Open beds as search shows them: available minus active holds, per level of care.

Shared by the embedded store's overlay, the API and the Elasticsearch store (which calls
`current_figures` before an alias swap). Unknown stays unknown: a level whose rows are all
unknown is `open: None`, never 0.
"""
from sqlalchemy import select, union

from directory_service.availability import reports
from directory_service.availability.db import AvailabilityDB, utcnow
from directory_service.availability.schema import bed_reports, facility_profiles, \
    record_verifications

# Facilities whose indexed documents need live state applied: bed rows, a profile, or a
# verification date (Elasticsearch applies them before an alias swap).
LIVE_FACILITIES = union(select(bed_reports.c.facility_id),
                        select(facility_profiles.c.facility_id),
                        select(record_verifications.c.record_id))


def row_open(row):
    """Open beds of one row net of holds: None when unknown, 0 when full or closed."""
    if row.get("status") == "unknown" or row.get("reported_at") is None:
        return None
    if row.get("status") in ("full", "closed"):
        return 0
    return max(0, (row.get("available") or 0) - (row.get("held") or 0))


def merge_rows(indexed_beds, live):
    """Live rows over indexed rows, matched by (level of care, population)."""
    key = (lambda r: (r["level_of_care"], r.get("population") or "adult_any"))
    merged = {key(r): dict(r) for r in indexed_beds or ()}
    for row in live:
        merged[key(row)] = {**row, "open": row_open(row), "source": "live"}
    return list(merged.values())


def level_figures(rows):
    """{level: {"open": int|None, "reported_at": oldest iso|None}}, summed over populations."""
    out = {}
    for row in rows:
        level = row["level_of_care"]
        figure = out.setdefault(level, {"open": None, "reported_at": None})
        beds = row_open(row)
        if beds is None:
            continue
        figure["open"] = (figure["open"] or 0) + beds
        # The oldest report is the one the sum can be trusted no further than.
        if figure["reported_at"] is None or row["reported_at"] < figure["reported_at"]:
            figure["reported_at"] = row["reported_at"]
    return out


def facility_figures(adb, facility_id, now=None):
    return level_figures(reports.live_rows(adb.read(), facility_id, now))


def current_figures(settings, now=None):
    """{facility_id: live bed rows (with `held`)} for every facility reported live.

    The Elasticsearch writer applies these before an alias swap; rows rather than sums, so
    the index keeps beds apart by population as the embedded store does.
    """
    adb = AvailabilityDB.from_settings(settings)
    try:
        now = now or utcnow()
        with adb.read() as db:
            ids = [r[0] for r in db.execute(LIVE_FACILITIES)]
            return {fid: reports.live_rows(db, fid, now) for fid in ids}
    finally:
        adb.close()

"""Freshness over time: at each nudge time, how many facilities were fresh, aging, stale
or never reported, by freshness_bands' rule (a facility is as old as its oldest figure).

The job runner calls `record_freshness(app, now)` at the nudge times; outcomes read the
snapshots back as shares. A snapshot is kept per moment, so a repeated run at the same
second replaces it instead of counting twice.
"""
from sqlalchemy import select

from directory_service.availability.db import iso, upsert
from directory_service.availability.freshness_bands import freshness_counts
from directory_service.availability.schema import outcomes_freshness

F = outcomes_freshness.c
BANDS = ("fresh", "aging", "stale", "unreported")


def record_freshness(app, now):
    """Take one snapshot at `now`; returns its counts (facilities, fresh, aging, stale,
    unreported). Facilities are those with live bed rows in the availability database."""
    adb, settings = app.extensions["availability"], app.config["SETTINGS"]
    counts = freshness_counts(adb, settings, now)
    row = {"fresh": counts["fresh"], "aging": counts["aging"], "stale": counts["stale"],
           "unreported": counts["unknown"]}
    row["facilities"] = sum(row.values())
    with adb.write() as db:
        upsert(db, outcomes_freshness, {"taken_at": iso(now), **row}, ["taken_at"])
    return row


def shares(row):
    """A snapshot with each band's share of the facilities (0–1, three decimals)."""
    total = row["facilities"]
    return {"taken_at": row["taken_at"], "facilities": total,
            **{band: row[band] for band in BANDS},
            **{f"{band}_share": round(row[band] / total, 3) if total else None
               for band in BANDS}}


def series(db, start_iso, end_iso):
    """The snapshots taken in [start, end), oldest first, with shares."""
    rows = db.execute(select(outcomes_freshness).where(
        F.taken_at >= start_iso, F.taken_at < end_iso).order_by(F.taken_at)).mappings()
    return [shares(row) for row in rows]

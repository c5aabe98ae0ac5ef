"""Hold figures per ISO week, facility or coach group, computed from the holds table.

A hold belongs to the period it was placed in (`created_at`, UTC) and is judged as it
stands at `now`: an active hold past its expiry counts as expired, as holds.py reads it.
Medians and 90th percentiles are computed here rather than in SQL, so the same numbers
come out of SQLite and PostgreSQL (which do not share a percentile function).
"""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from directory_service.availability import hold_reasons
from directory_service.availability.db import iso, parse_iso, utcnow
from directory_service.availability.schema import api_keys, holds
from directory_service.outcomes import openings
from directory_service.outcomes.freshness import series
from directory_service.outcomes.timing import minutes_between, summary

GROUP_BYS = ("week", "facility", "coach_group")
# Why a hold ended without an admission (other than expiry).
REASONS = ("facility_declined", "coach_cancelled", "fewer_beds_reported", "bed_gone",
           "released_other")
H = holds.c
# Only what a figure needs: never the note, never the coach's key id beyond the join.
HOLD_ROWS = (select(H.id, H.facility_id, H.level_of_care, H.population, H.created_at,
                    H.expires_at, H.state, H.decided_at, H.reason,
                    api_keys.c.coach_group)
             .select_from(holds.outerjoin(api_keys, api_keys.c.id == H.coach_key_id)))


def window(first_day, last_day):
    """[start, end) in UTC of whole days from `first_day` to `last_day` inclusive."""
    start = datetime.combine(first_day, time(0), tzinfo=timezone.utc)
    return start, datetime.combine(last_day, time(0), tzinfo=timezone.utc) + timedelta(days=1)


def outcome(row, now):
    """("confirmed" | "expired" | "active" | one of REASONS) for a hold at `now`."""
    state = row["state"]
    if state == "active":
        return "expired" if row["expires_at"] <= iso(now) else "active"
    if state == "declined":
        return "facility_declined"
    if state == "cancelled":
        return "coach_cancelled"
    if state == "released":
        kind = (hold_reasons.parse(row["reason"]) or {}).get("kind")
        return {"fewer_than_held": "fewer_beds_reported", "bed_gone": "bed_gone"}.get(
            kind, "released_other")
    return state  # confirmed, expired


def figures(rows, opened, now):
    """The figures of a list of holds; `opened` maps hold id → minutes since opening."""
    counts = {"placed": len(rows), "confirmed": 0, "expired": 0, "active": 0}
    reasons = dict.fromkeys(REASONS, 0)
    decided = []
    for row in rows:
        ended = outcome(row, now)
        if ended in reasons:
            reasons[ended] += 1
        else:
            counts[ended] += 1
        if ended == "confirmed" or ended in reasons:
            decided.append(minutes_between(row["created_at"], row["decided_at"]))
    return {**counts, "declined": sum(reasons.values()), "declined_by_reason": reasons,
            "decision_minutes": summary(decided),
            "opening_to_hold_minutes": summary(
                [opened[r["id"]] for r in rows if r["id"] in opened])}


def iso_week(created_at):
    year, week, _ = parse_iso(created_at).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(start, end):
    """Every ISO week that [start, end) touches, in order: empty weeks are figures too."""
    labels, day = [], start
    while day < end:
        label = iso_week(iso(day))
        if label not in labels:
            labels.append(label)
        day += timedelta(days=1)
    return labels


def _group_of(row, group_by):
    if group_by == "week":
        return iso_week(row["created_at"])
    if group_by == "facility":
        return row["facility_id"]
    return row["coach_group"]


def _sort_key(label):
    return (label is None, label or "")


def compute(adb, start, end, group_by="week", now=None):
    """Outcomes of the holds placed in [start, end) (aware datetimes), grouped by
    `group_by`, with the freshness snapshots taken in the same window."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BYS)}")
    now = now or utcnow()
    with adb.read() as db:
        rows = [dict(r) for r in db.execute(
            HOLD_ROWS.where(H.created_at >= iso(start), H.created_at < iso(end))
            .order_by(H.created_at, H.created_seq)).mappings()]
        opened = openings.minutes_since_opening(db, rows, iso(start), iso(end))
        snapshots = series(db, iso(start), iso(end))
    grouped = {label: [] for label in (weeks_between(start, end) if group_by == "week"
                                       else ())}
    for row in rows:
        grouped.setdefault(_group_of(row, group_by), []).append(row)
    labels = grouped if group_by == "week" else sorted(grouped, key=_sort_key)
    return {"from": iso(start), "to": iso(end), "group_by": group_by, "as_of": iso(now),
            "totals": figures(rows, opened, now),
            "groups": [{"group": label, **figures(grouped[label], opened, now)}
                       for label in labels],
            "freshness": snapshots}

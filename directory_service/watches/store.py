"""Watches in the availability database: save, list, cancel, and the beds seen open.

A watch holds only the parameters of a match (level, payer, gender, age, ...), the origin
as a point rounded to about 100 m and the place's label when it names a ZIP code, city or
county: never the place as typed (it may be a street address), a name or a note.
"""
import base64
import json
import secrets
from datetime import timedelta

from sqlalchemy import and_, case, delete, func, insert, select, update

from directory_service.availability.db import iso, lock, upsert
from directory_service.availability.schema import (
    watch_checks, watch_fires, watch_open_beds, watches)

W, B, F = watches.c, watch_open_beds.c, watch_fires.c
# Origin decimals kept: about 110 m, close enough for a distance limit in miles.
ORIGIN_DECIMALS = 3
# Needs a watch keeps: the match's parameters without the place as typed or the page size.
DROPPED = ("near", "limit", "include_fallbacks")
# Ended watches stay listed (with what fired) this long, then go.
KEEP_ENDED = timedelta(hours=24)
STATES = ("active", "expired", "cancelled")


def saved_needs(needs, origin):
    """The needs to keep: the loaded MatchBody without `near`, at the rounded origin."""
    kept = {k: v for k, v in needs.items() if k not in DROPPED}
    kept["lat"] = round(origin.lat, ORIGIN_DECIMALS)
    kept["lon"] = round(origin.lon, ORIGIN_DECIMALS)
    return kept


def webhook_secret():
    """A Standard Webhooks signing secret ("whsec_" and base64 of 24 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WatchLimit(Exception):
    """The key already has its maximum of running watches (HTTP 429)."""

    def __init__(self, active, limit, next_expiry):
        super().__init__(f"this key already has {active} running watches (at most {limit}); "
                         "cancel one that is no longer needed, or wait until one ends")
        self.active, self.limit, self.next_expiry = active, limit, next_expiry


def create(adb, coach_key_id, needs, place, hours, now, notify=None, notify_to=None,
           open_rows=(), max_active=None, email_language=None):
    """Save a watch; `open_rows` are the (facility, level, population) rows open for its
    needs right now, so only a bed that opens later fires. Returns the watch (with the
    webhook secret, shown this once). Raises WatchLimit when the key already has
    `max_active` running watches (None: no cap)."""
    watch = {"id": "w_" + secrets.token_hex(8), "coach_key_id": coach_key_id,
             "needs": json.dumps(needs, sort_keys=True), "place": place,
             "created_at": iso(now), "expires_at": iso(now + timedelta(hours=hours)),
             "state": "active", "ended_at": None, "notify": notify, "notify_to": notify_to,
             "secret": webhook_secret() if notify == "webhook" else None,
             "email_language": email_language}
    with adb.write() as db:
        if max_active is not None:
            # One key's count and insert serialised (PostgreSQL; SQLite's write lock does it).
            lock(db, f"watches:{coach_key_id}")
            active, next_expiry = db.execute(
                select(func.count(), func.min(W.expires_at)).where(
                    W.coach_key_id == coach_key_id, W.state == "active",
                    W.expires_at > iso(now))).one()
            if active >= max_active:
                raise WatchLimit(active, max_active, next_expiry)
        db.execute(insert(watches).values(**watch))
        for facility_id, level, population in sorted(set(open_rows)):
            db.execute(insert(watch_open_beds).values(
                watch_id=watch["id"], facility_id=facility_id, level_of_care=level,
                population=population, since=iso(now)))
    return public(watch, now, show_secret=True)


def public(row, now, show_secret=False, fires=()):
    """A watch as the API shows it: its needs as data, its state at `now`."""
    watch = dict(row)
    watch["needs"] = json.loads(watch["needs"])
    if watch["state"] == "active" and watch["expires_at"] <= iso(now):
        watch["state"] = "expired"
    secret = watch.pop("secret", None)
    if show_secret and secret:
        watch["secret"] = secret
    watch["fires"] = list(fires)
    return watch


def _fires_of(db, watch_ids):
    found = {}
    if watch_ids:
        query = (select(watch_fires).where(F.watch_id.in_(watch_ids)).order_by(F.seq.desc()))
        for row in db.execute(query).mappings():
            found.setdefault(row["watch_id"], []).append(dict(row))
    return found


def for_coach(adb, coach_key_id, now):
    """The key's watches: active first (soonest expiry first), then ended, newest first."""
    live = case((and_(W.state == "active", W.expires_at > iso(now)), 1), else_=0)
    query = (select(watches).where(W.coach_key_id == coach_key_id)
             .order_by(live.desc(), case((live == 1, W.expires_at)), W.created_at.desc()))
    with adb.read() as db:
        rows = [dict(r) for r in db.execute(query).mappings()]
        fires = _fires_of(db, [r["id"] for r in rows])
    return [public(r, now, fires=fires.get(r["id"], ())) for r in rows]


def get(adb, watch_id, coach_key_id, now):
    """The key's watch `watch_id`, or None (another key's watch is not found either)."""
    with adb.read() as db:
        row = db.execute(select(watches).where(W.id == watch_id,
                                               W.coach_key_id == coach_key_id)).mappings().first()
        if row is None:
            return None
        return public(row, now, fires=_fires_of(db, [watch_id]).get(watch_id, ()))


def cancel(adb, watch_id, coach_key_id, now):
    """End the key's watch now (an ended one stays as it was); None when not theirs."""
    with adb.write() as db:
        db.execute(update(watches).where(
            W.id == watch_id, W.coach_key_id == coach_key_id, W.state == "active",
            W.expires_at > iso(now)).values(state="cancelled", ended_at=iso(now)))
        db.execute(delete(watch_open_beds).where(B.watch_id.in_(select(W.id).where(
            W.id == watch_id, W.coach_key_id == coach_key_id, W.state == "cancelled"))))
    return get(adb, watch_id, coach_key_id, now)


def active(db, now):
    """Every watch still running at `now`, as rows with their needs decoded."""
    query = select(watches).where(W.state == "active", W.expires_at > iso(now)).order_by(W.id)
    return [{**dict(r), "needs": json.loads(r["needs"])} for r in db.execute(query).mappings()]


def seen_open(db, watch_id, facility_ids):
    """{(facility, level, population)} the watch last saw open at these facilities."""
    query = select(B.facility_id, B.level_of_care, B.population).where(
        B.watch_id == watch_id, B.facility_id.in_(sorted(facility_ids)))
    return {tuple(r) for r in db.execute(query)}


def record(db, watch_id, opened, closed, now):
    """Remember what is open now: `opened` {(facility, level, population): open} fire
    (returned with their fire ids), `closed` rows are forgotten so a reopening fires again."""
    for facility_id, level, population in closed:
        db.execute(delete(watch_open_beds).where(
            B.watch_id == watch_id, B.facility_id == facility_id,
            B.level_of_care == level, B.population == population))
    fired = []
    for (facility_id, level, population), count in sorted(opened.items()):
        db.execute(insert(watch_open_beds).values(
            watch_id=watch_id, facility_id=facility_id, level_of_care=level,
            population=population, since=iso(now)))
        fire = {"watch_id": watch_id, "facility_id": facility_id, "level_of_care": level,
                "population": population, "open": count, "fired_at": iso(now)}
        fire["seq"] = db.execute(insert(watch_fires).values(**fire)).inserted_primary_key[0]
        fired.append(fire)
    return fired


def mark_notified(adb, seq, outcome):
    with adb.write() as db:
        db.execute(update(watch_fires).where(F.seq == seq).values(notified=outcome))


def fires_after(adb, coach_key_id, after_seq, limit=50):
    """The key's fires after `after_seq`, oldest first (the live page's stream)."""
    query = (select(watch_fires).join(watches, W.id == F.watch_id)
             .where(W.coach_key_id == coach_key_id, F.seq > after_seq)
             .order_by(F.seq).limit(limit))
    with adb.read() as db:
        return [dict(r) for r in db.execute(query).mappings()]


def last_fire(adb, coach_key_id):
    """The key's newest fire number (0 before any): where a page's stream starts."""
    query = (select(func.coalesce(func.max(F.seq), 0)).join(watches, W.id == F.watch_id)
             .where(W.coach_key_id == coach_key_id))
    with adb.read() as db:
        return db.execute(query).scalar()


def clock(db):
    """(when the check last ran or None, {facility: when it last changed} to look at again)."""
    row = db.execute(select(watch_checks.c.checked_at, watch_checks.c.recheck)
                     .where(watch_checks.c.id == 1)).first()
    return (row[0], json.loads(row[1])) if row else (None, {})


def set_clock(db, now, recheck):
    upsert(db, watch_checks, {"id": 1, "checked_at": iso(now),
                              "recheck": json.dumps(recheck, sort_keys=True)}, ["id"])


def prune(db, now):
    """End watches past their expiry (their open rows go) and delete those ended more than
    KEEP_ENDED ago with their fires; returns how many watches were deleted."""
    stamp = iso(now)
    db.execute(update(watches).where(W.state == "active", W.expires_at <= stamp)
               .values(state="expired", ended_at=W.expires_at))
    ended = select(W.id).where(W.state != "active")
    db.execute(delete(watch_open_beds).where(B.watch_id.in_(ended)))
    cutoff = iso(now - KEEP_ENDED)
    old = select(W.id).where(W.state != "active", W.ended_at <= cutoff)
    db.execute(delete(watch_fires).where(F.watch_id.in_(old)))
    return db.execute(delete(watches).where(W.state != "active", W.ended_at <= cutoff)).rowcount

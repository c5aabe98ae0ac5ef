"""Holds: a coach keeps an open bed for a person on their way (DESIGN §6).

An active hold counts against open beds until it expires; expiry needs no worker, because
every count only includes holds whose `expires_at` is still ahead, and a hold found past
its time is marked expired when next touched. Check and insert run in one write
transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: under the facility's and the key's
advisory locks, db.lock), so the last bed can be held once however many coaches, on
however many API nodes, race for it.

A coach key may have at most `hold_max_active_per_key` active holds, so one key cannot
take every bed. When the facility reports fewer open beds than there are active holds, the
newest holds beyond the open count are released with a reason (reports.release_beyond);
a released hold cannot be confirmed, because the bed it promised is gone.
"""
import secrets
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select

from directory_service.availability import events, figures, hold_reasons, reports
from directory_service.availability.db import add_event, iso, lock, mark_changed, parse_iso, utcnow
from directory_service.availability.schema import bed_reports, holds

STATES = ("active", "confirmed", "declined", "cancelled", "expired", "released")
H = holds.c
# Internal ordering only, never shown.
HIDDEN = ("live", "created_seq")


def coach_lock(coach_key_id):
    """The advisory lock name that serialises one key's hold cap check (db.lock)."""
    return f"coach:{coach_key_id}"


def _live(now):
    return and_(H.state == "active", H.expires_at > iso(now))


def _state_filter(state, now):
    """The WHERE clause of `?state=`: active and expired are read from the clock too."""
    if state is None:
        return None
    if state == "active":
        return _live(now)
    if state == "expired":
        return or_(and_(H.state == "active", H.expires_at <= iso(now)), H.state == "expired")
    return H.state == state


def _select_hold(db, hold_id):
    return db.execute(select(holds).where(H.id == hold_id)).mappings().first()


def _set_state(db, hold_id, state, decided_at, reason):
    db.execute(holds.update().where(H.id == hold_id).values(
        state=state, decided_at=decided_at, reason=reason))


def _bed_row(db, facility_id, level, population):
    r = bed_reports.c
    return db.execute(select(bed_reports).where(
        r.facility_id == facility_id, r.level_of_care == level,
        r.population == population)).mappings().first()


class HoldRefused(Exception):
    """No hold can be placed now (HTTP 409): no open bed left, or availability unknown."""


class HoldLimit(Exception):
    """The coach key already has its maximum of active holds (HTTP 429)."""

    def __init__(self, active, limit, next_expiry):
        super().__init__(f"this key already has {active} active holds (at most {limit}); "
                         f"cancel one that is no longer needed, or wait until one expires")
        self.active, self.limit, self.next_expiry = active, limit, next_expiry


class PopulationNeeded(ValueError):
    """The level has several population rows and the request named none (HTTP 422)."""

    def __init__(self, message, choices):
        super().__init__(message)
        self.choices = choices


class HoldConflict(Exception):
    """The hold is no longer active, so it cannot be confirmed, declined or cancelled."""


def _public(row, now):
    hold = {k: row[k] for k in row.keys() if k not in HIDDEN}
    if hold["state"] == "active" and hold["expires_at"] <= iso(now):
        hold["state"] = "expired"
    return hold


def get(adb, hold_id, now=None):
    row = _select_hold(adb.read(), hold_id)
    return _public(row, now or utcnow()) if row else None


def active_for(adb, facility_id, now=None):
    now = now or utcnow()
    query = (select(holds).where(H.facility_id == facility_id, _live(now))
             .order_by(H.expires_at, H.id))
    return [_public(r, now) for r in adb.read().execute(query).mappings()]


def for_coach(adb, coach_key_id, page, per_page, state=None, now=None):
    """(total, holds) made with one key: active first, then the rest, newest first."""
    now = now or utcnow()
    where = [H.coach_key_id == coach_key_id]
    if (chosen := _state_filter(state, now)) is not None:
        where.append(chosen)
    live = case((_live(now), 1), else_=0)
    # The active ones first (soonest expiry first), then the rest newest first.
    query = (select(holds, live.label("live")).where(*where)
             .order_by(live.desc(), case((_live(now), H.expires_at)),
                       func.coalesce(H.decided_at, H.expires_at).desc(), H.created_seq.desc())
             .limit(per_page).offset((page - 1) * per_page))
    with adb.read() as db:
        total = db.execute(select(func.count()).select_from(holds).where(*where)).scalar()
        return total, [_public(r, now) for r in db.execute(query).mappings()]


def _population(rows, level, population):
    at_level = sorted(r["population"] for r in rows if r["level_of_care"] == level)
    if population is None:
        if len(at_level) == 1:
            return at_level[0]
        raise PopulationNeeded(f"{level} has beds for several populations; name one",
                               at_level)
    if population not in at_level:
        raise PopulationNeeded(f"no {level} beds are listed for population {population!r}",
                               at_level)
    return population


def create(adb, facility_id, level, population, coach_key_id, note, minutes, indexed_beds,
           now=None, max_active=None):
    """Hold one bed; returns the hold. Raises HoldRefused when none is open, HoldLimit
    when the key already has `max_active` active holds (None: no cap, e.g. admins)."""
    now = now or utcnow()
    with adb.write() as db:
        lock(db, coach_lock(coach_key_id), reports.facility_lock(facility_id))
        if max_active is not None:
            active, next_expiry = db.execute(
                select(func.count(), func.min(H.expires_at))
                .where(H.coach_key_id == coach_key_id, _live(now))).one()
            if active >= max_active:
                raise HoldLimit(active, max_active, next_expiry)
        reports.ensure_baseline(db, facility_id, indexed_beds, now)
        rows = reports.live_rows(db, facility_id, now)
        population = _population(rows, level, population)
        row = next(r for r in rows if (r["level_of_care"], r["population"]) == (level, population))
        beds = figures.row_open(row)
        if beds is None:
            raise HoldRefused(f"{level} beds for {population} are not reported; call intake")
        if beds <= 0:
            raise HoldRefused(
                f"no open {level} bed for {population} is left to hold ({row['available'] or 0} "
                f"available, {row['held']} already held); try another facility")
        hold_id = "h_" + secrets.token_hex(8)
        # Under the facility and key locks, so increasing wherever the order is read.
        created_seq = select(func.coalesce(func.max(H.created_seq), 0) + 1).scalar_subquery()
        db.execute(holds.insert().values(
            id=hold_id, facility_id=facility_id, level_of_care=level, population=population,
            coach_key_id=coach_key_id, note=note, created_at=iso(now),
            expires_at=iso(now + timedelta(minutes=minutes)), state="active",
            created_seq=created_seq))
        made = _select_hold(db, hold_id)
        mark_changed(db, facility_id, events.HOLD_CREATED, events.hold(made))
        return _public(made, now)


def decide(adb, hold_id, state, decided_by, now=None):
    """Move an active hold to confirmed, declined or cancelled; returns the hold.

    Confirming turns the hold into an admission: the row's `available` drops by one, the
    facility's version moves on, and the history records it. A hold whose row no longer
    has an open bed (the facility reported it full or closed) is released, not confirmed.
    """
    now = now or utcnow()
    refusal = None
    with adb.write() as db:
        row = _select_hold(db, hold_id)
        if row is None:
            return None
        # Lock the facility, then read the hold again: a decision made meanwhile shows.
        lock(db, reports.facility_lock(row["facility_id"]))
        row = _select_hold(db, hold_id)
        hold = _public(row, now)
        if hold["state"] == "expired" and row["state"] == "active":
            _expire(db, row)
            refusal = hold_reasons.expired(hold_id, hold["expires_at"])
        elif hold["state"] != "active":
            refusal = hold_reasons.already(hold_id, hold["state"], hold.get("reason"))
        elif state == "confirmed" and (gone := _bed_gone(db, hold)):
            _set_state(db, hold_id, "released", iso(now), gone)
            mark_changed(db, hold["facility_id"], events.HOLD_DECIDED,
                         events.hold(_select_hold(db, hold_id)))
            refusal = hold_reasons.not_confirmed(hold_id, gone)
        else:
            _set_state(db, hold_id, state, iso(now), None)
            admitted = _admit(db, hold, decided_by, now) if state == "confirmed" else None
            decided = _select_hold(db, hold_id)
            mark_changed(db, hold["facility_id"], events.HOLD_DECIDED, events.hold(decided))
            if admitted is not None:
                add_event(db, hold["facility_id"], events.BEDS_UPDATED, events.beds(
                    hold["facility_id"], admitted[0], [admitted[1]], "admission"))
            return _public(decided, now)
    raise HoldConflict(refusal)


def _expire(db, row):
    """Mark a hold past its time expired, and record hold.expired (once: only an active
    row is ever expired)."""
    _set_state(db, row["id"], "expired", row["expires_at"], None)
    mark_changed(db, row["facility_id"], events.HOLD_EXPIRED,
                 events.hold(row, state="expired", decided_at=row["expires_at"]))


def expire_due(adb, now=None, limit=500):
    """Mark holds whose time has passed expired, each with its hold.expired event; returns
    how many. Expiry needs no write to take effect (every count reads the clock), so this
    only tells the outbox, and does it once per hold (the webhooks dispatch runs it)."""
    now = now or utcnow()
    due = adb.read().execute(select(H.id, H.facility_id).where(
        H.state == "active", H.expires_at <= iso(now)).order_by(H.expires_at).limit(limit))
    done = 0
    for hold_id, facility_id in due:
        # One transaction per hold, so the lock order (facility, then changes) holds.
        with adb.write() as db:
            lock(db, reports.facility_lock(facility_id))
            row = _select_hold(db, hold_id)
            if row["state"] == "active" and row["expires_at"] <= iso(now):
                _expire(db, row)
                done += 1
    return done


def _bed_gone(db, hold):
    """Why the bed a hold promised no longer exists, or None while it does."""
    row = _bed_row(db, hold["facility_id"], hold["level_of_care"], hold["population"])
    if row is None or row["status"] == "unknown":
        return None  # nothing known says the bed is gone; the facility admits as it sees fit
    if row["status"] in ("full", "closed") or (row["available"] or 0) <= 0:
        return hold_reasons.bed_gone(hold["level_of_care"], hold["population"], row["status"],
                                     row["available"], row["reported_at"])
    return None


def _admit(db, hold, decided_by, now):
    """Record the admission; the count drops only on a row known to be open."""
    fid = hold["facility_id"]
    version = reports.bump_version(db, fid)
    level, population = hold["level_of_care"], hold["population"]
    row = _bed_row(db, fid, level, population)
    if row is not None and row["status"] == "open":
        r = bed_reports.c
        db.execute(bed_reports.update().where(
            r.facility_id == fid, r.level_of_care == level, r.population == population
        ).values(available=r.available - 1,
                 status=case((r.available - 1 <= 0, "full"), else_=r.status),
                 reported_at=iso(now), reported_by=decided_by, version=version))
        row = _bed_row(db, fid, level, population)
    entry = dict(row) if row is not None else {
        "level_of_care": hold["level_of_care"], "population": hold["population"],
        "status": "unknown"}
    entry["note"] = f"admission from hold {hold['id']}"
    reports.append_history(db, fid, "admission", entry, version, now)
    return version, entry


def seconds_until(moment_iso, now=None):
    """Whole seconds from now until an ISO moment (at least 1), for Retry-After."""
    if moment_iso is None:
        return 60
    delta = parse_iso(moment_iso) - (now or utcnow())
    return max(1, int(delta.total_seconds()) + 1)

"""Holds: a coach keeps an open bed for a person on their way (DESIGN §6).

An active hold counts against open beds until it expires; expiry needs no worker, because
every count only includes holds whose `expires_at` is still ahead, and a hold found past
its time is marked expired when next touched. Check and insert run in one `BEGIN
IMMEDIATE` transaction, so the last bed can be held once however many coaches race for it.

A coach key may have at most `hold_max_active_per_key` active holds, so one key cannot
take every bed. When the facility reports fewer open beds than there are active holds, the
newest holds beyond the open count are released with a reason (reports.release_beyond);
a released hold cannot be confirmed, because the bed it promised is gone.
"""
import secrets
from datetime import timedelta

from directory_service.availability import figures, reports
from directory_service.availability.db import iso, mark_changed, parse_iso, utcnow

STATES = ("active", "confirmed", "declined", "cancelled", "expired", "released")
INSERT_HOLD = """
INSERT INTO holds (id, facility_id, level_of_care, population, coach_key_id, note,
                   created_at, expires_at, state)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')
"""
SELECT_HOLD = "SELECT * FROM holds WHERE id = ?"
LIST_ACTIVE = ("SELECT * FROM holds WHERE facility_id = ? AND state = 'active' "
               "AND expires_at > ? ORDER BY expires_at, id")
COACH_ACTIVE = ("SELECT COUNT(*), MIN(expires_at) FROM holds WHERE coach_key_id = ? "
                "AND state = 'active' AND expires_at > ?")
# A coach's holds: the active ones first (soonest expiry first), then the rest newest first.
COACH_HOLDS = """
SELECT *, (state = 'active' AND expires_at > :now) AS live FROM holds
WHERE coach_key_id = :coach {state_filter}
ORDER BY live DESC, CASE WHEN live THEN expires_at END, COALESCE(decided_at, expires_at) DESC,
         rowid DESC
LIMIT :limit OFFSET :offset
"""
COACH_COUNT = "SELECT COUNT(*) FROM holds WHERE coach_key_id = :coach {state_filter}"
STATE_FILTERS = {
    None: "",
    "active": "AND state = 'active' AND expires_at > :now",
    "expired": "AND ((state = 'active' AND expires_at <= :now) OR state = 'expired')",
}
SET_STATE = "UPDATE holds SET state = ?, decided_at = ?, reason = ? WHERE id = ?"
ADMIT = """
UPDATE bed_reports
SET available = available - 1,
    status = CASE WHEN available - 1 <= 0 THEN 'full' ELSE status END,
    reported_at = :now, reported_by = :by, version = :version
WHERE facility_id = :facility_id AND level_of_care = :level AND population = :population
"""
SELECT_ROW = ("SELECT * FROM bed_reports WHERE facility_id = ? AND level_of_care = ? "
              "AND population = ?")


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
    hold = {k: row[k] for k in row.keys() if k != "live"}
    if hold["state"] == "active" and hold["expires_at"] <= iso(now):
        hold["state"] = "expired"
    return hold


def get(adb, hold_id, now=None):
    row = adb.read().execute(SELECT_HOLD, (hold_id,)).fetchone()
    return _public(row, now or utcnow()) if row else None


def active_for(adb, facility_id, now=None):
    now = now or utcnow()
    return [_public(r, now) for r in adb.read().execute(LIST_ACTIVE, (facility_id, iso(now)))]


def for_coach(adb, coach_key_id, page, per_page, state=None, now=None):
    """(total, holds) made with one key: active first, then the rest, newest first."""
    now = now or utcnow()
    args = {"coach": coach_key_id, "now": iso(now), "limit": per_page,
            "offset": (page - 1) * per_page, "state": state}
    state_filter = STATE_FILTERS.get(state, "AND state = :state")
    db = adb.read()
    total = db.execute(COACH_COUNT.format(state_filter=state_filter), args).fetchone()[0]
    rows = db.execute(COACH_HOLDS.format(state_filter=state_filter), args)
    return total, [_public(r, now) for r in rows]


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
        if max_active is not None:
            active, next_expiry = db.execute(COACH_ACTIVE, (coach_key_id, iso(now))).fetchone()
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
        db.execute(INSERT_HOLD, (hold_id, facility_id, level, population, coach_key_id, note,
                                 iso(now), iso(now + timedelta(minutes=minutes))))
        mark_changed(db, facility_id)
        return _public(db.execute(SELECT_HOLD, (hold_id,)).fetchone(), now)


def decide(adb, hold_id, state, decided_by, now=None):
    """Move an active hold to confirmed, declined or cancelled; returns the hold.

    Confirming turns the hold into an admission: the row's `available` drops by one, the
    facility's version moves on, and the history records it. A hold whose row no longer
    has an open bed (the facility reported it full or closed) is released, not confirmed.
    """
    now = now or utcnow()
    refusal = None
    with adb.write() as db:
        row = db.execute(SELECT_HOLD, (hold_id,)).fetchone()
        if row is None:
            return None
        hold = _public(row, now)
        if hold["state"] == "expired" and row["state"] == "active":
            db.execute(SET_STATE, ("expired", hold["expires_at"], None, hold_id))
            mark_changed(db, hold["facility_id"])
            refusal = f"hold {hold_id} expired at {hold['expires_at']}"
        elif hold["state"] != "active":
            refusal = f"hold {hold_id} is already {hold['state']}" + (
                f" ({hold['reason']})" if hold.get("reason") else "")
        elif state == "confirmed" and (gone := _bed_gone(db, hold)):
            db.execute(SET_STATE, ("released", iso(now), gone, hold_id))
            mark_changed(db, hold["facility_id"])
            refusal = f"hold {hold_id} cannot be confirmed: {gone}"
        else:
            db.execute(SET_STATE, (state, iso(now), None, hold_id))
            if state == "confirmed":
                _admit(db, hold, decided_by, now)
            mark_changed(db, hold["facility_id"])
            return _public(db.execute(SELECT_HOLD, (hold_id,)).fetchone(), now)
    raise HoldConflict(refusal)


def _bed_gone(db, hold):
    """Why the bed a hold promised no longer exists, or None while it does."""
    row = db.execute(SELECT_ROW, (hold["facility_id"], hold["level_of_care"],
                                  hold["population"])).fetchone()
    if row is None or row["status"] == "unknown":
        return None  # nothing known says the bed is gone; the facility admits as it sees fit
    if row["status"] in ("full", "closed") or (row["available"] or 0) <= 0:
        return (f"released: the facility reported no open {hold['level_of_care']} bed for "
                f"{hold['population']} ({row['status']}, {row['available'] or 0} available at "
                f"{row['reported_at']}); report the admission as a bed report instead")
    return None


def _admit(db, hold, decided_by, now):
    """Record the admission; the count drops only on a row known to be open."""
    fid = hold["facility_id"]
    version = reports.bump_version(db, fid)
    row = db.execute(SELECT_ROW, (fid, hold["level_of_care"], hold["population"])).fetchone()
    if row is not None and row["status"] == "open":
        db.execute(ADMIT, {"now": iso(now), "by": decided_by, "version": version,
                           "facility_id": fid, "level": hold["level_of_care"],
                           "population": hold["population"]})
        row = db.execute(SELECT_ROW, (fid, hold["level_of_care"], hold["population"])).fetchone()
    entry = dict(row) if row is not None else {
        "level_of_care": hold["level_of_care"], "population": hold["population"],
        "status": "unknown"}
    entry["note"] = f"admission from hold {hold['id']}"
    reports.append_history(db, fid, "admission", entry, version, now)


def seconds_until(moment_iso, now=None):
    """Whole seconds from now until an ISO moment (at least 1), for Retry-After."""
    if moment_iso is None:
        return 60
    delta = parse_iso(moment_iso) - (now or utcnow())
    return max(1, int(delta.total_seconds()) + 1)

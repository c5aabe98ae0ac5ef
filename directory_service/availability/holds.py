"""Holds: a coach keeps an open bed for a person on their way (DESIGN §6).

An active hold counts against open beds until it expires; expiry needs no worker, because
every count only includes holds whose `expires_at` is still ahead, and a hold found past
its time is marked expired when next touched. Check and insert run in one `BEGIN
IMMEDIATE` transaction, so the last bed can be held once however many coaches race for it.
"""
import secrets
from datetime import timedelta

from directory_service.availability import figures, reports
from directory_service.availability.db import iso, mark_changed, utcnow

INSERT_HOLD = """
INSERT INTO holds (id, facility_id, level_of_care, population, coach_key_id, note,
                   created_at, expires_at, state)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')
"""
SELECT_HOLD = "SELECT * FROM holds WHERE id = ?"
LIST_ACTIVE = ("SELECT * FROM holds WHERE facility_id = ? AND state = 'active' "
               "AND expires_at > ? ORDER BY expires_at, id")
SET_STATE = "UPDATE holds SET state = ?, decided_at = ? WHERE id = ?"
ADMIT = """
UPDATE bed_reports
SET available = MAX(COALESCE(available, 0) - 1, 0),
    status = CASE WHEN COALESCE(available, 0) - 1 <= 0 THEN 'full' ELSE status END,
    reported_at = :now, reported_by = :by, version = :version
WHERE facility_id = :facility_id AND level_of_care = :level AND population = :population
"""
SELECT_ROW = ("SELECT * FROM bed_reports WHERE facility_id = ? AND level_of_care = ? "
              "AND population = ?")


class HoldRefused(Exception):
    """No hold can be placed now (HTTP 409): no open bed left, or availability unknown."""


class PopulationNeeded(ValueError):
    """The level has several population rows and the request named none (HTTP 422)."""

    def __init__(self, message, choices):
        super().__init__(message)
        self.choices = choices


class HoldConflict(Exception):
    """The hold is no longer active, so it cannot be confirmed, declined or cancelled."""


def _public(row, now):
    hold = dict(row)
    if hold["state"] == "active" and hold["expires_at"] <= iso(now):
        hold["state"] = "expired"
    return hold


def get(adb, hold_id, now=None):
    row = adb.read().execute(SELECT_HOLD, (hold_id,)).fetchone()
    return _public(row, now or utcnow()) if row else None


def active_for(adb, facility_id, now=None):
    now = now or utcnow()
    return [_public(r, now) for r in adb.read().execute(LIST_ACTIVE, (facility_id, iso(now)))]


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
           now=None):
    """Hold one bed; returns the hold. Raises HoldRefused when none is open."""
    now = now or utcnow()
    with adb.write() as db:
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
    facility's version moves on, and the history records it.
    """
    now = now or utcnow()
    expired = False
    with adb.write() as db:
        row = db.execute(SELECT_HOLD, (hold_id,)).fetchone()
        if row is None:
            return None
        hold = _public(row, now)
        if hold["state"] == "expired" and row["state"] == "active":
            db.execute(SET_STATE, ("expired", hold["expires_at"], hold_id))
            mark_changed(db, hold["facility_id"])
            expired = True
        elif hold["state"] == "active":
            db.execute(SET_STATE, (state, iso(now), hold_id))
            if state == "confirmed":
                _admit(db, hold, decided_by, now)
            mark_changed(db, hold["facility_id"])
            return _public(db.execute(SELECT_HOLD, (hold_id,)).fetchone(), now)
    if expired:
        raise HoldConflict(f"hold {hold_id} expired at {hold['expires_at']}")
    raise HoldConflict(f"hold {hold_id} is already {hold['state']}")


def _admit(db, hold, decided_by, now):
    fid = hold["facility_id"]
    version = reports.bump_version(db, fid)
    db.execute(ADMIT, {"now": iso(now), "by": decided_by, "version": version,
                       "facility_id": fid, "level": hold["level_of_care"],
                       "population": hold["population"]})
    row = dict(db.execute(SELECT_ROW, (fid, hold["level_of_care"], hold["population"])).fetchone())
    row["note"] = f"admission from hold {hold['id']}"
    reports.append_history(db, fid, "admission", row, version, now)

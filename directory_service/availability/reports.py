"""Bed reports: current rows per (level of care, population), an append-only history, and
optimistic concurrency by a per-facility version.

The first time a facility is touched live (a report or a hold), its indexed bed rows are
copied in as a "baseline", so from then on this database alone holds the facility's
complete figures (what `figures.current_figures` and the hold check rely on).
"""
from directory_service.availability.db import iso, mark_changed, utcnow

ROW_FIELDS = ("level_of_care", "population", "capacity", "available", "status",
              "reported_at", "reported_by", "note")
SELECT_VERSION = "SELECT version FROM facility_versions WHERE facility_id = ?"
SET_VERSION = """
INSERT INTO facility_versions (facility_id, version) VALUES (?, ?)
ON CONFLICT (facility_id) DO UPDATE SET version = excluded.version
"""
HAS_ROWS = "SELECT 1 FROM bed_reports WHERE facility_id = ? LIMIT 1"
UPSERT_ROW = """
INSERT INTO bed_reports (facility_id, level_of_care, population, capacity, available, status,
                         reported_at, reported_by, note, version)
VALUES (:facility_id, :level_of_care, :population, :capacity, :available, :status,
        :reported_at, :reported_by, :note, :version)
ON CONFLICT (facility_id, level_of_care, population) DO UPDATE SET
    capacity = excluded.capacity, available = excluded.available, status = excluded.status,
    reported_at = excluded.reported_at, reported_by = excluded.reported_by,
    note = excluded.note, version = excluded.version
"""
INSERT_HISTORY = """
INSERT INTO bed_history (facility_id, event, level_of_care, population, capacity, available,
                         status, reported_at, reported_by, note, version, recorded_at)
VALUES (:facility_id, :event, :level_of_care, :population, :capacity, :available, :status,
        :reported_at, :reported_by, :note, :version, :recorded_at)
"""
SELECT_ROWS = """
SELECT r.level_of_care, r.population, r.capacity, r.available, r.status, r.reported_at,
       r.reported_by, r.note,
       (SELECT COUNT(*) FROM holds AS h
         WHERE h.facility_id = r.facility_id AND h.level_of_care = r.level_of_care
           AND h.population = r.population AND h.state = 'active' AND h.expires_at > ?) AS held
FROM bed_reports AS r WHERE r.facility_id = ? ORDER BY r.level_of_care, r.population
"""
COUNT_HISTORY = "SELECT COUNT(*) FROM bed_history WHERE facility_id = ?"
PAGE_HISTORY = """
SELECT seq, event, level_of_care, population, capacity, available, status, reported_at,
       reported_by, note, version, recorded_at
FROM bed_history WHERE facility_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?
"""


class StaleVersion(Exception):
    """The writer's version is not the facility's current one (HTTP 412)."""

    def __init__(self, current):
        super().__init__(f"the facility's bed figures are at version {current}")
        self.current = current


def facility_version(db, facility_id):
    row = db.execute(SELECT_VERSION, (facility_id,)).fetchone()
    return row[0] if row else 0


def bump_version(db, facility_id):
    version = facility_version(db, facility_id) + 1
    db.execute(SET_VERSION, (facility_id, version))
    return version


def append_history(db, facility_id, event, row, version, now):
    db.execute(INSERT_HISTORY, {**{f: row.get(f) for f in ROW_FIELDS},
                                "facility_id": facility_id, "event": event,
                                "version": version, "recorded_at": iso(now)})


def ensure_baseline(db, facility_id, indexed_beds, now):
    """Copy the indexed rows in, once, before the facility's first live change."""
    if db.execute(HAS_ROWS, (facility_id,)).fetchone():
        return
    version = facility_version(db, facility_id)
    for bed in indexed_beds or ():
        row = {f: bed.get(f) for f in ROW_FIELDS}
        row["population"] = row["population"] or "adult_any"
        db.execute(UPSERT_ROW, {**row, "facility_id": facility_id, "version": version})
        append_history(db, facility_id, "baseline", row, version, now)


def apply_report(adb, facility_id, rows, reported_by, indexed_beds, expected_version=None,
                 now=None):
    """Write validated report rows in one transaction; returns the new version.

    Rows not named keep their figures. Raises StaleVersion when `expected_version` is
    given and is not the current one, so two writers never overwrite each other unseen.
    """
    now = now or utcnow()
    with adb.write() as db:
        current = facility_version(db, facility_id)
        if expected_version is not None and expected_version != current:
            raise StaleVersion(current)
        ensure_baseline(db, facility_id, indexed_beds, now)
        version = bump_version(db, facility_id)
        for row in rows:
            row = {**row, "reported_by": reported_by,
                   "reported_at": row.get("reported_at") or iso(now)}
            db.execute(UPSERT_ROW, {**{f: row.get(f) for f in ROW_FIELDS},
                                    "facility_id": facility_id, "version": version})
            append_history(db, facility_id, "report", row, version, now)
        mark_changed(db, facility_id)
    return version


def live_rows(db, facility_id, now=None):
    """The facility's current rows, each with `held`: its active, unexpired holds."""
    rows = db.execute(SELECT_ROWS, (iso(now or utcnow()), facility_id)).fetchall()
    return [dict(row) for row in rows]


def history(adb, facility_id, page, per_page):
    """(total, entries newest first) of the facility's append-only history."""
    db = adb.read()
    total = db.execute(COUNT_HISTORY, (facility_id,)).fetchone()[0]
    rows = db.execute(PAGE_HISTORY, (facility_id, per_page, (page - 1) * per_page))
    return total, [dict(row) for row in rows]

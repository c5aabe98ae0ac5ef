"""Bed reports: current rows per (level of care, population), an append-only history, and
optimistic concurrency by a per-facility version.

The first time a facility is touched live (a report or a hold), its indexed bed rows are
copied in as a "baseline", so from then on this database alone holds the facility's
complete figures (what `figures.current_figures` and the hold check rely on).

Three rules keep writes safe: a writer names the version it read (or is refused), a report
older than the stored one never replaces it, and a report of fewer open beds than active
holds releases the newest holds beyond it (the coach sees why). Who reported and their
note are the facility's business: `live_rows` leaves them out unless asked.
"""
from dataclasses import dataclass, field

from directory_service.availability.db import iso, mark_changed, parse_iso, utcnow

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
       {private}
       (SELECT COUNT(*) FROM holds AS h
         WHERE h.facility_id = r.facility_id AND h.level_of_care = r.level_of_care
           AND h.population = r.population AND h.state = 'active' AND h.expires_at > ?) AS held
FROM bed_reports AS r WHERE r.facility_id = ? ORDER BY r.level_of_care, r.population
"""
PRIVATE_COLUMNS = "r.reported_by, r.note,"
STORED_AT = "SELECT level_of_care, population, reported_at FROM bed_reports WHERE facility_id = ?"
ACTIVE_AT_ROW = """
SELECT id FROM holds
WHERE facility_id = ? AND level_of_care = ? AND population = ? AND state = 'active'
  AND expires_at > ?
ORDER BY created_at DESC, rowid DESC
"""
RELEASE = "UPDATE holds SET state = 'released', decided_at = ?, reason = ? WHERE id = ?"
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


class RowsRefused(Exception):
    """Rows of an all-or-nothing report that may not be applied: {row index: {field: [..]}}."""

    def __init__(self, errors):
        super().__init__("some rows were refused")
        self.errors = errors


@dataclass
class Applied:
    """What a report did: the facility's version after it, rows refused (a batch keeps
    going without them) and the holds it released, both by row index."""

    version: int
    refused: dict = field(default_factory=dict)
    released: dict = field(default_factory=dict)


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


def apply_report(adb, facility_id, rows, reported_by, indexed_beds, expected=None,
                 now=None, partial=False, event="report"):
    """Write validated report rows in one transaction; returns `Applied`.

    `expected` is the set of versions the writer may have read (If-Match); the current one
    must be among them, or StaleVersion. A row may carry its own `version` (the batch
    feed). A row older than the stored report for its level and population, a stale row
    version, or a second row for the same level and population is refused: the whole
    report (RowsRefused) unless `partial`, when the other rows still apply. `event` names
    the history entries: "report", or "confirmation" when staff say the figures still hold.
    """
    now = now or utcnow()
    with adb.write() as db:
        current = facility_version(db, facility_id)
        if expected is not None and current not in expected:
            raise StaleVersion(current)
        ensure_baseline(db, facility_id, indexed_beds, now)
        refused = _refusals(db, facility_id, rows, current, now)
        if refused and not partial:
            raise RowsRefused(refused)
        accepted = [(i, row) for i, row in enumerate(rows) if i not in refused]
        if not accepted:
            return Applied(current, refused)
        version = bump_version(db, facility_id)
        released = {}
        for i, row in accepted:
            row = {**row, "reported_by": reported_by,
                   "reported_at": row.get("reported_at") or iso(now)}
            db.execute(UPSERT_ROW, {**{f: row.get(f) for f in ROW_FIELDS},
                                    "facility_id": facility_id, "version": version})
            append_history(db, facility_id, event, row, version, now)
            freed = release_beyond(db, facility_id, row, now)
            if freed:
                released[i] = freed
        mark_changed(db, facility_id)
    return Applied(version, refused, released)


def _refusals(db, facility_id, rows, current, now):
    """{row index: {field: [message]}} for rows that may not replace what is stored."""
    stored = {(r["level_of_care"], r["population"]): r["reported_at"]
              for r in db.execute(STORED_AT, (facility_id,))}
    refused, seen = {}, {}
    for i, row in enumerate(rows):
        key = (row["level_of_care"], row["population"])
        if key in seen:
            refused[i] = {"population": [f"row {seen[key] + 1} already reports "
                                         f"{key[0]} for {key[1]} in this request"]}
            continue
        seen[key] = i
        if row.get("version") is not None and row["version"] != current:
            refused[i] = {"version": [f"made against version {row['version']}; the facility "
                                      f"is at version {current}: read it and report again"]}
            continue
        before = stored.get(key)
        at = row.get("reported_at") or iso(now)
        if before is not None and parse_iso(at) < parse_iso(before):
            refused[i] = {"reported_at": [f"{at} is older than the report already stored "
                                          f"({before}); an older report never replaces a "
                                          f"newer one"]}
    return refused


def release_beyond(db, facility_id, row, now):
    """Release the newest active holds beyond the open beds a row now reports.

    A row reported full or closed keeps no hold; an unknown row keeps its holds (the
    facility did not say the bed is gone). Returns the released hold ids.
    """
    if row["status"] == "unknown":
        return []
    open_beds = (row.get("available") or 0) if row["status"] == "open" else 0
    active = [r[0] for r in db.execute(ACTIVE_AT_ROW, (facility_id, row["level_of_care"],
                                                        row["population"], iso(now)))]
    excess = active[:max(0, len(active) - open_beds)]
    reason = (f"released: the facility reported {open_beds} open {row['level_of_care']} "
              f"bed{'s' if open_beds != 1 else ''} for {row['population']} at "
              f"{row['reported_at']}, fewer than the {len(active)} held; the newest holds "
              f"were released first. Call intake or hold a bed elsewhere.")
    for hold_id in excess:
        db.execute(RELEASE, (iso(now), reason, hold_id))
    return excess


def live_rows(db, facility_id, now=None, private=False):
    """The facility's current rows, each with `held`: its active, unexpired holds.

    `reported_by` and `note` only when `private` (the facility's own key, admins): every
    public view (search, records, match, the page, Elasticsearch) is built from these rows.
    """
    sql = SELECT_ROWS.format(private=PRIVATE_COLUMNS if private else "")
    rows = db.execute(sql, (iso(now or utcnow()), facility_id)).fetchall()
    return [dict(row) for row in rows]


def history(adb, facility_id, page, per_page):
    """(total, entries newest first) of the facility's append-only history."""
    db = adb.read()
    total = db.execute(COUNT_HISTORY, (facility_id,)).fetchone()[0]
    rows = db.execute(PAGE_HISTORY, (facility_id, per_page, (page - 1) * per_page))
    return total, [dict(row) for row in rows]

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

from sqlalchemy import and_, bindparam, func, select

from directory_service.availability import events, fast, hold_reasons, verification
from directory_service.availability.db import (
    add_event, iso, lock, mark_changed, parse_iso, upsert_statement, utcnow)
from directory_service.availability.schema import (
    bed_history, bed_reports, facility_changes, facility_versions)
from directory_service.availability.schema import holds as holds_table

ROW_FIELDS = ("level_of_care", "population", "capacity", "available", "status",
              "reported_at", "reported_by", "note")
PUBLIC_COLUMNS = ("level_of_care", "population", "capacity", "available", "status",
                  "reported_at")
PRIVATE_COLUMNS = ("reported_by", "note")


def facility_lock(facility_id):
    """The advisory lock name that serialises one facility's writes (db.lock)."""
    return f"facility:{facility_id}"


def _active_holds(now, *where):
    h = holds_table.c
    return and_(h.state == "active", h.expires_at > iso(now), *where)


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
    going without them) and the holds it released, both by row index. A report that
    wrote also says what it left (`Written`), so its answer needs no second read."""

    version: int
    refused: dict = field(default_factory=dict)
    released: dict = field(default_factory=dict)
    written: "Written | None" = None


@dataclass
class Written:
    """The facility as a report's transaction left it: `rows` (live_rows, private), and
    its change sequence number before (`before`, 0 for none) and after (`seq`)."""

    rows: list
    before: int
    seq: int

    def public_rows(self):
        """The rows as live_rows(private=False) returns them."""
        return [{**{k: r[k] for k in PUBLIC_COLUMNS}, "held": r["held"]} for r in self.rows]


# Statements every report runs, built once (values bound at execution).
VERSION_OF = select(facility_versions.c.version).where(
    facility_versions.c.facility_id == bindparam("facility_id"))
HAS_ROWS = select(bed_reports.c.facility_id).where(
    bed_reports.c.facility_id == bindparam("facility_id")).limit(1)
HISTORY_ADD = bed_history.insert()
CHANGE_SEQ_OF = select(facility_changes.c.seq).where(
    facility_changes.c.facility_id == bindparam("facility_id"))
STORED_TIMES = select(bed_reports.c.level_of_care, bed_reports.c.population,
                      bed_reports.c.reported_at).where(
    bed_reports.c.facility_id == bindparam("facility_id"))
ACTIVE_HOLDS_OF_ROW = (
    select(holds_table.c.id)
    .where(holds_table.c.state == "active", holds_table.c.expires_at > bindparam("now"),
           holds_table.c.facility_id == bindparam("facility_id"),
           holds_table.c.level_of_care == bindparam("level_of_care"),
           holds_table.c.population == bindparam("population"))
    .order_by(holds_table.c.created_at.desc(), holds_table.c.created_seq.desc()))


def facility_version(db, facility_id):
    """The facility's version (0 before any): `db` a Reader (`adb.read()`) or a
    connection in a transaction, both through a statement compiled once."""
    if hasattr(db, "rows"):
        found = db.rows(VERSION_OF, facility_id=facility_id)
        version = found[0][0] if found else None
    else:
        version = fast.scalar(db, VERSION_OF, facility_id=facility_id)
    return version or 0


def set_version(db, facility_id, version):
    fast.rows(db, upsert_statement(db.dialect.name, facility_versions,
                                   ("facility_id", "version"), ("facility_id",)),
              facility_id=facility_id, version=version)


def bump_version(db, facility_id):
    version = facility_version(db, facility_id) + 1
    set_version(db, facility_id, version)
    return version


_ROW_COLUMNS = ROW_FIELDS + ("facility_id", "version")
_ROW_KEYS = ("facility_id", "level_of_care", "population")


def _put_rows(db, facility_id, rows, version):
    fast.many(db, upsert_statement(db.dialect.name, bed_reports, _ROW_COLUMNS, _ROW_KEYS),
              [{**{f: row.get(f) for f in ROW_FIELDS}, "facility_id": facility_id,
                "version": version} for row in rows])


def _put_row(db, facility_id, row, version):
    _put_rows(db, facility_id, [row], version)


def _history_rows(db, facility_id, event, rows, version, now):
    recorded = iso(now)
    fast.many(db, HISTORY_ADD, [{**{f: row.get(f) for f in ROW_FIELDS},
                                 "facility_id": facility_id, "event": event,
                                 "version": version, "recorded_at": recorded}
                                for row in rows])


def append_history(db, facility_id, event, row, version, now):
    _history_rows(db, facility_id, event, [row], version, now)


def ensure_baseline(db, facility_id, indexed_beds, now):
    """Copy the indexed rows in, once, before the facility's first live change."""
    if fast.rows(db, HAS_ROWS, facility_id=facility_id):
        return
    version = facility_version(db, facility_id)
    rows = []
    for bed in indexed_beds or ():
        row = {f: bed.get(f) for f in ROW_FIELDS}
        row["population"] = row["population"] or "adult_any"
        rows.append(row)
    _put_rows(db, facility_id, rows, version)
    _history_rows(db, facility_id, "baseline", rows, version, now)


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

    def work(db):
        lock(db, facility_lock(facility_id))
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
        version = current + 1  # under the facility's lock: nobody moved it since
        set_version(db, facility_id, version)
        written = [{**row, "reported_by": reported_by,
                    "reported_at": row.get("reported_at") or iso(now)} for _, row in accepted]
        _put_rows(db, facility_id, written, version)
        _history_rows(db, facility_id, event, written, version, now)
        released = {}
        for (i, _), row in zip(accepted, written):
            freed = release_beyond(db, facility_id, row, now)
            if freed:
                released[i] = freed
        if event == "confirmation":
            # "Still accurate" confirms the record too (DESIGN §12).
            verification.mark_verified_in(db, facility_id, "confirmation", reported_by, now,
                                          announce=False)
        freed = [hold_id for ids in released.values() for hold_id in ids]
        before = fast.scalar(db, CHANGE_SEQ_OF, facility_id=facility_id) or 0
        mark_changed(db, facility_id, events.BEDS_UPDATED,
                     events.beds(facility_id, version, written, event, freed))
        for hold_id in freed:
            row = db.execute(holds_table.select().where(holds_table.c.id == hold_id)).mappings().one()
            add_event(db, facility_id, events.HOLD_DECIDED, events.hold(row))
        # What the answer and this worker's live overlay need, read in the transaction
        # (compiled statements, microseconds) instead of again after the commit.
        left = Written(_rows_of(fast.rows(db, _LIVE_ROWS[True], facility_id=facility_id,
                                          now=iso(now)), True), before,
                       fast.scalar(db, CHANGE_SEQ_OF, facility_id=facility_id))
        return Applied(version, refused, released, left)

    # Concurrent reports share one transaction and one fsync on SQLite (group_commit.py);
    # this returns only once the one this report ran in has committed.
    return adb.grouped_write(work)


def _refusals(db, facility_id, rows, current, now):
    """{row index: {field: [message]}} for rows that may not replace what is stored."""
    stored = {(level, population): at for level, population, at in fast.rows(
        db, STORED_TIMES, facility_id=facility_id)}
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
    h = holds_table.c
    active = [found[0] for found in fast.rows(
        db, ACTIVE_HOLDS_OF_ROW, now=iso(now), facility_id=facility_id,
        level_of_care=row["level_of_care"], population=row["population"])]
    excess = active[:max(0, len(active) - open_beds)]
    reason = hold_reasons.fewer_than_held(open_beds, row["level_of_care"], row["population"],
                                          row["reported_at"], len(active))
    for hold_id in excess:
        db.execute(holds_table.update().where(h.id == hold_id).values(
            state="released", decided_at=iso(now), reason=reason))
    return excess


def live_rows(db, facility_id, now=None, private=False):
    """The facility's current rows, each with `held`: its active, unexpired holds.

    `reported_by` and `note` only when `private` (the facility's own key, admins): every
    public view (search, records, match, the page, Elasticsearch) is built from these rows.
    """
    private = bool(private)
    params = {"facility_id": facility_id, "now": iso(now or utcnow())}
    # Compiled once, without SQLAlchemy's result machinery: a Reader's pooled connection
    # (`adb.read()`) or the caller's connection (every overlay re-read; issue 25).
    found = (db.rows(_LIVE_ROWS[private], **params) if hasattr(db, "rows")
             else fast.rows(db, _LIVE_ROWS[private], **params))
    return _rows_of(found, private)


def _live_rows_statement(private):
    """live_rows' query, built once (every search worker runs it for every changed
    facility, and every report's answer runs it: issue 25)."""
    r, h = bed_reports.c, holds_table.c
    held = (select(func.count()).select_from(holds_table)
            .where(h.state == "active", h.expires_at > bindparam("now"),
                   h.facility_id == r.facility_id, h.level_of_care == r.level_of_care,
                   h.population == r.population)
            .scalar_subquery().label("held"))
    names = PUBLIC_COLUMNS + (PRIVATE_COLUMNS if private else ())
    return (select(*(r[n] for n in names), held)
            .where(r.facility_id == bindparam("facility_id"))
            .order_by(r.level_of_care, r.population))


_LIVE_ROWS = {False: _live_rows_statement(False), True: _live_rows_statement(True)}
_LIVE_NAMES = {private: PUBLIC_COLUMNS + (PRIVATE_COLUMNS if private else ()) + ("held",)
               for private in (False, True)}


def _rows_of(found, private):
    """live_rows' dicts from the statement's plain tuples."""
    names = _LIVE_NAMES[private]
    return [dict(zip(names, row)) for row in found]


def history(adb, facility_id, page, per_page):
    """(total, entries newest first) of the facility's append-only history."""
    mine = bed_history.c.facility_id == facility_id
    columns = [c for c in bed_history.c if c.name != "facility_id"]
    with adb.read() as db:
        total = db.execute(select(func.count()).select_from(bed_history).where(mine)).scalar()
        rows = db.execute(select(*columns).where(mine).order_by(bed_history.c.seq.desc())
                          .limit(per_page).offset((page - 1) * per_page)).mappings()
        return total, [dict(row) for row in rows]

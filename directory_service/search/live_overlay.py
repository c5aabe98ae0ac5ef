"""Live bed figures over the embedded store's indexed ones, per worker process.

The indexed file's `beds_open`/`beds_reported` arrays hold the figures the directory was
loaded with. Each search asks the availability database one small indexed question
("which facilities changed since sequence N?"); only those facilities are re-read and
written into this worker's private copies of the two arrays. A hold passing its expiry
counts as a change too, found from the earliest expiry this worker knows, so no
background job is needed. A newly swapped-in store file gets every live facility applied
once. Work is proportional to the facilities that changed, never to the directory.

The same polling keeps public reports' standings (availability/public_reports.py) of the
records that changed: a confirmed "closed" clears the row's `active` in this worker's copy
of that array, confirmed problems go to `index.problems` (a score discount), and both
stores merge the standing into the records they return (search/standing.py).

`merge_live` is the one merge of live rows into a record: this overlay uses it for the
embedded store's arrays and records, and the Elasticsearch store for every record it
returns (search hits, `get`, exports), so both stores show the same figures.
"""
import json
import threading

import numpy as np

from directory_service.availability import changes, figures, public_reports, reports
from directory_service.availability.db import iso, utcnow
from directory_service.search import columns as cols

FACILITY_ROW = "SELECT rowid, doc FROM records WHERE id = ? AND kind = 'treatment_facility'"
RECORD_ROW = "SELECT rowid FROM records WHERE id = ?"


class _SnapshotState:
    """One store file's writable bed arrays and the merged bed rows of live facilities."""

    def __init__(self, snap):
        self.snap = snap
        arrays = snap.index.a
        self.indexed_open, self.indexed_reported = arrays["beds_open"], arrays["beds_reported"]
        # Copied ahead by `LiveOverlay.warm` when the file was opened in the background.
        copies = getattr(snap, "writable_beds", None) or (self.indexed_open.copy(),
                                                          self.indexed_reported.copy())
        arrays["beds_open"], arrays["beds_reported"] = copies
        self.rows = {}
        # Public reports: a confirmed "closed" clears a row's `active`, confirmed problems
        # discount its score (vector_search.rank reads `index.problems`).
        self.indexed_active = arrays["active"]
        arrays["active"] = self.indexed_active.copy()
        snap.index.problems = {}

    def apply_standing(self, record_id, standing):
        found = self.snap.db.execute(RECORD_ROW, (record_id,)).fetchone()
        if found is None:
            return
        row = found[0] - 1
        closed = bool(standing and standing["closed"])
        self.snap.index.a["active"][row] = self.indexed_active[row] and not closed
        problems = standing["confirmed_problems"] if standing else 0
        if problems:
            self.snap.index.problems[row] = problems
        else:
            self.snap.index.problems.pop(row, None)

    def apply(self, facility_id, live):
        found = self.snap.db.execute(FACILITY_ROW, (facility_id,)).fetchone()
        if found is None:
            # Reported live but not (or no longer) in this directory: nothing to show.
            self.rows.pop(facility_id, None)
            return
        rowid, doc = found
        arrays = self.snap.index.a
        j = arrays["bed_row"][rowid - 1]
        if not live:
            arrays["beds_open"][j] = self.indexed_open[j]
            arrays["beds_reported"][j] = self.indexed_reported[j]
            self.rows.pop(facility_id, None)
            return
        merged = merge_live(json.loads(doc), live)["beds"]
        arrays["beds_open"][j] = np.nan
        arrays["beds_reported"][j] = np.nan
        for key, (available, at) in cols.bed_levels(merged).items():
            arrays["beds_open"][j, cols.BED_INDEX[key]] = available
            arrays["beds_reported"][j, cols.BED_INDEX[key]] = at
        self.rows[facility_id] = merged


class LiveOverlay:
    """Keeps one worker's view of live figures current; `prepare` runs once per request."""

    def __init__(self, adb):
        self.adb = adb
        self._seq = 0
        self._live = {}
        self._expiry = {}
        self._standing = {}
        self._lock = threading.Lock()

    def prepare(self, snap, now=None):
        """Update `snap`'s arrays; returns {facility_id: merged bed rows} for its records."""
        now = now or utcnow()
        with self._lock:
            changed = self._poll(now)
            state = getattr(snap, "live", None)
            if state is None:
                state = snap.live = _SnapshotState(snap)
                changed = set(self._live)
            for facility_id in changed:
                state.apply(facility_id, self._live.get(facility_id, ()))
                state.apply_standing(facility_id, self._standing.get(facility_id))
            return state.rows

    def standings(self):
        """{record_id: standing} of records with public reports or a verification, as
        this worker knows them (read after `prepare` or `live_rows` polled)."""
        return self._standing

    @staticmethod
    def warm(snap):
        """The writable copies of a new file's bed arrays, made where the file is opened
        (off the request path when it is opened in the background)."""
        arrays = snap.index.a
        snap.writable_beds = (arrays["beds_open"].copy(), arrays["beds_reported"].copy())

    def live_rows(self, now=None):
        """{facility_id: live rows} as this worker knows them, for stores without arrays
        (Elasticsearch): the same change polling and expiry as `prepare`."""
        with self._lock:
            self._poll(now or utcnow())
            return {fid: rows for fid, rows in self._live.items() if rows}

    def _poll(self, now):
        reader = self.adb.read()
        rows = changes.changed_since(reader, self._seq)  # every search: the fast path
        changed = {fid for fid, _ in rows}
        if rows:
            self._seq = rows[-1][1]
        stamp = iso(now)
        changed |= {fid for fid, at in self._expiry.items() if at is not None and at <= stamp}
        if changed:
            with reader as db:
                for facility_id in changed:
                    self._live[facility_id] = reports.live_rows(db, facility_id, now)
                    self._expiry[facility_id] = changes.next_expiry(db, facility_id, stamp)
                found = public_reports.standings(db, changed)
                for record_id in changed:
                    if record_id in found:
                        self._standing[record_id] = found[record_id]
                    else:
                        self._standing.pop(record_id, None)
        return changed


def with_hold_expiries(db, facility_id, rows, now=None):
    """`rows` (reports.live_rows) each with `hold_until`: the expiries of the active holds
    its `held` counts, so Elasticsearch can free a bed when a hold expires
    (elastic/mapping.py, held_expiries) with nobody writing at that instant."""
    by_row = {}
    for level, population, expires in changes.active_expiries(db, facility_id,
                                                              iso(now or utcnow())):
        by_row.setdefault((level, population), []).append(expires)
    return [{**r, "hold_until": sorted(by_row.get((r["level_of_care"], r["population"]), ()))}
            for r in rows]


def merge_live(doc, live):
    """A facility record with `live` rows (reports.live_rows) merged over its indexed bed
    rows by (level of care, population); other records, or no live rows, unchanged."""
    if not live or doc.get("kind") != "treatment_facility":
        return doc
    return {**doc, "beds": figures.merge_rows(doc.get("beds"), live)}


def merge_into(doc, live_rows):
    """A facility record with its live bed rows in place of the indexed ones."""
    rows = live_rows.get(doc.get("id"))
    if rows is None or doc.get("kind") != "treatment_facility":
        return doc
    return {**doc, "beds": [dict(r) for r in rows]}

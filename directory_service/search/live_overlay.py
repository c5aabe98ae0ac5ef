"""Live bed figures over the embedded store's indexed ones, per worker process.

The indexed file's `beds_open`/`beds_reported` arrays hold the figures the directory was
loaded with. Each search asks the availability database one small indexed question
("which facilities changed since sequence N?"); only those facilities are re-read and
written into this worker's own copy-on-write maps of the two arrays. A hold passing its
expiry counts as a change too, found from the earliest expiry this worker knows, so no
background job is needed. A newly swapped-in store file gets every live facility applied
once. Work is proportional to the facilities that changed, never to the directory.

The same polling keeps public reports' standings (availability/public_reports.py) of the
records that changed: a confirmed "closed" clears the row's `active` in this worker's copy
of that array, confirmed problems go to `index.problems` (a score discount), and both
stores merge the standing into the records they return (search/standing.py).

`merge_live` is the one merge of live rows into a record: this overlay uses it for the
embedded store's arrays and records, and the Elasticsearch store for every record it
returns (search hits, `get`, exports), so both stores show the same figures. It merges
the facility's own profile (availability/profiles.py) first, field by field with
provenance (availability/profile_merge.py), so a profile saved is served everywhere as
soon as a live bed figure would be, and survives every index run.
"""
import json
import threading

import numpy as np
from flask import g, has_request_context

from directory_service.availability import (
    changes, figures, outage, profiles, public_reports, reports)
from directory_service.availability.db import iso, utcnow
from directory_service.availability.profile_merge import merge_profile
from directory_service.search import columns as cols

RECORD_ROW = "SELECT rowid, kind, doc FROM records WHERE id = ?"
FACILITY = "treatment_facility"
# The change sequence this request has already read (flask.g; the search ETag reads it
# first, api/http_cache.py): when it is the one this worker has applied, nothing changed
# before that read, and the poll asks the database nothing more.
SEQUENCE_READ = "availability_seq"


def _no_pause():
    pass


def _sequence_read():
    if not has_request_context():
        return None
    return g.get(SEQUENCE_READ)


class Live:
    """One record's live state: its bed rows (reports.live_rows, or already merged ones)
    and its profile overlay (profiles.overlay_for, None without one)."""

    __slots__ = ("beds", "profile")

    def __init__(self, beds=(), profile=None):
        self.beds, self.profile = beds, profile

    def __bool__(self):
        return bool(self.beds) or self.profile is not None


def _parts(live):
    """(bed rows, profile) of a `Live`, a plain list of rows, or None."""
    if isinstance(live, Live):
        return live.beds or (), live.profile
    return live or (), None


class _SnapshotState:
    """One store file's writable bed arrays and the merged bed rows of live facilities."""

    def __init__(self, snap, pause=None):
        self.snap = snap
        arrays = snap.index.a
        self.indexed_open, self.indexed_reported = arrays["beds_open"], arrays["beds_reported"]
        # Public reports: a confirmed "closed" clears a row's `active`, confirmed problems
        # discount its score (vector_search.rank reads `index.problems`).
        self.indexed_active = arrays["active"]
        # This worker's own arrays, mapped copy-on-write: its memory is the pages of the
        # rows it writes, not a copy of each array (250 MB at a million records).
        for name in ("beds_open", "beds_reported", "active"):
            arrays[name] = snap.columns.writable(name, pause or _no_pause)
        self.rows = {}
        self.searchable = _SearchableFields(arrays, snap.columns.writable)
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

    def apply(self, facility_id, live, profile=None):
        found = self.snap.db.execute(RECORD_ROW, (facility_id,)).fetchone()
        if found is None:
            # Reported live but not (or no longer) in this directory: nothing to show.
            self.rows.pop(facility_id, None)
            return
        rowid, kind, doc = found
        if kind != FACILITY:
            # Only a verification date to merge (no bed arrays).
            if profile is None:
                self.rows.pop(facility_id, None)
            else:
                self.rows[facility_id] = Live(None, profile)
            return
        arrays = self.snap.index.a
        j = arrays["bed_row"][rowid - 1]
        if not live and profile is None:
            arrays["beds_open"][j] = self.indexed_open[j]
            arrays["beds_reported"][j] = self.indexed_reported[j]
            self.searchable.restore(rowid - 1)
            self.rows.pop(facility_id, None)
            return
        record = merge_live(json.loads(doc), Live(live, profile))
        if profile is not None and profile.get("fields"):
            self.searchable.set(rowid - 1, record)
        else:
            self.searchable.restore(rowid - 1)
        merged = record["beds"]
        arrays["beds_open"][j] = np.nan
        arrays["beds_reported"][j] = np.nan
        for key, (available, at) in cols.bed_levels(merged).items():
            arrays["beds_open"][j, cols.BED_INDEX[key]] = available
            arrays["beds_reported"][j, cols.BED_INDEX[key]] = at
        self.rows[facility_id] = Live(merged, profile)


class _SearchableFields:
    """The filter columns of facilities with a profile, rewritten from the merged record
    (levels, payment, settings, medications, programs, gender, ages, intake flags), so
    search and match filter on what the facility declared. The arrays are mapped
    copy-on-write the first time a profile needs them (most store files never do); each
    row's indexed values are kept to restore when its profile is withdrawn. Opening hours stay the
    indexed ones for filtering (`open_now`); shown hours are merged."""

    NAMES = tuple(f"bits_{name}" for name in ("levels", "payment", "settings",
                                             "medications", "programs")) + (
        "flags", "gender", "min_age", "max_age")

    def __init__(self, arrays, writable):
        self.arrays, self.writable, self.copied, self.saved = arrays, writable, False, {}

    def set(self, i, record):
        if not self.copied:
            for name in self.NAMES:
                self.arrays[name] = self.writable(name)
            self.copied = True
        if i not in self.saved:
            self.saved[i] = {name: self.arrays[name][i].copy() for name in self.NAMES}
        one = cols.ColumnBuilder(1, 1)
        one.add(0, record)
        for name in self.NAMES:
            self.arrays[name][i] = one.a[name][0]

    def restore(self, i):
        for name, value in self.saved.pop(i, {}).items():
            self.arrays[name][i] = value


class LiveOverlay:
    """Keeps one worker's view of live figures current; `prepare` runs once per request."""

    def __init__(self, adb):
        self.adb = adb
        self._seq = 0
        self._live = {}
        self._profiles = {}
        self._expiry = {}
        self._standing = {}
        self._lock = threading.Lock()
        # Which facilities changed when: `_version` counts the polls that changed any, and
        # `_changed_at[id]` is the version of the last one that changed this id. A file
        # prepared in the background (`warm`) is prepared from the state at one version;
        # what changed after it is applied when a request installs the file.
        self._version = 0
        self._changed_at = {}
        # Bed reports this worker wrote: {facility id: (change seq, live rows)} (`learn`).
        self._written = {}

    def prepare(self, snap, now=None):
        """Update `snap`'s arrays; returns {record id: Live(merged bed rows, profile)}."""
        now = now or utcnow()
        with self._lock:
            # Database down: the figures this worker last knew stay in the arrays for
            # ranking, and the request is marked so every shown figure says unavailable.
            changed = outage.reading(lambda: self._poll(now), set())
            state = getattr(snap, "live", None)
            if state is None:
                prepared, snap.prepared_live = getattr(snap, "prepared_live", None), None
                if prepared is not None:
                    # Made off the request path (`warm`) with every facility known then:
                    # only what changed since is applied here.
                    state, version = prepared
                    changed = set(changed) | {fid for fid, at in self._changed_at.items()
                                              if at > version}
                else:
                    state = _SnapshotState(snap)
                    changed = self._known()
                snap.live = state
            for facility_id in changed:
                state.apply(facility_id, self._live.get(facility_id, ()),
                            self._profiles.get(facility_id))
                state.apply_standing(facility_id, self._standing.get(facility_id))
            return state.rows

    def standings(self):
        """{record_id: standing} of records with public reports or a verification, as
        this worker knows them (read after `prepare` or `live_rows` polled)."""
        return self._standing

    def _known(self):
        return set(self._live) | set(self._profiles) | set(self._standing)

    def warm(self, snap, pause=None):
        """Prepare a new file's live state where the file is opened (off the request path
        when it is opened in the background thread): its writable arrays and every live
        facility, profile and standing this worker knows, applied. Done by the
        first request after a swap, that was one database read and one record decoded per
        live facility, inside the request. `pause()` is called between facilities.

        Runs beside the requests, in another thread: it takes no lock (the overlay's lock
        is the requests'), it reads this worker's dicts as copies made under the GIL, and
        `prepare` applies, when a request installs the file, whatever changed after the
        version read here (`_poll` marks a change after writing it, so a change either
        is in the copies or has a later version)."""
        version = self._version
        live, profiles, standing = dict(self._live), dict(self._profiles), dict(self._standing)
        state = _SnapshotState(snap, pause)
        for facility_id in set(live) | set(profiles) | set(standing):
            state.apply(facility_id, live.get(facility_id, ()), profiles.get(facility_id))
            state.apply_standing(facility_id, standing.get(facility_id))
            if pause is not None:
                pause()
        snap.prepared_live = (state, version)

    def live_rows(self, now=None):
        """{record id: Live(live rows, profile)} as this worker knows them, for stores
        without arrays (Elasticsearch): the same change polling and expiry as `prepare`."""
        with self._lock:
            outage.reading(lambda: self._poll(now or utcnow()))
            found = {fid: Live(self._live.get(fid), self._profiles.get(fid))
                     for fid in set(self._live) | set(self._profiles)}
            return {fid: live for fid, live in found.items() if live}

    def learn(self, facility_id, before, seq, rows):
        """A bed report this worker just committed left `facility_id` at change `seq` with
        live `rows` (reports.live_rows, read in its transaction); its change before was
        `before`. When this worker had applied `before`, the next poll that finds the
        facility at `seq` takes these rows instead of reading the facility again (its
        rows, profile, hold expiry and standing: four queries, the largest part of a
        report's answer; issue 25). A report changes only bed rows and releases holds,
        so the profile, the standing and the earliest expiry known stay right (a released
        hold can only make the next expiry later: at worst one early re-read)."""
        with self._lock:
            if before <= self._seq < seq:
                self._written[facility_id] = (seq, rows)

    def _poll(self, now):
        reader = self.adb.read()
        if _sequence_read() == self._seq:
            rows = []  # read this request, and applied already: nothing new to ask for
        else:
            rows = changes.changed_since(reader, self._seq)  # every search: the fast path
        changed = {fid for fid, _ in rows}
        if rows:
            self._seq = rows[-1][1]
        known = self._take_written(rows)
        stamp = iso(now)
        expired = {fid for fid, at in self._expiry.items() if at is not None and at <= stamp}
        changed |= expired
        read = changed - (known - expired)
        if read:
            with reader as db:
                for facility_id in read:
                    self._live[facility_id] = reports.live_rows(db, facility_id, now)
                    self._profiles[facility_id] = profiles.overlay_for(db, facility_id)
                    self._expiry[facility_id] = changes.next_expiry(db, facility_id, stamp)
                found = public_reports.standings(db, read)
                for record_id in read:
                    if record_id in found:
                        self._standing[record_id] = found[record_id]
                    else:
                        self._standing.pop(record_id, None)
        if changed:
            # After the writes above: a file prepared from copies made before them sees a
            # later version here and applies these again when installed (`warm`).
            self._version += 1
            for facility_id in changed:
                self._changed_at[facility_id] = self._version
        return changed


    def _take_written(self, rows):
        """The facilities among the polled `rows` that this worker's own reports left at
        the polled sequence number (`learn`): their rows are set here, not read again."""
        if not self._written:
            return set()
        taken = set()
        for facility_id, seq in rows:
            written = self._written.get(facility_id)
            if written is not None and written[0] == seq:
                self._live[facility_id] = written[1]
                taken.add(facility_id)
        self._written = {fid: w for fid, w in self._written.items() if w[0] > self._seq}
        return taken


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
    """A record with its profile merged over it (facilities get provenance) and, for a
    facility, `live` rows (reports.live_rows, alone or in a `Live`) merged over its bed
    rows by (level of care, population)."""
    rows, profile = _parts(live)
    merged = merge_profile(doc, profile)
    if not rows or merged.get("kind") != FACILITY:
        return merged
    # A record's rows are of levels it offers (the record schema's rule); live rows of a
    # level the facility's profile no longer offers are kept but not shown.
    offered = set(merged.get("levels_of_care") or ())
    beds = [r for r in figures.merge_rows(merged.get("beds"), rows)
            if r["level_of_care"] in offered]
    return {**merged, "beds": beds}


def merge_into(doc, live_rows):
    """A record as served by the embedded store: its profile merged, and a facility's
    bed rows replaced by the merged rows `prepare` keeps."""
    entry = live_rows.get(doc.get("id"))
    if entry is None:
        return merge_profile(doc, None)
    merged = merge_profile(doc, entry.profile)
    if entry.beds is not None and merged.get("kind") == FACILITY:
        merged["beds"] = [dict(r) for r in entry.beds]
    return merged

"""The embedded store: reads the SQLite file the indexer builds (DESIGN §2).

Each worker process opens the file read-only and maps its column arrays (a file beside it,
column_file.py) into memory, shared with every other worker. A `stat` per request notices
when the indexer has renamed a new file into place; the worker then reopens, so several
gunicorn workers keep serving through a swap.
"""
import json
import os
import re
import threading
import time
from datetime import timezone

import numpy as np

from directory_service import fast_json
from directory_service.search.embedded import column_file
from directory_service.search.embedded.held_file import HeldFile
from directory_service.search.live_overlay import merge_into
from directory_service.search.online import region_zones
from directory_service.search.standing import with_standing
from directory_service.search.embedded.writer import SCHEMA_VERSION
from directory_service.search.store import SearchResult, SearchStore, StoreUnavailable, Hit
from directory_service.search.embedded.vector_search import VectorIndex, epoch_to_iso
from directory_service.search.spellings import other_spellings

SELECT_META = "SELECT key, value FROM meta"
SELECT_BY_ID = "SELECT doc FROM records WHERE id = ?"
SELECT_ALIAS = "SELECT id FROM aliases WHERE alias = ?"
SCAN = "SELECT doc FROM records {where} ORDER BY id{limit}"
SELECT_BY_ROWIDS = "SELECT rowid, doc FROM records WHERE rowid IN ({marks})"
# Text matches inside the search's bounding box, through the R*Tree.
TEXT_IN_BOX = """
SELECT f.rowid FROM records_fts AS f
JOIN records_rtree AS r ON r.rowid = f.rowid
WHERE records_fts MATCH ?
  AND r.min_lat >= ? AND r.max_lat <= ? AND r.min_lon >= ? AND r.max_lon <= ?
"""
# Text matches anywhere: for searches that also take online meetings from the whole zone.
TEXT_ANYWHERE = "SELECT rowid FROM records_fts WHERE records_fts MATCH ?"
WORD = re.compile(r"\w+", re.UNICODE)


def fts_expression(text):
    """User text as a safe FTS5 query: every word must match, as a prefix, quoted; a word
    written more than one way ("st", "saint"; "narcan", "naloxone": search/spellings.py)
    also matches the others whole."""
    words = WORD.findall(text)[:12]
    return " AND ".join(_fts_word(w) for w in words) if words else None


def _fts_word(word):
    others = other_spellings(word)
    if not others:
        return f'"{word}"*'
    return "(" + " OR ".join([f'"{word}"*', *(f'"{other}"' for other in others)]) + ")"


class Pacer:
    """Lets a background open give the GIL back to the worker's requests often.

    The worker's event loop gives up the GIL at every SQLite call and socket operation of a
    search, and waits to get it back; while a thread doing Python or NumPy work holds it,
    that wait is up to the interpreter's switch interval (5 ms) each time, a dozen times a
    search. So the opening thread sleeps `rest` seconds (the real sleep, not gevent's:
    this is a native thread) after every `work` seconds it ran: the requests wait at most
    about `work` for the GIL; the open takes a little longer, the old file answering."""

    def __init__(self, work=0.001, rest=0.0002, sleep=None, clock=time.perf_counter):
        self.work, self.rest = work, rest
        self.sleep = sleep or _real_sleep()
        self.clock = clock
        self.since = clock()

    def __call__(self):
        if self.clock() - self.since >= self.work:
            self.sleep(self.rest)
            self.since = self.clock()


def _real_sleep():
    try:
        from gevent import monkey
    except ImportError:
        return time.sleep
    return monkey.get_original("time", "sleep")


class _Snapshot:
    """One opened store file: its connection, arrays and identity."""

    def __init__(self, path, pause=column_file._no_pause):
        self.file = HeldFile(path, check_same_thread=False)
        self.identity, self.db = self.file.identity, self.file.db
        meta = dict(self.db.execute(SELECT_META).fetchall())
        if meta.get("schema_version") != SCHEMA_VERSION:
            # A file built by another version has other columns: refuse it (503, /readyz
            # false) rather than answer wrongly, until the indexer rebuilds it.
            self.file.close()
            raise StoreUnavailable(
                f"the store at {path} was built by another version (schema "
                f"{meta.get('schema_version')}, this code reads {SCHEMA_VERSION}): "
                "re-run the indexer")
        try:
            # Mapped, not read: no copy, the page cache's pages shared by every worker.
            self.columns = column_file.MappedColumns(path, meta["column_file"],
                                                     meta["column_layout"], _read_column,
                                                     pause)
        except BaseException:
            self.file.close()
            raise
        self.meta = meta
        self.index = VectorIndex(dict(self.columns.arrays), json.loads(meta["column_meta"]))


def _read_column(buffer, offset, dtype, shape):
    """One column array: a read-only view of the mapped column file."""
    return column_file.array_view(buffer, offset, dtype, shape)


def _identity(path):
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns, st.st_size


RETIRE_AFTER_S = 1.0


def _retire(snap, sleep=None):
    """An old snapshot closed and let go in the background thread, a second after the
    last request took it (one that took it just before the swap finishes first): its
    connection closed, its live state dropped (a cycle, snap.live.snap, that only a
    garbage collection inside some request would otherwise free, arrays and all)."""
    (sleep or _real_sleep())(RETIRE_AFTER_S)
    snap.file.close()
    snap.live = snap.prepared_live = None


def background_runner():
    """How this process opens a new store file off the request path: gevent's pool of
    native threads in a gevent worker (preparing a large file's live state takes long
    enough to stall every request of the worker; reading its columns did, 1 s at 1M,
    before they were mapped), or None: open it inline, in whatever thread asks first
    (tests, the indexer, scripts)."""
    try:
        from gevent import monkey
    except ImportError:
        return None
    if not monkey.is_module_patched("threading"):
        return None
    import gevent

    return gevent.get_hub().threadpool.spawn


class SqliteStore(SearchStore):
    name = "embedded"

    def __init__(self, path, spawn=None):
        """`spawn(fn, *args)` runs fn off the request path (default: background_runner);
        with one, a renamed-in file is opened there while the old one keeps answering."""
        self.path = os.path.abspath(path)
        self._snap = None
        self._lock = threading.Lock()
        self._overlay = None
        self._spawn = spawn if spawn is not None else background_runner()
        # Background opening: the identity being opened, the snapshot it gave (handed
        # over by plain assignment, no lock shared with the other thread), a failure.
        self._opening, self._opened, self._failed = None, None, None

    def set_live_overlay(self, overlay):
        """Merge live bed figures (search/live_overlay.py) over the indexed ones."""
        self._overlay = overlay

    def _live(self, snap):
        return self._overlay.prepare(snap) if self._overlay is not None else {}

    def _merged(self, doc, live):
        """A record with its live beds and its public-report standing merged."""
        doc = merge_into(doc, live)
        return with_standing(doc, self._overlay.standings()) if self._overlay else doc

    def _snapshot(self):
        try:
            identity = _identity(self.path)
        except FileNotFoundError:
            raise StoreUnavailable(f"no index at {self.path}: run the indexer first") from None
        with self._lock:
            current = self._snap
            if current is not None and current.identity == identity:
                return current
            opened = self._opened
            if opened is not None and opened.identity == identity:
                self._install(opened)
                return opened
            if opened is not None:
                # Opened in the background, but the file was replaced again since: let
                # go off the request path too (it may be the last holder of its file).
                self._opened = None
                self._spawn(_retire, opened)
            if current is None or self._spawn is None or self._failed == identity:
                # Nothing to answer with meanwhile, or the background open failed: open
                # here, so the error (StoreUnavailable) reaches the caller.
                self._install(_Snapshot(self.path))
                self._failed = None
                return self._snap
            if self._opening != identity:
                self._opening = identity
                self._spawn(self._open_in_background, identity)
            return current

    def _install(self, snap):
        old, self._snap = self._snap, snap
        self._opened = self._opening = None
        if old is not None and old is not snap:
            if self._spawn is None:
                old.file.close()
            else:
                # Closed and let go in the background thread: in a request, closing the
                # old connection and freeing its arrays held the worker 20 ms and more
                # (gevent's monitor, issue 25). No search uses it any more: a request
                # takes its snapshot at its start and is done with it within the second.
                self._spawn(_retire, old)

    def _open_in_background(self, identity):
        """In the background thread: the new file opened, its columns mapped and its live
        state prepared (LiveOverlay.warm), so the request that installs it does only what
        changed meanwhile; the old file answers until then."""
        snap = None
        try:
            pause = Pacer()
            snap = _Snapshot(self.path, pause)
            if self._overlay is not None:
                self._overlay.warm(snap, pause)
            self._opened = snap
        except Exception:  # noqa: BLE001 - reported by the inline open that follows
            self._failed, self._opening = identity, None
            if snap is not None:
                snap.file.close()  # opened but not prepared: its file let go, not kept

    def warm(self):
        """Open the file and prepare the live overlay's state of it now: done by a
        worker's first search, they kept every connection of that worker waiting (0.1-0.25 s
        at 100k records, seconds at 1M: the only greenlet gevent's monitor found holding a
        worker for over 20 ms under wrk, issue 25), at every start and recycle."""
        self._live(self._snapshot())

    def search(self, query):
        snap = self._snapshot()
        live = self._live(snap)
        text_rows = self._text_rows(snap, query) if query.q else None
        ranked = snap.index.rank(query, text_rows)
        docs = self._docs(snap, ranked.rows)
        # Plain floats once per array, not a NumPy scalar per hit (same values).
        components = {k: v.tolist() for k, v in ranked.components.items()}
        open_beds, reported_at = ranked.open_beds.tolist(), ranked.reported_at.tolist()
        distances, scores = ranked.distance_m.tolist(), ranked.score.tolist()
        hits = []
        for i, row in enumerate(ranked.rows.tolist()):
            capacity = None
            if docs[row]["kind"] == "treatment_facility":
                beds = open_beds[i]
                capacity = {"open": None if beds != beds else int(beds),
                            "reported_at": epoch_to_iso(reported_at[i])}
            shown = {k: (None if v[i] != v[i] else round(v[i], 4))
                     for k, v in components.items()}
            # Only a hit with confirmed public-report problems says so.
            if shown.get("confirmed_problems", 0) is None:
                del shown["confirmed_problems"]
            hits.append(Hit(self._merged(docs[row], live), distances[i], scores[i], shown,
                            capacity))
        return SearchResult(ranked.total, hits)

    def _text_rows(self, snap, query):
        expression = fts_expression(query.q)
        if expression is None:
            return None
        band_lat = query.radius_m / 111_000.0 + 0.01
        band_lon = band_lat / max(np.cos(np.radians(query.lat)), 0.05)
        if region_zones(query, snap.index.zone_names):
            # Online meetings found by time zone lie outside the box: match everywhere.
            rows = snap.db.execute(TEXT_ANYWHERE, (expression,)).fetchall()
        else:
            rows = snap.db.execute(TEXT_IN_BOX, (
                expression, query.lat - band_lat, query.lat + band_lat,
                query.lon - band_lon, query.lon + band_lon)).fetchall()
        # Rowids are 1-based positions in latitude order; array rows are 0-based.
        return np.fromiter((r[0] - 1 for r in rows), dtype=np.int64, count=len(rows))

    @staticmethod
    def _docs(snap, rows):
        if len(rows) == 0:
            return {}
        rowids = [int(r) + 1 for r in rows]
        sql = SELECT_BY_ROWIDS.format(marks=",".join("?" * len(rowids)))
        # Validated records: orjson reads them as json.loads would (fast_json.loads_record).
        return {rowid - 1: fast_json.loads_record(doc)
                for rowid, doc in snap.db.execute(sql, rowids)}

    def get(self, record_id):
        snap = self._snapshot()
        row = snap.db.execute(SELECT_BY_ID, (record_id,)).fetchone()
        return self._merged(json.loads(row[0]), self._live(snap)) if row else None

    def resolve_alias(self, alias):
        row = self._snapshot().db.execute(SELECT_ALIAS, (alias,)).fetchone()
        return row[0] if row else None

    def service_region_meta(self):
        return self._snapshot().meta.get("service_region")

    def build_id(self):
        # `built_at` (to the microsecond) names the run; every worker reads the same file.
        snap = self._snapshot()
        return f"embedded:{snap.meta.get('built_at') or snap.identity}"

    def exists(self):
        return os.path.exists(self.path)

    def scan(self, kinds=(), modified_after=None, after=None, limit=None):
        clauses, params = [], []
        if after is not None:
            # The UNIQUE index on id: a page starts where the last one ended, at no cost.
            clauses.append("id > ?")
            params.append(after)
        if kinds:
            clauses.append(f"kind IN ({','.join('?' * len(kinds))})")
            params += list(kinds)
        if modified_after is not None:
            # ISO 8601 UTC strings ("...Z") compare in time order.
            clauses.append("json_extract(doc, '$.updated_at') > ?")
            params.append(modified_after.astimezone(timezone.utc).isoformat()
                          .replace("+00:00", "Z"))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        if limit is not None:
            params.append(int(limit))
        # Exports show live beds too, merged as search and records merge them.
        live = self._live(self._snapshot()) if self._overlay is not None else {}
        # A connection of its own, so a long export does not hold up searches.
        held = HeldFile(self.path)
        try:
            for (doc,) in held.db.execute(SCAN.format(
                    where=where, limit="" if limit is None else " LIMIT ?"), params):
                yield self._merged(json.loads(doc), live)
        finally:
            # In the request: SQLite's close is not the last (HeldFile), and ours, which
            # may free a file swapped out during the export, goes to the background.
            held.db.close()
            if self._spawn is None:
                held.release()
            else:
                self._spawn(held.release)

    def health(self):
        try:
            snap = self._snapshot()
        except StoreUnavailable as exc:
            return {"ok": False, "detail": str(exc), "records": None}
        return {"ok": True, "detail": f"embedded store built {snap.meta.get('built_at')}",
                "records": int(snap.meta["records"])}

    def stats(self):
        snap = self._snapshot()
        counts = {kind: int(hi - lo) for kind, (lo, hi) in snap.index.segments.items()}
        return {"records_by_kind": counts, "built_at": snap.meta.get("built_at")}

    def close(self):
        with self._lock:
            if self._snap is not None:
                self._snap.file.close()
                self._snap = None
            opened, self._opened = self._opened, None
            if opened is not None:
                opened.file.close()

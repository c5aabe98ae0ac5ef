"""Builds a new versioned Elasticsearch index and swaps the alias to it in one step.

The same interface as `SqliteIndexWriter`: a context manager, `add` (an id or alias given
twice raises `DuplicateId`), `commit(meta)` and `abort`. Documents go in through
`helpers.streaming_bulk` into `<prefix>-<UTC timestamp>` with refresh off; a document Elasticsearch refuses is reported per record in
`item_errors` and fails the run. Live bed figures are re-read from the availability
database just before the swap, because they are not in the source files at all, and
the facilities changed since are pushed again just after it. Any
failure deletes the new index and leaves the alias, and so the serving index, untouched.
"""
import logging
import re
from datetime import datetime, timezone

from elasticsearch import ApiError, TransportError, helpers

from directory_service.search import es_mapping
from directory_service.search.es_settings import index_settings
from directory_service.search.store import DuplicateId, IndexRejected, StoreError

log = logging.getLogger(__name__)
CHUNK = 500


def bulk_failures(results):
    """(record id, reason) for every refused item of streaming_bulk's (ok, item) pairs."""
    failures = []
    for ok, item in results:
        if ok:
            continue
        (op,) = item.values()
        error = op.get("error") or {}
        reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
        kind = error.get("type", "error") if isinstance(error, dict) else "error"
        failures.append((op.get("_id"), f"{kind}: {reason}"))
    return failures


def rejected_lines(failures, limit=50):
    """The refused records as the indexer reports rejected rows: one line each."""
    lines = [f"rejected record {record_id}: {reason}" for record_id, reason in failures[:limit]]
    if len(failures) > limit:
        lines.append(f"... and {len(failures) - limit} more")
    return "\n".join(lines)


def swap_alias(indices, alias, new_index, keep_versions):
    """Point `alias` at `new_index` in one atomic update, then keep `keep_versions` previous
    versions for a rollback and delete older ones. `indices` is a client's `indices`
    namespace. Returns the names deleted."""
    current = list(indices.get_alias(name=alias, ignore_unavailable=True)) \
        if indices.exists_alias(name=alias) else []
    actions = [{"remove": {"index": name, "alias": alias}} for name in current]
    actions.append({"add": {"index": new_index, "alias": alias}})
    indices.update_aliases(actions=actions)
    version = re.compile(rf"^{re.escape(alias)}-\d{{8}}t\d{{12}}$")
    versions = sorted(name for name in indices.get(index=f"{alias}-*") if version.match(name))
    stale = [name for name in versions[:-(max(0, keep_versions) + 1)] if name != new_index]
    if stale:
        indices.delete(index=",".join(stale))
    return stale


def open_availability(settings):
    """The availability database, or None where this install has none."""
    try:
        from directory_service.availability.db import AvailabilityDB
    except ImportError:
        return None
    return AvailabilityDB.from_settings(settings)


def live_figures(adb):
    """(change sequence, {facility_id: live rows with each counted hold's expiry}).

    The sequence is read first: a change committed after it may or may not be in the
    figures, and is pushed again after the swap (`ElasticsearchIndexWriter._catch_up`).
    """
    from directory_service.availability.changes import current_seq
    from directory_service.availability.figures import LIVE_FACILITIES
    from directory_service.search.es_store import fresh_rows

    with adb.read() as db:
        seq = current_seq(db)
        return seq, {fid: fresh_rows(db, fid) for (fid,) in db.execute(LIVE_FACILITIES)}


class ElasticsearchIndexWriter:
    def __init__(self, client, settings, now=None):
        self.client, self.settings = client, settings
        self.alias = settings.elasticsearch_index_prefix
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dt%H%M%S%f")
        self.index = f"{self.alias}-{stamp}"
        self.item_errors = []
        self.count = 0
        self._ids, self._aliases, self._zones, self._buffer = set(), set(), set(), []
        self._beds = {}
        self._created = False

    @classmethod
    def from_settings(cls, settings):
        from directory_service.search.es_store import make_client

        return cls(make_client(settings, settings.elasticsearch_indexer_timeout_s), settings)

    def __enter__(self):
        from directory_service.search.es_store import check_version, engine_errors

        with engine_errors("create a new index"):
            check_version(self.client.info())
            self.client.indices.put_index_template(
                name=f"{self.alias}-template",
                **es_mapping.index_template(self.alias, index_settings(self.settings)))
            self.client.indices.create(index=self.index, settings={"refresh_interval": "-1"})
        self._created = True
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._created:
            self.abort()
        return False

    def add(self, record):
        """Queue one validated record; an id or alias given twice raises DuplicateId."""
        aliases = set(record.get("aliases") or ())
        if record["id"] in self._ids or aliases & self._aliases:
            raise DuplicateId(f"{record['id']}: id or alias already written in this run")
        self._ids.add(record["id"])
        if record["kind"] == "treatment_facility":
            # Live rows are merged over these before the swap (live_overlay.merge_live).
            self._beds[record["id"]] = record.get("beds") or []
        self._aliases |= aliases
        self.count += 1
        self._zones.add(record["timezone"])
        self._buffer.append({"_op_type": "index", "_index": self.index, "_id": record["id"],
                             "_source": es_mapping.document(record)})
        if len(self._buffer) >= CHUNK:
            from directory_service.search.es_store import engine_errors

            # A record refused in a full chunk is named now, like a rejected row; a
            # transport failure mid-run is a StoreUnavailable (exit 2), not a traceback.
            with engine_errors("write records"):
                self.item_errors += self._flush()

    def _flush(self, actions=None):
        actions, self._buffer = (actions if actions is not None else self._buffer), []
        if not actions:
            return []
        results = helpers.streaming_bulk(self.client, actions, chunk_size=CHUNK,
                                         raise_on_error=False, max_retries=3)
        return bulk_failures(results)

    def commit(self, meta=None):
        """Check, re-apply live beds, refresh, count, swap; return the number of records.

        Raises IndexRejected (after deleting the new index) when any record was refused.
        """
        from directory_service.search.es_store import engine_errors

        try:
            with engine_errors("build the new index"):
                return self._commit(meta)
        except BaseException:
            self.abort()
            raise

    def _commit(self, meta):
        self.item_errors += self._flush()
        if self.item_errors:
            raise IndexRejected(f"Elasticsearch refused {len(self.item_errors)} records, "
                                f"first {self.item_errors[0][0]}: {self.item_errors[0][1]}\n"
                                + rejected_lines(self.item_errors))
        adb = open_availability(self.settings)
        try:
            seq = self._apply_live_beds(adb)
            self._swap(meta)
            self._catch_up(adb, seq)
        finally:
            if adb is not None:
                adb.close()
        return self.count

    def _swap(self, meta):
        self.client.indices.put_settings(index=self.index, settings={"refresh_interval": "1s"})
        self.client.indices.refresh(index=self.index)
        indexed = self.client.count(index=self.index)["count"]
        if indexed != self.count:
            raise IndexRejected(f"{indexed} documents in {self.index}, expected {self.count}")
        self.client.indices.put_mapping(index=self.index, meta={
            "zones": sorted(self._zones), "records": self.count,
            "built_at": datetime.now(timezone.utc).isoformat(), **(meta or {})})
        deleted = swap_alias(self.client.indices, self.alias, self.index,
                             self.settings.elasticsearch_keep_versions)
        self._created = False
        log.info("alias %s now on %s (%d records); deleted %s", self.alias, self.index,
                 self.count, ", ".join(deleted) or "nothing")

    def _catch_up(self, adb, seq):
        """Push again every facility changed since the snapshot: a report or hold made
        between the snapshot and the swap was pushed to the old index only. Pushes after
        the swap reach the new one through the alias; each re-reads the database
        (es_store.push_live_beds), so the last to land is the newest."""
        if adb is None or seq is None:
            return
        from directory_service.search.es_store import fresh_rows, push_live_beds

        from directory_service.availability.changes import changed_since

        db = adb.read()
        changed = [fid for fid, _ in changed_since(db, seq) if fid in self._beds]
        missed = []
        for facility_id in changed:
            try:
                push_live_beds(self.client, self.alias, facility_id,
                               lambda fid=facility_id: fresh_rows(db, fid))
            except (StoreError, ApiError) as exc:
                missed.append(f"{facility_id} ({exc})")
        if missed:
            # The swap is done and serving; say which facilities show older figures
            # until their next change, rather than fail a run that succeeded.
            log.warning("live beds changed during the swap were not pushed for %d "
                        "facilities: %s", len(missed), "; ".join(missed[:20]))

    def _apply_live_beds(self, adb):
        """Merge the live rows into the new index; returns the change sequence read."""
        from directory_service.search.live_overlay import merge_live

        if adb is None:
            return None
        seq, figures = live_figures(adb)
        updates = []
        for facility_id, rows in figures.items():
            if facility_id not in self._beds:
                continue
            merged = merge_live({"kind": "treatment_facility",
                                 "beds": self._beds[facility_id]}, rows)["beds"]
            updates.append({"_op_type": "update", "_index": self.index, "_id": facility_id,
                            "doc": {"beds_by_level": es_mapping.beds_by_level(
                                merged, complete=True)}})
        failures = self._flush(updates) if updates else []
        if failures:
            self.item_errors += failures
            raise IndexRejected(f"live bed figures could not be applied to {len(failures)} "
                                f"facilities, first {failures[0][0]}: {failures[0][1]}")
        return seq

    def abort(self):
        """Delete the half-built index; the alias was never moved."""
        if self._created:
            self._created = False
            try:
                self.client.indices.delete(index=self.index, ignore_unavailable=True)
            except (TransportError, ApiError) as exc:
                # The alias never moved, so nothing serves from it; say what to remove by hand.
                log.warning("could not delete the unfinished index %s (%s); delete it by hand",
                            self.index, type(exc).__name__)

"""Builds a new versioned Elasticsearch index and swaps the alias to it in one step.

The same interface as `SqliteIndexWriter`: a context manager, `add` (an id or alias given
twice raises `DuplicateId`), `commit(meta)` and `abort`. Documents go in through
`helpers.streaming_bulk` into `<prefix>-<UTC timestamp>` with refresh off, each with the
outbox position at the start of the run as its external version; a document
Elasticsearch refuses is reported per record in `item_errors` and fails the run. Live bed
figures are not in the source files at all: they are read from the availability database
just before the swap (the snapshot) and written at the snapshot's outbox position, which
becomes the new index's sync position; every change after it is replayed onto the new
index just after the swap (sync.py). Any failure deletes the new index and leaves the
alias, and so the serving index, untouched.

Two runs for one alias never overlap: a run holds a lease in the availability database
(outbox.take_lease, `elasticsearch-index-run:<alias>`, renewed at every chunk) from
before it creates its index until it is done, and a second run stops at once with
IndexRunBusy. The alias moves only once the new index's shards are active (cluster
health at ELASTICSEARCH_SWAP_HEALTH).
"""
import logging
import random
import re
from datetime import datetime, timezone

from directory_service.availability import outbox
from directory_service.service_region import RegionBuilder
from directory_service.search.elastic import mapping as es_mapping
from directory_service.search.elastic import sync
from directory_service.search.elastic.client import (
    ApiError, TransportError, engine_errors, helpers, make_client)
from directory_service.search.elastic.settings import index_settings
from directory_service.search.store import DuplicateId, IndexRejected, StoreError

log = logging.getLogger(__name__)
CHUNK = 500
REPLAY_ATTEMPTS = 3
# A run renews its lease at every chunk; a run that died frees it after this.
RUN_LEASE_TTL_S = 600.0


class IndexRunBusy(StoreError):
    """Another index run for the same alias is in progress."""


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
    """(snapshot position, {facility_id: live rows with each counted hold's expiry}).

    The outbox position is read first, so the figures hold every change up to it (and
    perhaps later ones); the sync replays every row after it once the alias has moved.
    """
    from directory_service.availability.figures import LIVE_FACILITIES

    with adb.read() as db:
        position = outbox.last_seq(db)
        return position, {fid: sync.fresh_rows(db, fid)
                          for (fid,) in db.execute(LIVE_FACILITIES)}


class ElasticsearchIndexWriter:
    def __init__(self, client, settings, now=None):
        self.client, self.settings = client, settings
        self.alias = settings.elasticsearch_index_prefix
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dt%H%M%S%f")
        self.index = f"{self.alias}-{stamp}"
        self.item_errors = []
        self.count = 0
        self._ids, self._aliases, self._zones, self._buffer = set(), set(), set(), []
        self._facilities = set()
        # The region the records cover, kept in the index's _meta (service_region.py).
        self._region = RegionBuilder()
        self._created = False
        # Every document is written with this external version: the outbox position when
        # the run started. Live figures applied at commit carry the snapshot's (later)
        # position, and every change after that is pushed with its own seq (sync.py).
        self._adb, self._start_position = None, 0
        self._run_token = random.SystemRandom().randrange(1, 2 ** 62)
        self._leased = False

    @classmethod
    def from_settings(cls, settings):
        return cls(make_client(settings, settings.elasticsearch_indexer_timeout_s), settings)

    def __enter__(self):
        from directory_service.search.elastic.store import check_version

        try:
            with engine_errors("create a new index"):
                check_version(self.client.info())
                self.client.indices.put_index_template(
                    name=f"{self.alias}-template",
                    **es_mapping.index_template(self.alias, index_settings(self.settings)))
                # Read before anything is created: a failure here leaves nothing behind.
                self._adb = open_availability(self.settings)
                if self._adb is not None:
                    self._take_run_lease()
                    self._start_position = outbox.last_seq(self._adb.read())
                self.client.indices.create(index=self.index,
                                           settings={"refresh_interval": "-1"})
        except BaseException:
            self._close_availability()  # __exit__ is not called when __enter__ raises
            raise
        self._created = True
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._created:
            self.abort()
        self._close_availability()
        return False

    def _run_lease_name(self):
        return f"elasticsearch-index-run:{self.alias}"

    def _take_run_lease(self):
        """Take (or renew) this run's lease; IndexRunBusy while another run holds it."""
        held, until = outbox.take_lease(self._adb, self._run_lease_name(), self._run_token,
                                        RUN_LEASE_TTL_S)
        if not held:
            raise IndexRunBusy(
                f"another index run for alias {self.alias!r} is in progress (its lock runs "
                f"until {until.isoformat()} unless renewed); run again once it is done")
        self._leased = True

    def _close_availability(self):
        if self._adb is not None:
            if self._leased:
                outbox.release_lease(self._adb, self._run_lease_name(), self._run_token)
                self._leased = False
            self._adb.close()
            self._adb = None

    def add(self, record):
        """Queue one validated record; an id or alias given twice raises DuplicateId."""
        aliases = set(record.get("aliases") or ())
        if record["id"] in self._ids or aliases & self._aliases:
            raise DuplicateId(f"{record['id']}: id or alias already written in this run")
        self._ids.add(record["id"])
        if record["kind"] == "treatment_facility":
            # Live rows are merged over its own rows before the swap (sync.push).
            self._facilities.add(record["id"])
        self._aliases |= aliases
        self.count += 1
        self._zones.add(record["timezone"])
        self._region.add(record)
        self._buffer.append({"_op_type": "index", "_index": self.index, "_id": record["id"],
                             "_version": self._start_position, "_version_type": "external",
                             "_source": es_mapping.document(record)})
        if len(self._buffer) >= CHUNK:
            # A record refused in a full chunk is named now, like a rejected row; a
            # transport failure mid-run is a StoreUnavailable (exit 2), not a traceback.
            with engine_errors("write records"):
                self.item_errors += self._flush()
            if self._leased:
                self._take_run_lease()

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
        if self._leased:
            self._take_run_lease()
        position = self._apply_live_beds()
        self._swap(meta)
        self._replay(position)
        return self.count

    def _swap(self, meta):
        self.client.indices.put_settings(index=self.index, settings={"refresh_interval": "1s"})
        self.client.indices.refresh(index=self.index)
        indexed = self.client.count(index=self.index)["count"]
        if indexed != self.count:
            raise IndexRejected(f"{indexed} documents in {self.index}, expected {self.count}")
        self._wait_for_shards()
        self.client.indices.put_mapping(index=self.index, meta={
            "zones": sorted(self._zones), "records": self.count,
            "built_at": datetime.now(timezone.utc).isoformat(), **self._region.meta(),
            **(meta or {})})
        deleted = swap_alias(self.client.indices, self.alias, self.index,
                             self.settings.elasticsearch_keep_versions)
        self._created = False
        log.info("alias %s now on %s (%d records); deleted %s", self.alias, self.index,
                 self.count, ", ".join(deleted) or "nothing")

    def _wait_for_shards(self):
        """Wait (up to the indexer's timeout) until the new index's shards are active at
        ELASTICSEARCH_SWAP_HEALTH (green: every replica too; yellow: every primary), so
        the alias never moves to an index that cannot answer. Elasticsearch answers 408
        with `timed_out` when the wait runs out: the run fails and the alias stays."""
        wanted = getattr(self.settings, "elasticsearch_swap_health", "green")
        timeout = f"{int(self.settings.elasticsearch_indexer_timeout_s)}s"
        health = self.client.options(ignore_status=408).cluster.health(
            index=self.index, wait_for_status=wanted, timeout=timeout)
        if health.get("timed_out"):
            raise IndexRejected(
                f"{self.index} did not reach {wanted} within {timeout} (status "
                f"{health.get('status')}, {health.get('unassigned_shards')} unassigned shards, "
                f"{health.get('initializing_shards')} initializing); the alias was not moved")

    def _replay(self, position):
        """Push every outbox row after the snapshot onto the new index, now serving: a
        report or hold made between the snapshot and the swap reached the old index only.

        The new index's sync position is the snapshot's, so if the cluster refuses here
        the API workers' loop (or `flask sync`) replays the same rows later; the run,
        already swapped and serving, does not fail for it.
        """
        if self._adb is None or position is None:
            return
        replay = sync.OutboxSync(self.client, self.alias, self._adb)
        try:
            done = replay.catch_up_with_retries(index=self.index, attempts=REPLAY_ATTEMPTS)
        except (StoreError, ApiError, TransportError) as exc:
            log.warning("changes after the snapshot (outbox position %d) are not on %s yet; "
                        "the sync pushes them from that position: %s", position, self.index,
                        str(exc) or type(exc).__name__)
            return
        if done.get("busy"):
            log.info("another process holds the outbox lease; it pushes the changes after "
                     "the snapshot (outbox position %d) onto %s", position, self.index)
            return
        if done["rows"]:
            log.info("replayed %d outbox rows onto %s (%d pushed, %d already newer)",
                     done["rows"], self.index, done["pushed"], done["stale"])

    def _apply_live_beds(self):
        """Merge the live rows into the new index at the snapshot's position; returns it.

        The documents were written at the run's start position (never later than the
        snapshot), so `external_gte` lets the snapshot's figures replace them even when
        nothing changed in between. The new index's sync position becomes the snapshot's.
        """
        if self._adb is None:
            return None
        position, figures = live_figures(self._adb)
        versions = {fid: position for fid in figures if fid in self._facilities}
        result = sync.push(self.client, self.index, versions, figures.get,
                           version_type="external_gte")
        failures = result.refused + [(fid, "not found in the new index")
                                     for fid in result.missing]
        if failures:
            self.item_errors += failures
            raise IndexRejected(f"live bed figures could not be applied to {len(failures)} "
                                f"facilities, first {failures[0][0]}: {failures[0][1]}")
        outbox.advance(self._adb, sync.target(self.index), position)
        return position

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

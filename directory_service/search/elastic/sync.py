"""Live beds into Elasticsearch from the transactional outbox (issue 12, item 3).

Every report or hold change commits one outbox row (availability/outbox.py) with it. This
module pushes those changes to the index and records how far it got, per concrete index:

- A batch reads the pending outbox rows first, then each facility's CURRENT document
  (mget from the concrete index behind the alias) and live rows, and writes the document
  back in one bulk request with **external versioning**: the version is the outbox seq
  of the facility's newest change seen. The figures are read after that row committed,
  so they are at least that new; Elasticsearch refuses a version not above the stored
  one (409), so an older push never replaces a newer one, whoever sends it. A 409 means
  "already newer": success.
- Positions are kept per concrete index (`elasticsearch:<index>`). The index writer
  gives a new index its snapshot's position before the alias swap, so after the swap the
  sync replays every row after that position onto the new index, with no special case;
  a batch that resolved the alias just before a swap only updates the old index.
- Nothing is lost when the cluster is down: the rows stay pending, `/readyz` shows the
  lag, and the next batch (the job runner's consumer, directory_service/jobs/elastic.py,
  queued after each write and retried with backoff; or `flask sync`) catches up in seq
  order. API workers neither push nor poll (issue 23).
- One consumer at a time: a batch runs only while its holder has the outbox lease
  (outbox.take_lease, LEASE_TTL_S, renewed by every batch); the others skip their turn,
  and take over within LEASE_TTL_S when the holder dies. Pushes by two processes would
  still be safe by the versions; the lease stops two nodes re-pushing the same rows.
  The outbox is pruned by the runner once every consumer has passed (jobs/upkeep.py).

Only outbox.py reads or writes the outbox; this module never holds SQL of its own.
"""
import logging
import os
import random
import threading

from directory_service.availability import outbox, profiles, reports
from directory_service.search.elastic.client import ApiError, TransportError, engine_errors
from directory_service.search.elastic.mapping import beds_by_level, document
from directory_service.search.live_overlay import Live, merge_live, with_hold_expiries
from directory_service.search.store import StoreError, StoreUnavailable

log = logging.getLogger(__name__)
BATCH = 500
# `catch_up_with_retries`: back off exponentially (with jitter) while the cluster refuses.
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 60.0
# Item statuses worth retrying (the whole batch is retried; versions make that safe).
RETRY_STATUSES = {429, 500, 502, 503, 504}
# A change normally reaches the index within a second (the runner's consumer is queued
# right after the write). Pending rows older than this mean the cluster has refused or
# missed writes for longer than the runner's longest backoff: searches filter and rank by old
# figures (shown figures are merged live and stay right). /readyz marks it `alarming`.
LAG_ALARM_S = 60.0
# The outbox lease: renewed by every batch; a dead holder's lease is free after this.
LEASE_TTL_S = 30.0
_TOKENS = {}


def process_token():
    """This process's lease holder token: a random positive 62-bit number, new after a
    fork, so two workers never share one."""
    pid = os.getpid()
    if pid not in _TOKENS:
        _TOKENS[pid] = random.SystemRandom().randrange(1, 2 ** 62)
    return _TOKENS[pid]


def lease_name(alias):
    return f"elasticsearch-sync:{alias}"


def target(index):
    """The sync position's name for one concrete index."""
    return f"elasticsearch:{index}"


def fresh_rows(db, facility_id):
    """The facility's live rows as committed now, with each counted hold's expiry, and
    its profile (the fields it declared are searched as the merged record has them)."""
    return Live(with_hold_expiries(db, facility_id, reports.live_rows(db, facility_id)),
                profiles.overlay_for(db, facility_id))


def newest_versions(rows):
    """{facility_id: seq of its newest row} from outbox rows, in order of that seq. A row
    of no facility (an index run's event, facility_id "") changes no document."""
    newest = {}
    for row in rows:
        if not row["facility_id"]:
            continue
        newest.pop(row["facility_id"], None)
        newest[row["facility_id"]] = row["seq"]
    return newest


def backoff_s(failures, rand=random.random):
    """Seconds to wait after `failures` consecutive failures: 0.5, 1, 2 … capped, with up
    to 50 % jitter so workers that failed together do not retry together."""
    delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * (2 ** max(0, failures - 1)))
    return delay * (0.5 + rand() / 2)


class PushResult:
    """What one bulk push did, per facility id."""

    def __init__(self):
        self.pushed, self.stale, self.missing, self.refused = [], [], [], []

    def as_dict(self):
        return {"pushed": len(self.pushed), "stale": len(self.stale),
                "missing": len(self.missing), "refused": len(self.refused)}


def push(client, index, versions, read_rows, version_type="external"):
    """Write the current documents of `versions` ({facility_id: version}) to `index`.

    One mget, one bulk. A facility not in `index` is skipped (`missing`); a 409 is
    `stale` (the index holds a newer version); a retryable item status raises
    StoreUnavailable so the caller retries the batch; any other refusal is named in
    `refused` and logged (it would fail the same way on every retry).
    """
    result = PushResult()
    if not versions:
        return result
    with engine_errors("read documents for live beds"):
        found = client.mget(index=index, ids=list(versions))["docs"]
    operations = []
    for doc in found:
        facility_id = doc["_id"]
        if not doc.get("found"):
            result.missing.append(facility_id)
            continue
        source = doc["_source"]
        live = read_rows(facility_id)
        merged = merge_live(source["record"], live)
        if isinstance(live, Live) and live.profile is not None:
            # Searchable fields from the merged record; the stored record stays the
            # source's, and every read merges the profile over it again.
            source = {**document(merged), "record": source["record"]}
        if merged.get("kind") == "treatment_facility":
            source["beds_by_level"] = beds_by_level(merged.get("beds") or (), complete=True)
        operations.append({"index": {"_index": index, "_id": facility_id,
                                     "version": versions[facility_id],
                                     "version_type": version_type}})
        operations.append(source)
    if not operations:
        return result
    with engine_errors("write live beds"):
        response = client.bulk(operations=operations)
    retry = []
    for item in response["items"]:
        (op,) = item.values()
        status = op.get("status", 500)
        if 200 <= status < 300:
            result.pushed.append(op["_id"])
        elif status == 409:
            result.stale.append(op["_id"])
        elif status in RETRY_STATUSES:
            retry.append(op["_id"])
        else:
            error = op.get("error") or {}
            reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
            result.refused.append((op["_id"], f"{status}: {reason}"))
    if retry:
        raise StoreUnavailable(f"Elasticsearch deferred live beds of {len(retry)} facilities "
                               f"(first {retry[0]}); the batch is retried")
    if result.refused:
        log.error("Elasticsearch refused live beds of %d facilities: %s", len(result.refused),
                  "; ".join(f"{fid} ({why})" for fid, why in result.refused[:20]))
    return result


class OutboxSync:
    """Pushes outbox rows to the index behind `alias` and advances its position."""

    def __init__(self, client, alias, adb, batch=BATCH, holder=None,
                 lease_ttl_s=LEASE_TTL_S):
        self.client, self.alias, self.adb, self.batch = client, alias, adb, batch
        self.holder = holder or process_token()
        self.lease_ttl_s = lease_ttl_s

    def hold_lease(self):
        """Take or renew the outbox lease; False while another process holds it."""
        held, _ = outbox.take_lease(self.adb, lease_name(self.alias), self.holder,
                                    self.lease_ttl_s)
        return held

    def release_lease(self):
        outbox.release_lease(self.adb, lease_name(self.alias), self.holder)

    def serving_index(self):
        """The concrete index behind the alias, or None before the first index run."""
        with engine_errors("resolve the serving index"):
            if not self.client.indices.exists_alias(name=self.alias):
                return None
            return sorted(self.client.indices.get_alias(name=self.alias))[0]

    def run_once(self, index=None, limit=None):
        """Push one batch of pending rows; returns {"index", "rows", "position", …counts}.

        Positions are per concrete index, so a swap between resolving the alias and the
        bulk only sends this batch to the old index: the new one has its own position
        (the writer's snapshot) and gets the same rows on the next batch.
        """
        if not self.hold_lease():
            return {"index": index, "rows": 0, "position": None, "busy": True}
        index = index or self.serving_index()
        if index is None:
            return {"index": None, "rows": 0, "position": None}
        db = self.adb.read()
        after = outbox.position(db, target(index))
        rows = outbox.pending(db, after, limit or self.batch)
        if not rows:
            return {"index": index, "rows": 0, "position": after}
        result = push(self.client, index, newest_versions(rows),
                      lambda fid: fresh_rows(self.adb.read(), fid))
        outbox.advance(self.adb, target(index), rows[-1]["seq"])
        return {"index": index, "rows": len(rows), "position": rows[-1]["seq"],
                **result.as_dict()}

    def catch_up(self, index=None, max_batches=None):
        """Batches until nothing is pending (or `max_batches`); totals of the batches.

        `busy` when another holder has the lease (nothing pushed)."""
        total = {"index": index, "rows": 0, "pushed": 0, "stale": 0, "missing": 0,
                 "refused": 0, "position": None, "busy": False}
        batches = 0
        while max_batches is None or batches < max_batches:
            step = self.run_once(index=index)
            batches += 1
            if step.get("busy"):
                total["busy"] = True
                return total
            total["index"], total["position"] = step["index"], step["position"]
            for key in ("rows", "pushed", "stale", "missing", "refused"):
                total[key] += step.get(key, 0)
            if step["rows"] < self.batch:
                break
        return total

    def catch_up_with_retries(self, index=None, attempts=5, sleep=None, rand=random.random):
        """`catch_up`, retried with exponential backoff; the last failure is raised."""
        sleep = sleep or threading.Event().wait
        for attempt in range(1, attempts + 1):
            try:
                return self.catch_up(index=index)
            except (StoreError, ApiError, TransportError) as exc:
                if attempt == attempts:
                    if isinstance(exc, StoreError):
                        raise
                    raise StoreUnavailable(f"Elasticsearch refused the live-bed sync: "
                                           f"{exc}") from exc
                sleep(backoff_s(attempt, rand))

    def lag(self, now=None):
        """The outbox lag of the serving index (outbox.lag), or None without an index."""
        index = self.serving_index()
        if index is None:
            return None
        state = outbox.lag(self.adb.read(), target(index), now)
        return {"index": index, **state, "alarming": state["oldest_s"] > LAG_ALARM_S}

"""The Elasticsearch store: the only module on the API side that talks to the cluster.

Creating the store never connects, so the app starts while the cluster is down; every
call translates "cannot answer now" (connection refused, timeout, no alias yet, a server
of an unsupported version) into `StoreUnavailable`, which the API turns into a 503
problem response. Request bodies come from `query.py`, hits are explained by `scoring.py`.
"""
import logging
import time
from contextlib import contextmanager
from datetime import timezone

from directory_service.search.columns import epoch_to_iso
from directory_service.search.elastic.client import (
    ApiError, AuthenticationException, AuthorizationException, ConflictError, NotFoundError,
    TransportError, UnsupportedProductError, make_client)
from directory_service.search.elastic.mapping import DEFAULT_ZONE, beds_by_level
from directory_service.search.elastic.query import (
    build_alias_body, build_scan_body, build_search_body)
from directory_service.search.elastic.scoring import components_of
from directory_service.search.elastic.writer import ElasticsearchIndexWriter  # noqa: F401 (re-export)
from directory_service.search.live_overlay import merge_live, with_hold_expiries
from directory_service.search.store import Hit, SearchResult, SearchStore, StoreUnavailable

log = logging.getLogger(__name__)
SUPPORTED_MAJOR = 8
# Index meta (time zones, record count) is re-read this often, so a swap is noticed.
META_TTL_S = 30.0
CONFLICT_RETRIES = 5
SCAN_KEEP_ALIVE = "2m"
SCAN_PAGE = 1000


def check_version(info):
    """The server's version string, or StoreUnavailable when this client cannot use it."""
    number = info["version"]["number"]
    if int(number.split(".")[0]) != SUPPORTED_MAJOR:
        raise StoreUnavailable(f"Elasticsearch {number} is not supported; "
                               f"this service needs {SUPPORTED_MAJOR}.x")
    return number


@contextmanager
def engine_errors(action):
    """Turn the cluster's "cannot answer now" into StoreUnavailable; other errors pass.

    A server that is not Elasticsearch, refused credentials (401) and a missing privilege
    (403) are configuration faults the caller cannot fix by retrying: they are named so
    an operator can, and answered 503 (the indexer exits 2), never 500.
    """
    try:
        yield
    except TransportError as exc:
        raise StoreUnavailable(f"Elasticsearch unreachable during {action}: "
                               f"{type(exc).__name__}") from None
    except UnsupportedProductError:
        raise StoreUnavailable(
            f"the server at ELASTICSEARCH_URL is not Elasticsearch, or a proxy removed its "
            f"X-Elastic-Product header (during {action})") from None
    except AuthenticationException:
        raise StoreUnavailable(
            f"Elasticsearch refused the credentials (401) during {action}: check "
            f"ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/PASSWORD") from None
    except AuthorizationException as exc:
        raise StoreUnavailable(
            f"the Elasticsearch user lacks a privilege (403) to {action}: "
            f"{_reason(exc)}; see the roles in docs/elasticsearch.md") from None
    except ApiError as exc:
        if exc.meta.status >= 500 or exc.meta.status == 429 or exc.error in (
                "index_not_found_exception", "product_check_exception"):
            raise StoreUnavailable(f"Elasticsearch cannot {action}: {exc.error}") from None
        raise


def _reason(exc):
    """The server's reason for a refusal, without the request or credentials."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return error.get("reason") or str(exc.error)


def hits_from_response(response, query, live=None):
    """A search response (Elasticsearch's format) → SearchResult with explained hits.

    `live` ({facility_id: live rows}) is merged into each record with the embedded
    store's own merge, and the shown figures are recomputed from the merged rows, so a hit
    never shows the figures of the indexed files while a report says otherwise.
    """
    hits = []
    for raw in response["hits"]["hits"]:
        record, beds = raw["_source"]["record"], raw["_source"].get("beds_by_level") or {}
        rows = (live or {}).get(record["id"])
        if rows and record["kind"] == "treatment_facility":
            record = merge_live(record, rows)
            beds = beds_by_level(record["beds"])
        distance_m = float(raw["sort"][1])
        components, open_beds, reported = components_of(record, beds, distance_m, query)
        capacity = None
        if record["kind"] == "treatment_facility":
            capacity = {"open": open_beds,
                        "reported_at": None if reported is None else epoch_to_iso(reported)}
        shown = {k: None if v is None else round(v, 4) for k, v in components.items()}
        hits.append(Hit(record, distance_m, float(raw["_score"]), shown, capacity))
    return SearchResult(response["hits"]["total"]["value"], hits)


def fresh_rows(db, facility_id):
    """The facility's live rows as committed now, with each counted hold's expiry."""
    from directory_service.availability import reports

    return with_hold_expiries(db, facility_id, reports.live_rows(db, facility_id))


def push_live_beds(client, index, facility_id, read_rows):
    """Partial update of one facility's `beds_by_level`, checked by sequence number.

    `read_rows()` is called after each `get`, inside the retry: rows committed before a
    concurrent push are then read too, so whichever update wins last carries figures at
    least as new as every update before it (a conflict re-reads, never resends). The
    figures are the live rows merged over the indexed record (`merge_live`, as every
    output shows them) with each counted hold's expiry. False when the facility is not
    in `index`.
    """
    for _attempt in range(CONFLICT_RETRIES):
        try:
            with engine_errors("update live beds"):
                current = client.get(index=index, id=facility_id, source_includes=["record"])
                merged = merge_live(current["_source"]["record"], read_rows())
                update = {"beds_by_level": beds_by_level(merged.get("beds") or (),
                                                         complete=True)}
                client.update(index=index, id=facility_id, doc=update,
                              if_seq_no=current["_seq_no"],
                              if_primary_term=current["_primary_term"])
            return True
        except NotFoundError:
            log.warning("live beds for a facility not in the index were not pushed")
            return False
        except ConflictError:
            continue
    raise StoreUnavailable(f"live bed update kept conflicting after {CONFLICT_RETRIES} tries")


class ElasticsearchStore(SearchStore):
    name = "elasticsearch"
    # A live update is searchable after the index's refresh interval (1 s, writer.py).
    live_settle_s = 2.0

    def __init__(self, client, settings):
        self.client, self.settings = client, settings
        self.alias = settings.elasticsearch_index_prefix
        self._version_ok = False
        self._meta, self._meta_at, self._index = None, 0.0, None
        self._overlay = None

    def set_live_overlay(self, overlay):
        """Merge live rows (search/live_overlay.py) into every record this store returns."""
        self._overlay = overlay

    def _live(self):
        return self._overlay.live_rows() if self._overlay is not None else {}

    @classmethod
    def from_settings(cls, settings):
        return cls(make_client(settings, settings.elasticsearch_timeout_s), settings)

    def _ready(self):
        if not self._version_ok:
            with engine_errors("report its version"):
                check_version(self.client.info())
            self._version_ok = True

    def _index_meta(self):
        """The live index's `_meta` (time zones held, record count), cached briefly."""
        if self._meta is None or time.monotonic() - self._meta_at > META_TTL_S:
            with engine_errors("read the index mapping"):
                mappings = self.client.indices.get_mapping(index=self.alias)
            metas = [m["mappings"].get("_meta") or {} for m in mappings.values()]
            self._meta, self._meta_at = (metas[0] if metas else {}), time.monotonic()
            self._index = next(iter(mappings), None)
        return self._meta

    def build_id(self):
        """The concrete index behind the alias (each run writes a new one) and its
        `built_at`; a swap is seen within META_TTL_S, like the index's time zones."""
        self._ready()
        meta = self._index_meta()
        return f"elasticsearch:{self._index}:{meta.get('built_at')}"

    def search(self, query):
        self._ready()
        zones = tuple(self._index_meta().get("zones") or (DEFAULT_ZONE,))
        body = build_search_body(query, self.settings, zones)
        with engine_errors("search"):
            response = self.client.search(index=self.alias, body=body)
        return hits_from_response(response, query, self._live())

    def get(self, record_id):
        self._ready()
        try:
            with engine_errors("get a record"):
                found = self.client.get(index=self.alias, id=record_id, source_includes=["record"])
        except NotFoundError:
            return None
        record = found["_source"]["record"]
        return merge_live(record, self._live().get(record["id"]))

    def resolve_alias(self, alias):
        self._ready()
        with engine_errors("look up an alias"):
            response = self.client.search(index=self.alias, body=build_alias_body(alias))
        hits = response["hits"]["hits"]
        return hits[0]["_source"]["id"] if hits else None

    def exists(self):
        self._ready()
        with engine_errors("look for the serving index"):
            return bool(self.client.indices.exists_alias(name=self.alias))

    def health(self):
        try:
            with engine_errors("report its health"):
                version = check_version(self.client.info())
                if not self.client.indices.exists_alias(name=self.alias):
                    return {"ok": False, "records": None,
                            "detail": f"no index behind alias {self.alias!r}: run the indexer"}
                records = self.client.count(index=self.alias)["count"]
        except StoreUnavailable as exc:
            return {"ok": False, "detail": str(exc), "records": None}
        return {"ok": True, "records": records,
                "detail": f"Elasticsearch {version}, alias {self.alias}"}

    def scan(self, kinds=(), modified_after=None, after=None, limit=None):
        self._ready()
        after_iso = None
        if modified_after is not None:
            after_iso = modified_after.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        with engine_errors("open a point in time"):
            pit = self.client.open_point_in_time(index=self.alias, keep_alive=SCAN_KEEP_ALIVE)["id"]
        remaining, live = limit, self._live()
        try:
            while remaining is None or remaining > 0:
                size = SCAN_PAGE if remaining is None else min(SCAN_PAGE, remaining)
                body = build_scan_body(kinds, after_iso, after, size)
                body["pit"] = {"id": pit, "keep_alive": SCAN_KEEP_ALIVE}
                with engine_errors("export"):
                    page = self.client.search(body=body)
                pit = page.get("pit_id", pit)
                rows = page["hits"]["hits"]
                for row in rows:
                    record = row["_source"]["record"]
                    yield merge_live(record, live.get(record["id"]))
                if remaining is not None:
                    remaining -= len(rows)
                if len(rows) < body["size"]:
                    return
                after = rows[-1]["sort"][0]
        finally:
            with engine_errors("close a point in time"):
                self.client.close_point_in_time(id=pit)

    def live_beds_changed(self, facility_id, rows):
        """Push one facility's current bed figures (see `push_live_beds`).

        With the availability database at hand the rows are re-read after each version
        check, so a stale body never replaces a newer one; `rows` serve only without it.
        """
        if self._overlay is None:
            return push_live_beds(self.client, self.alias, facility_id, lambda: rows)
        return push_live_beds(self.client, self.alias, facility_id,
                              lambda: fresh_rows(self._overlay.adb.read(), facility_id))

    def close(self):
        self.client.close()

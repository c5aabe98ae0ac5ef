"""The Elasticsearch store: the only module on the API side that talks to the cluster.

Creating the store never connects, so the app starts while the cluster is down; every
call translates "cannot answer now" (connection refused, timeout, no alias yet, a server
of an unsupported version) into `StoreUnavailable`, which the API turns into a 503
problem response. Request bodies come from `query.py`, hits are explained by `scoring.py`.
"""
import logging
import time
from datetime import timezone

from directory_service import ranking
from directory_service.search.columns import epoch_to_iso
from directory_service.search.elastic.client import (
    CLIENT_MAJOR, NotFoundError, engine_errors, make_client)
from directory_service.search.elastic.mapping import DEFAULT_ZONE, beds_by_level
from directory_service.search.elastic.query import (
    build_alias_body, build_kind_counts_body, build_scan_body, build_search_body)
from directory_service.search.elastic.scoring import components_of
from directory_service.search.elastic.writer import (  # noqa: F401 (re-export)
    ElasticsearchIndexWriter)
from directory_service.search.elastic.sync import OutboxSync
from directory_service.search.live_overlay import merge_live
from directory_service.search.standing import search_effects, with_standing
from directory_service.search.store import (
    Hit, SearchResult, SearchStore, StoreUnavailable)

log = logging.getLogger(__name__)
# The servers each client major can use: the 8.x client speaks to 8.x and (through
# REST API compatibility, `compatible-with=8`) 9.x servers; the 9.x client fails on an
# 8.x server (elasticsearch-py 9.0 release notes), so it needs 9.x.
SERVER_MAJORS = {8: (8, 9), 9: (9,)}
# Index meta (time zones, record count) is re-read this often, so a swap is noticed.
META_TTL_S = 30.0
SCAN_KEEP_ALIVE = "2m"
SCAN_PAGE = 1000


def check_version(info, client_major=CLIENT_MAJOR):
    """The server's version string, or StoreUnavailable when this client cannot use it."""
    number = info["version"]["number"]
    majors = SERVER_MAJORS.get(client_major, ())
    if int(number.split(".")[0]) not in majors:
        needs = " or ".join(f"{m}.x" for m in majors) or "a supported client"
        raise StoreUnavailable(f"Elasticsearch {number} is not supported; this service "
                               f"(client {client_major}.x) needs {needs}")
    return number


def hits_from_response(response, query, live=None, standings=None):
    """A search response (Elasticsearch's format) → SearchResult with explained hits.

    `live` ({facility_id: live rows}) is merged into each record with the embedded
    store's own merge, and the shown figures are recomputed from the merged rows, so a hit
    never shows the figures of the indexed files while a report says otherwise. Public
    reports' `standings` are merged the same way (search/standing.py), and a hit with
    confirmed problems shows the factor its score was multiplied by.
    """
    hits = []
    problems = search_effects(standings)[1]
    for raw in response["hits"]["hits"]:
        record, beds = raw["_source"]["record"], raw["_source"].get("beds_by_level") or {}
        rows = (live or {}).get(record["id"])
        if rows and record["kind"] == "treatment_facility":
            record = merge_live(record, rows)
            beds = beds_by_level(record["beds"])
        record = with_standing(record, standings)
        distance_m = float(raw["sort"][1])
        components, open_beds, reported = components_of(record, beds, distance_m, query)
        if record["id"] in problems:
            components["confirmed_problems"] = float(
                ranking.confirmed_problems_component(problems[record["id"]]))
        capacity = None
        if record["kind"] == "treatment_facility":
            capacity = {"open": open_beds,
                        "reported_at": None if reported is None else epoch_to_iso(reported)}
        shown = {k: None if v is None else round(v, 4) for k, v in components.items()}
        hits.append(Hit(record, distance_m, float(raw["_score"]), shown, capacity))
    return SearchResult(response["hits"]["total"]["value"], hits)


class ElasticsearchStore(SearchStore):
    name = "elasticsearch"
    # A live update is searchable once pushed (by the job runner, within its queue poll
    # JOBS_POLL_S of 1 s, or a second later when another node holds the outbox lease:
    # docs/jobs.md) plus the index's refresh interval (1 s, writer.py).
    live_settle_s = 3.5

    def __init__(self, client, settings):
        self.client, self.settings = client, settings
        self.alias = settings.elasticsearch_index_prefix
        self._version_ok = False
        self._meta, self._meta_at, self._index = None, 0.0, None
        self._overlay = None
        self._sync_client = None

    def set_live_overlay(self, overlay):
        """Merge live rows (search/live_overlay.py) into every record this store returns."""
        self._overlay = overlay

    def _live(self):
        return self._overlay.live_rows() if self._overlay is not None else {}

    def _standings(self):
        """Public reports' standings as the overlay last polled them (after `_live`)."""
        return self._overlay.standings() if self._overlay is not None else {}

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

    def service_region_meta(self):
        self._ready()
        return self._index_meta().get("service_region")

    def build_id(self):
        """The concrete index behind the alias (each run writes a new one) and its
        `built_at`; a swap is seen within META_TTL_S, like the index's time zones."""
        self._ready()
        meta = self._index_meta()
        return f"elasticsearch:{self._index}:{meta.get('built_at')}"

    def stats(self):
        self._ready()
        meta = self._index_meta()
        with engine_errors("count records by kind"):
            response = self.client.search(index=self.alias, body=build_kind_counts_body())
        buckets = response["aggregations"]["kinds"]["buckets"]
        return {"records_by_kind": {b["key"]: b["doc_count"] for b in buckets},
                "built_at": meta.get("built_at")}

    def search(self, query):
        self._ready()
        zones = tuple(self._index_meta().get("zones") or (DEFAULT_ZONE,))
        live, standings = self._live(), self._standings()
        closed, problems = search_effects(standings)
        body = build_search_body(query, self.settings, zones, closed, problems)
        with engine_errors("search"):
            response = self.client.search(index=self.alias, body=body)
        if response.get("timed_out"):
            # The server-side `timeout` ran out: the hits gathered by then are answered
            # (better than none at 2 a.m.) and the operator sees how often it happens.
            log.warning("a search timed out on the cluster after %s; answered with the "
                        "hits gathered by then", body["timeout"])
        return hits_from_response(response, query, live, standings)

    def get(self, record_id):
        self._ready()
        try:
            with engine_errors("get a record"):
                found = self.client.get(index=self.alias, id=record_id, source_includes=["record"])
        except NotFoundError:
            return None
        record = found["_source"]["record"]
        record = merge_live(record, self._live().get(record["id"]))
        return with_standing(record, self._standings())

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
                    yield with_standing(merge_live(record, live.get(record["id"])),
                                        self._standings())
                if remaining is not None:
                    remaining -= len(rows)
                if len(rows) < body["size"]:
                    return
                after = rows[-1]["sort"][0]
        finally:
            with engine_errors("close a point in time"):
                self.client.close_point_in_time(id=pit)

    def sync_client(self):
        """The client of live-bed pushes: its own credentials (ELASTICSEARCH_SYNC_*) where
        set, as the API's role may only read the directory; else the API's client."""
        s = self.settings
        if self._sync_client is None:
            separate = bool(getattr(s, "elasticsearch_sync_api_key", "")
                            or getattr(s, "elasticsearch_sync_username", ""))
            self._sync_client = make_client(s, s.elasticsearch_timeout_s, role="sync") \
                if separate else self.client
        return self._sync_client

    def outbox_sync(self, client=None):
        """The outbox sync of this store's alias (elastic/sync.py), or None without an
        availability database. The job runner's consumer runs it (jobs/elastic.py)."""
        if self._overlay is None:
            return None
        return OutboxSync(client or self.sync_client(), self.alias, self._overlay.adb)

    def sync_lag(self):
        """The outbox lag of the serving index ({"index", "position", "pending",
        "oldest_s"}), None without an availability database or an index."""
        sync = self.outbox_sync()
        return None if sync is None else sync.lag()

    def close(self):
        if self._sync_client is not None and self._sync_client is not self.client:
            self._sync_client.close()
        self.client.close()

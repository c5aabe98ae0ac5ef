"""The one seam between the API and a search engine.

`SearchQuery` is a search already validated and normalised by the API (codes expanded,
distances in metres); a store answers it with a `SearchResult`. Two stores implement
`SearchStore`: the embedded SQLite file and Elasticsearch. Both are held to the same
behavioural test suite (tests/test_store_behaviour.py).
"""
import abc
from dataclasses import dataclass, field
from datetime import datetime, timezone


class StoreError(Exception):
    """Base class for store failures the API turns into problem responses."""


class StoreUnavailable(StoreError):
    """The engine cannot answer now (no index yet, server down, unsupported version)."""


class IndexRejected(StoreError):
    """An index run failed; the previous index keeps serving."""


class DuplicateId(IndexRejected):
    """An index writer was given an id or alias twice. The indexer pipeline rejects such
    rows before they reach a writer, so this is an internal error: the run aborts."""


@dataclass(frozen=True)
class SearchQuery:
    lat: float
    lon: float
    radius_m: float = 40_000.0
    kinds: tuple = ()
    q: str | None = None
    # Treatment facilities. Levels arrive expanded: exact codes and crosswalk relatives.
    levels_primary: tuple = ()
    levels_related: tuple = ()
    payment: tuple = ()
    uninsured: bool = False
    settings: tuple = ()
    medications: tuple = ()
    programs: tuple = ()
    gender: str | None = None
    age: int | None = None
    languages: tuple = ()
    accepts_moud: bool = False
    walk_in: bool = False
    intake_24_7: bool = False
    police_dropoff: bool = False
    has_open_beds: bool = False
    open_now: bool = False
    # Meetings: day 0-6 (0 = Sunday); times in minutes after local midnight.
    fellowships: tuple = ()
    days: tuple = ()
    starts_after: int | None = None
    starts_within: int | None = None
    attendance: tuple = ()
    types: tuple = ()
    # Naloxone and take-back sites.
    site_types: tuple = ()
    page: int = 1
    per_page: int = 10
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def levels(self):
        return self.levels_primary + self.levels_related

    @property
    def offset(self):
        return (self.page - 1) * self.per_page


@dataclass
class Hit:
    record: dict
    distance_m: float
    score: float
    components: dict
    # Open beds for the query's levels: {"open": int|None, "reported_at": iso|None}.
    capacity: dict | None = None


@dataclass
class SearchResult:
    total: int
    hits: list


class SearchStore(abc.ABC):
    """What the API needs from a search engine."""

    name = "store"
    # Seconds a live bed change may take to show in search after the availability
    # database commits it: 0 where search reads that database itself (embedded), the
    # refresh interval and a margin where the change is pushed into the engine.
    live_settle_s = 0.0

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Filter, rank and page the directory for one query."""

    @abc.abstractmethod
    def get(self, record_id: str) -> dict | None:
        """One record by id, or None."""

    @abc.abstractmethod
    def resolve_alias(self, alias: str) -> str | None:
        """The id of the record listing `alias` among its `aliases` (an id that merged
        into it), or None. `get` never follows aliases: callers redirect instead."""

    @abc.abstractmethod
    def build_id(self) -> str:
        """The identity of the index build now serving: the same between two index runs,
        different after each run (the search ETag is built from it)."""

    @abc.abstractmethod
    def exists(self) -> bool:
        """Whether any index is serving (False before the first index run)."""

    @abc.abstractmethod
    def health(self) -> dict:
        """{"ok": bool, "detail": str, "records": int|None}: for /readyz."""

    @abc.abstractmethod
    def scan(self, kinds=(), modified_after=None, after=None, limit=None):
        """Every record (active or not) of `kinds` (all if empty), in id order, streamed.

        `modified_after` (an aware datetime) keeps records whose `updated_at` is later.
        `after` (an id) starts after that id and `limit` stops after that many records:
        one page of an export, so no single HTTP response has to outlast a worker timeout.
        """

    def stats(self) -> dict:
        """{"records_by_kind": {kind: n}, "built_at": iso or None} of the serving index,
        for /metrics; raises StoreError when there is none."""
        health = self.health()
        if not health["ok"]:
            raise StoreUnavailable(health.get("detail") or "the store is not ready")
        return {"records_by_kind": {}, "built_at": None}

    def warm(self):
        """Do the work of a first search before a server worker takes requests (gunicorn's
        post_worker_init); the default has none. Raises what a search would raise."""

    def sync_lag(self):
        """How far the engine's copy of live figures lags the availability database
        ({"pending", "oldest_s", …}), or None where search reads that database itself."""
        return None

    def service_region_meta(self):
        """The serving index's region as the indexer learnt it (service_region.py's JSON
        text), or None for an index built without one."""
        return None

    def close(self):
        """Release connections; the default has none."""

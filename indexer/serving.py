"""What the index serving now says about ids, read before a run writes anything.

A published id never changes (DESIGN §3): when records merge, the merged record keeps the
id that already serves, above all one that the availability database knows (bed reports,
holds, a facility's key or version), and a published id that merges away stays reachable
as an alias. So the indexer needs, from the serving index, every published id with its
aliases and every published place (for the records that de-duplication may join), and,
from the availability database, the facility ids with live data. Reading is the same in a
dry run, so a dry run reports the ids a real run would keep.
"""
import os
import sqlite3
from dataclasses import dataclass, field, replace

# Every table of the availability database that ties data to a facility id.
LIVE_TABLES = {
    "bed_reports": "SELECT DISTINCT facility_id FROM bed_reports",
    "bed_history": "SELECT DISTINCT facility_id FROM bed_history",
    "facility_versions": "SELECT facility_id FROM facility_versions",
    "holds": "SELECT DISTINCT facility_id FROM holds",
    "api_keys": "SELECT DISTINCT facility_id FROM api_keys "
                "WHERE facility_id IS NOT NULL AND revoked_at IS NULL",
}


@dataclass
class Published:
    """One published record, as much of it as matching and id keeping need."""

    id: str
    kind: str
    name: str
    lat: float
    lon: float
    street: str | None
    phone: str | None


@dataclass
class Serving:
    """The serving index's ids and aliases, its places, and the ids with live data."""

    aliases: dict = field(default_factory=dict)   # published id -> its aliases (a tuple)
    places: list = field(default_factory=list)    # Published, for every non-meeting record
    live: set = field(default_factory=set)        # facility ids the availability DB knows

    @property
    def ids(self):
        return self.aliases.keys()

    @classmethod
    def read(cls, store=None, availability_path=None):
        """From a search store (None or an empty one: nothing published) and the
        availability database file (absent: no live data). Store errors propagate, so a
        run that cannot see what is published stops before it could rename anything."""
        state = cls(live=live_facility_ids(availability_path))
        if store is None or not store.exists():
            return state
        for record in store.scan():
            state.aliases[record["id"]] = tuple(record.get("aliases") or ())
            if record["kind"] != "meeting":
                state.places.append(Published(
                    record["id"], record["kind"], record["name"], record["location"]["lat"],
                    record["location"]["lon"], (record.get("address") or {}).get("street"),
                    (record.get("phones") or {}).get("main")))
        return state

    @classmethod
    def from_settings(cls, settings):
        from directory_service.search import open_store

        # A whole-index scan: the indexer's patient timeout, not the API's short one.
        store = open_store(replace(settings, elasticsearch_timeout_s=(
            settings.elasticsearch_indexer_timeout_s)))
        try:
            return cls.read(store, settings.availability_path)
        finally:
            store.close()


def live_facility_ids(path):
    """Facility ids with bed reports, history, a version, holds or an unrevoked key."""
    if not path or not os.path.exists(path):
        return set()
    db = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True)
    try:
        tables = {name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {facility_id for table, sql in LIVE_TABLES.items() if table in tables
                for (facility_id,) in db.execute(sql)}
    finally:
        db.close()

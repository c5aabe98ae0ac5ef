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
from dataclasses import dataclass, field, replace

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
    def read(cls, store=None, availability=None):
        """From a search store (None or an empty one: nothing published) and the
        availability database, a file path (absent: no live data) or a database URL. Store errors propagate, so a
        run that cannot see what is published stops before it could rename anything."""
        state = cls(live=live_facility_ids(availability))
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
            return cls.read(store, settings.availability_url or settings.availability_path)
        finally:
            store.close()


def live_facility_ids(where):
    """Facility ids the availability database ties data to (availability/changes.py).

    `where` is the SQLite file (read only, never created or migrated: a dry run writes
    nothing) or a database URL (AVAILABILITY_URL). An unreachable database stops the run:
    without it, a merge could rename a facility that has live beds."""
    from sqlalchemy import create_engine

    from directory_service.availability.changes import live_facility_ids as query

    if not where:
        return set()
    if "://" in where:
        url = where.replace("postgresql://", "postgresql+psycopg://", 1)
    elif os.path.exists(where):
        url = f"sqlite:///file:{os.path.abspath(where)}?mode=ro&uri=true"
    else:
        return set()
    engine = create_engine(url, connect_args={"connect_timeout": 10} if "://" in where else {})
    try:
        with engine.connect() as conn:
            return query(conn)
    finally:
        engine.dispose()

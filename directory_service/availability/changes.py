"""What the search side asks the availability database: which facilities changed since a
sequence number, and when active holds expire (they stop counting with nobody writing).

The live overlay (search/live_overlay.py), the HTTP validators (api/http_cache.py) and the
Elasticsearch writer use these, so every query on the availability database is built from
schema.py and runs on SQLite and PostgreSQL alike.
"""
from sqlalchemy import bindparam, func, inspect, select, union

from directory_service.availability import fast
from directory_service.availability.schema import (
    api_keys, bed_history, bed_reports, facility_changes, facility_profiles, facility_versions,
    holds)

C, H = facility_changes.c, holds.c


# Both run on every search (the ETag, the live overlay): one compiled statement each,
# through the reader's fast path where the caller has a Reader (`adb.read()`).
CURRENT_SEQ = select(func.coalesce(func.max(C.seq), 0))
CHANGED_SINCE = select(C.facility_id, C.seq).where(C.seq > bindparam("after")).order_by(C.seq)


def current_seq(db):
    """The newest change sequence number (0 before any change)."""
    if hasattr(db, "rows"):
        return db.rows(CURRENT_SEQ)[0][0]
    return db.execute(CURRENT_SEQ).scalar()


def changed_since(db, seq):
    """[(facility_id, seq)] changed after `seq`, oldest first."""
    if hasattr(db, "rows"):
        return db.rows(CHANGED_SINCE, after=seq)
    return [tuple(r) for r in db.execute(CHANGED_SINCE, {"after": seq})]


def _active(stamp, *where):
    return (H.state == "active", H.expires_at > stamp, *where)


NEXT_EXPIRY = select(func.min(H.expires_at)).where(
    H.state == "active", H.expires_at > bindparam("stamp"),
    H.facility_id == bindparam("facility_id"))


def next_expiry(db, facility_id, stamp):
    """The earliest expiry after `stamp` of the facility's active holds, or None (a
    statement compiled once: every overlay re-read asks it; issue 25)."""
    return fast.scalar(db, NEXT_EXPIRY, facility_id=facility_id, stamp=stamp)


def active_expiries(db, facility_id, stamp):
    """[(level_of_care, population, expires_at)] of the facility's active holds."""
    return [tuple(r) for r in db.execute(
        select(H.level_of_care, H.population, H.expires_at)
        .where(*_active(stamp, H.facility_id == facility_id)))]


def all_active_expiries(db, stamp):
    """[expires_at] of every active hold after `stamp`."""
    return list(db.execute(select(H.expires_at).where(*_active(stamp))).scalars())


def expired_between(db, since, until):
    """Facility ids with a hold that expired in (`since`, `until`] (ISO strings) while
    still active: beds freed with nobody writing (coach watches look at them)."""
    return set(db.execute(select(H.facility_id).where(
        H.state == "active", H.expires_at > since, H.expires_at <= until).distinct()).scalars())


def live_facility_ids(conn):
    """Facility ids with bed reports, history, a version, holds, a profile or an unrevoked
    key: the ids a re-index must keep (indexer/serving.py). Tables an older database lacks
    are skipped, so reading never needs to migrate it."""
    have = set(inspect(conn).get_table_names())
    queries = [select(table.c.facility_id) for table in
               (bed_reports, bed_history, facility_versions, holds, facility_profiles)
               if table.name in have]
    if api_keys.name in have:
        queries.append(select(api_keys.c.facility_id).where(
            api_keys.c.facility_id.is_not(None), api_keys.c.revoked_at.is_(None)))
    if not queries:
        return set()
    return set(conn.execute(union(*queries)).scalars())

"""A facility's own profile: what it declared about itself, kept beside its bed reports.

Stored per facility as {field name: {"value", "at", "by", "source_seen"}} (JSON text in
`facility_profiles`), with its own version for If-Match and an append-only history of
what each save changed. `source_seen` is the source's value when the facility declared
the field: when the source later says something else, the merged record marks the field
`source_changed` until the facility accepts the source's value or keeps its own. An index
run never touches any of this, so a correction survives every run.
"""
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, func, null, select, union_all

from directory_service.availability import events, onboarding, verification
from directory_service.availability.db import iso, lock, mark_changed, upsert, utcnow
from directory_service.availability.profile_merge import get_field, same, source_record
from directory_service.availability.schema import (
    facility_profiles, profile_history, record_verifications)

P, H, V = facility_profiles.c, profile_history.c, record_verifications.c


class StaleProfile(Exception):
    """The writer's version is not the profile's current one (HTTP 412)."""

    def __init__(self, current):
        super().__init__(f"the profile is at version {current}")
        self.current = current


class ProfileRefused(Exception):
    """The declared fields do not fit together: {field: [message]} (HTTP 422)."""

    def __init__(self, errors):
        super().__init__("the profile does not fit together")
        self.errors = errors


@dataclass
class Profile:
    facility_id: str
    version: int
    fields: dict
    updated_at: str | None = None
    updated_by: str | None = None


def profile_lock(facility_id):
    return f"profile:{facility_id}"


def load(db, facility_id):
    """The stored Profile (version 0 and no fields before the first save)."""
    row = db.execute(select(P.fields, P.version, P.updated_at, P.updated_by)
                     .where(P.facility_id == facility_id)).first()
    if row is None:
        return Profile(facility_id, 0, {})
    return Profile(facility_id, row[1], json.loads(row[0]), row[2], row[3])


# The profile and the verification of one record in one round trip: every search worker
# runs it for each facility that changed since its last look.
OVERLAY = union_all(
    select(P.fields, null().label("verified_at"), null().label("how"))
    .where(P.facility_id == bindparam("facility_id")),
    select(null(), V.verified_at, V.how).where(V.record_id == bindparam("facility_id")))


def overlay_for(db, facility_id):
    """What the merge needs ({"fields", "verified_at", "verified_how"}), or None."""
    found = {"fields": {}, "verified_at": None, "verified_how": None}
    rows = db.execute(OVERLAY, {"facility_id": facility_id}).all()
    for fields, verified_at, how in rows:
        if fields is not None:
            found["fields"] = json.loads(fields)
        if verified_at is not None:
            found["verified_at"], found["verified_how"] = verified_at, how
    return found if rows else None


def save(adb, record, declared, accept_source=(), keep=(), by=None, expected=None, now=None):
    """Declare `declared` ({field name: value}), withdraw `accept_source`, re-confirm
    `keep` against the source's current value; one transaction. Returns the new Profile.

    `record` is the facility's record as served (merged or not: its source values are
    read back out). `expected` is the set of versions the writer read (If-Match)."""
    now = now or utcnow()
    facility_id, source = record["id"], source_record(record)
    with adb.write() as db:
        lock(db, profile_lock(facility_id))
        current = load(db, facility_id)
        if expected is not None and current.version not in expected:
            raise StaleProfile(current.version)
        fields, changes = dict(current.fields), {}
        for name, value in declared.items():
            before = fields.get(name)
            if before is not None and same(before["value"], value):
                continue
            fields[name] = {"value": value, "at": iso(now), "by": by,
                            "source_seen": get_field(source, name)}
            changes[name] = {"before": _shown(before, source, name), "after": value}
        for name in accept_source:
            if name in fields:
                changes[name] = {"before": fields.pop(name)["value"],
                                 "after": get_field(source, name), "accepted_source": True}
        for name in keep:
            if name in fields:
                fields[name] = {**fields[name], "source_seen": get_field(source, name)}
                changes[name] = {"before": fields[name]["value"], "after": fields[name]["value"],
                                 "kept_over": get_field(source, name)}
        _check_fits(source, fields)
        version = current.version + 1
        upsert(db, facility_profiles, {"facility_id": facility_id,
                                       "fields": json.dumps(fields, sort_keys=True),
                                       "version": version, "updated_at": iso(now),
                                       "updated_by": by}, ["facility_id"])
        db.execute(profile_history.insert().values(
            facility_id=facility_id, event="save", changes=json.dumps(changes, sort_keys=True),
            version=version, recorded_at=iso(now), recorded_by=by))
        onboarding.note_claim(db, facility_id, "profile", now)
        verification.mark_verified_in(db, facility_id, "profile", by, now, announce=False)
        # Every search worker, the outbox and partners' webhooks: the record changed.
        mark_changed(db, facility_id, events.RECORD_CHANGED, {
            "source": "profile", "record_ids": [facility_id], "fields": sorted(changes)})
    return Profile(facility_id, version, fields, iso(now), by)


def _shown(entry, source, name):
    return entry["value"] if entry is not None else get_field(source, name)


def _check_fits(source, fields):
    """Cross-field rules of the record schema, on the merged values: every bed row's
    level is offered, and a minimum age is not above the maximum."""
    value = (lambda name: fields[name]["value"] if name in fields else get_field(source, name))
    offered = set(value("levels_of_care") or ())
    errors = {}
    for i, row in enumerate(value("beds") or ()):
        if row["level_of_care"] not in offered:
            errors.setdefault("beds", {})[i] = {"level_of_care": [
                f"{row['level_of_care']} is not among the levels of care "
                f"({', '.join(sorted(offered)) or 'none declared'}): declare it too"]}
    low, high = value("populations.min_age"), value("populations.max_age")
    if low is not None and high is not None and low > high:
        errors["populations"] = {"min_age": [f"{low} is above max_age {high}"]}
    if errors:
        raise ProfileRefused(errors)


def conflicts(record):
    """Field names where the source now says something else than the facility saw when
    it declared them (from a merged record's provenance)."""
    return sorted(name for name, entry in (record.get("provenance") or {}).items()
                  if entry.get("source_changed"))


def history(adb, facility_id, page=1, per_page=20):
    """(total, entries newest first) of the profile's history, changes decoded."""
    mine = H.facility_id == facility_id
    with adb.read() as db:
        total = db.execute(select(func.count()).select_from(profile_history).where(mine)).scalar()
        rows = db.execute(select(H.event, H.changes, H.version, H.recorded_at, H.recorded_by)
                          .where(mine).order_by(H.seq.desc())
                          .limit(per_page).offset((page - 1) * per_page)).mappings()
        return total, [{**row, "changes": json.loads(row["changes"])} for row in rows]


def profiled_ids(db):
    """Every facility with a stored profile."""
    return set(db.execute(select(P.facility_id)).scalars())


def recent_changes(adb, limit=20):
    """The newest profile saves of every facility (what an admin reviews), newest first."""
    query = (select(H.facility_id, H.changes, H.version, H.recorded_at, H.recorded_by)
             .order_by(H.seq.desc()).limit(limit))
    return [{**row, "changes": json.loads(row["changes"])}
            for row in adb.read().execute(query).mappings()]

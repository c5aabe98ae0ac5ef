"""Onboarding from a loaded source: a facility key for each of its facilities, and who
has claimed their record since.

An administrator invites every treatment facility of a source (for example `samhsa`)
at once: each gets a facility key (stored hashed, keys.py) whose secret is shown once in
a printable list. A facility has claimed its record when it signs in to its page or saves
its profile; an invited facility that has neither done is someone to call.
"""
from sqlalchemy import select

from directory_service.availability import keys
from directory_service.availability.db import iso, utcnow
from directory_service.availability.schema import facility_invitations

I = facility_invitations.c
LABEL = "invitation"


def invite_source(adb, records, source_name, now=None):
    """A facility key for every record of `records` (treatment facilities of the source
    `source_name`) not invited before, all in one commit; returns
    [{facility_id, name, key_id, key}] (the only time the keys are seen)."""
    now = now or utcnow()
    made = []
    with adb.write() as db:
        invited = set(db.execute(select(I.facility_id)).scalars())
        for record in records:
            if record.get("kind") != "treatment_facility" or record["id"] in invited:
                continue
            if (record.get("source") or {}).get("name") != source_name:
                continue
            key_id, key = keys.create_in(db, "facility", record["id"],
                                         f"{LABEL} {source_name}")
            db.execute(facility_invitations.insert().values(
                facility_id=record["id"], key_id=key_id, source_name=source_name,
                invited_at=iso(now)))
            invited.add(record["id"])
            made.append({"facility_id": record["id"], "name": record.get("name"),
                         "key_id": key_id, "key": key})
    return made


def note_claim(db, facility_id, how, now=None):
    """Inside a write transaction: the facility has claimed its record (first time kept)."""
    db.execute(facility_invitations.update()
               .where(I.facility_id == facility_id, I.claimed_at.is_(None))
               .values(claimed_at=iso(now or utcnow()), claimed_how=how))


def claim(adb, facility_id, how, now=None):
    """A facility signed in (or otherwise showed it holds its key): note the claim."""
    with adb.write() as db:
        note_claim(db, facility_id, how, now)


def invitations(adb):
    """Every invitation, unclaimed first, then by facility id."""
    rows = adb.read().execute(select(I.facility_id, I.key_id, I.source_name, I.invited_at,
                                     I.claimed_at, I.claimed_how)).mappings()
    return sorted((dict(r) for r in rows),
                  key=lambda r: (r["claimed_at"] is not None, r["facility_id"]))


def claimed_at(db, facility_id):
    return db.execute(select(I.claimed_at).where(I.facility_id == facility_id)).scalar()

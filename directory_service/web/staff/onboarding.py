"""The administrator's onboarding page: invite a loaded source's facilities, see who has
claimed their record, what facilities changed in their profiles, which records the source
now contradicts, and which are least verified.

Invitations make one facility key per facility (availability/onboarding.py) and show the
keys once, in the answer to the invitation only, as a list to print and hand out; only
their hashes are kept. The pages read records through the search store, merged with
profiles as every page shows them.
"""
from collections import Counter

from flask import current_app, render_template, request
from flask_babel import gettext as _

from directory_service.availability import onboarding, profiles
from directory_service.availability.profile_merge import get_field
from directory_service.web import blp
from directory_service.web.staff import flashed_notices, signed_in
from directory_service.web.staff.profile import field_name, shown_value

LEAST_VERIFIED_SHOWN = 50
RECENT_CHANGES_SHOWN = 20


def facility_sources(store):
    """{source name: treatment facilities from it} in the serving directory."""
    return Counter((r.get("source") or {}).get("name") or "unknown"
                   for r in store.scan(kinds=("treatment_facility",)))


def source_conflicts(store, adb):
    """[{id, name, field, label, mine, theirs}] for every profiled facility whose source
    changed a field it declared."""
    found = []
    for facility_id in sorted(profiles.profiled_ids(adb.read())):
        record = store.get(facility_id)
        if record is None:
            continue
        for name in profiles.conflicts(record):
            found.append({"id": facility_id, "name": record.get("name"), "field": name,
                          "label": field_name(name),
                          "mine": shown_value(name, get_field(record, name)),
                          "theirs": shown_value(name, record["provenance"][name]
                                                ["source_value"])})
    return found


def least_verified(store, limit=LEAST_VERIFIED_SHOWN):
    """(total, the `limit` facilities least recently verified, never verified first)."""
    rows = [{"id": r["id"], "name": r.get("name") or r["id"],
             "verified_at": r.get("verified_at"),
             "how": ((r.get("provenance") or {}).get("verified_at") or {}).get("how")
             or ("source" if r.get("verified_at") else None)}
            for r in store.scan(kinds=("treatment_facility",))]
    rows.sort(key=lambda f: (f["verified_at"] is not None, f["verified_at"] or "",
                             f["name"].casefold()))
    return len(rows), rows[:limit]


def _page(principal, invited=None, error=None, status=200):
    store, adb = current_app.extensions["store"], current_app.extensions["availability"]
    invitations = onboarding.invitations(adb)
    changes = profiles.recent_changes(adb, RECENT_CHANGES_SHOWN)
    names = {}
    for facility_id in {i["facility_id"] for i in invitations} | {c["facility_id"]
                                                                    for c in changes}:
        record = store.get(facility_id)
        names[facility_id] = record.get("name") if record else None
    total, least = least_verified(store)
    return render_template(
        "staff/onboarding.html", principal=principal, sources=facility_sources(store),
        invited=invited, invite_error=error, invitations=invitations, names=names,
        claimed=sum(1 for i in invitations if i["claimed_at"]),
        conflicts=source_conflicts(store, adb), least=least, facilities_total=total,
        changes=changes,
        field_name=field_name, shown_value=shown_value,
        notices=flashed_notices()), status


@blp.get("/staff/admin/onboarding")
def staff_onboarding():
    return _page(signed_in("admin"))


@blp.post("/staff/admin/onboarding/invite")
def staff_invite_source():
    """Invite every facility of one source; the new keys are shown in this answer only."""
    principal = signed_in("admin")
    store = current_app.extensions["store"]
    source = (request.form.get("source") or "").strip()
    if source not in facility_sources(store):
        return _page(principal, error=_("Choose a source loaded in the directory."),
                     status=422)
    records = (r for r in store.scan(kinds=("treatment_facility",))
               if (r.get("source") or {}).get("name") == source)
    invited = onboarding.invite_source(current_app.extensions["availability"], records, source)
    return _page(principal, invited={"source": source, "keys": invited})

"""The administrator's page: a freshness board, the last index run's report, and keys.

The board reads every treatment facility with bed rows through the search store (live
figures merged, as search shows them) and judges each by the oldest of its figures
(beds.oldest, the one freshness rule), so a facility whose detox row is 14 h old is on
top with the facilities to call even when another of its rows is fresh. Keys are
created and revoked with the same functions as `flask keys`; a facility key's facility
is picked by name (from a list in a directory of up to PICKER_MAX facilities; beyond that,
a list of thousands is unusable on a phone and megabytes to send, so by typing part of its
name, town or id and picking among the matches); a new key is shown once, at the top of
the answer, and kept nowhere but as its hash.
"""
from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from directory_service import beds
from directory_service.availability import keys
from directory_service.web import blp
from directory_service.web.staff import flashed_notices, signed_in
from directory_service.web.views import page_now, page_url
from indexer import run_log

CLASSES = ("never", "stale", "aging", "fresh")
SORTS = ("age", "name")
PICKER_MAX = 500  # facilities listed in the key form's picker; more: typed and matched
MATCHES_SHOWN = 50


def freshness_board(store, settings, now):
    """[{id, name, phone, age_seconds, freshness, rows, unreported}] for every treatment
    facility with bed rows: the age and freshness of its oldest figure; freshness is
    "never" when no row was ever reported; `unreported` counts rows without a figure."""
    board = []
    for record in store.scan(kinds=("treatment_facility",)):
        rows = record.get("beds") or ()
        if not rows:
            continue
        ages = [beds.row_age(row, now) for row in rows]
        state = beds.oldest(ages, settings)
        phones = record.get("phones") or {}
        board.append({"id": record["id"], "name": record.get("name") or record["id"],
                      "phone": phones.get("intake") or phones.get("main"),
                      "age_seconds": state["age_seconds"],
                      "freshness": "never" if state["freshness"] == "unknown"
                      else state["freshness"],
                      "rows": len(rows), "unreported": sum(age is None for age in ages)})
    return board


def sort_board(board, order):
    """Oldest first (never reported on top), or by name."""
    if order == "name":
        return sorted(board, key=lambda f: (f["name"].casefold(), f["id"]))
    return sorted(board, key=lambda f: (f["age_seconds"] is not None,
                                        -(f["age_seconds"] or 0), f["name"].casefold()))


def _choice(record):
    city = (record.get("address") or {}).get("city")
    name = record.get("name") or record["id"]
    return record["id"], f"{name} — {city}" if city else name


def _by_name(choices):
    return sorted(choices, key=lambda c: (c[1].casefold(), c[0]))


def facility_choices(store, limit=None):
    """[(id, "Name — City")] of every treatment facility, by name: a facility key is given
    by picking a name, never by typing an id. None when there are more than `limit`
    (PICKER_MAX): the form then asks for part of a name instead."""
    limit = PICKER_MAX if limit is None else limit
    records = list(store.scan(kinds=("treatment_facility",), limit=limit + 1))
    if len(records) > limit:
        return None
    return _by_name(_choice(record) for record in records)


def matching_facilities(store, typed):
    """[(id, "Name — City")] of the treatment facilities `typed` names: its id exactly,
    else every one whose name and town hold all of its words (any case)."""
    exact = store.get(typed)
    if exact is not None and exact.get("kind") == "treatment_facility":
        return [_choice(exact)]
    words = typed.casefold().split()
    return _by_name(choice for choice in map(_choice, store.scan(kinds=("treatment_facility",)))
                    if all(word in choice[1].casefold() for word in words))


def _page(principal, new_key=None, key_error=None, status=200, matches=None):
    settings = current_app.config["SETTINGS"]
    order = request.args.get("sort") if request.args.get("sort") in SORTS else "age"
    store = current_app.extensions["store"]
    board = sort_board(freshness_board(store, settings, page_now()), order)
    counts = {c: sum(f["freshness"] == c for f in board) for c in CLASSES}
    body = render_template(
        "staff/admin.html", principal=principal, board=board, counts=counts, order=order,
        run=run_log.load(settings), keys=keys.list_keys(current_app.extensions["availability"]),
        roles=keys.ROLES, new_key=new_key, key_error=key_error,
        facilities=facility_choices(store), chosen=request.form.get("facility_id"),
        matches=matches, typed=(request.form.get("facility") or "").strip(),
        notices=flashed_notices())
    return body, status


@blp.get("/staff/admin")
def staff_admin():
    return _page(signed_in("admin"))


@blp.post("/staff/admin/keys")
def staff_create_key():
    """Create a key and show it once, in this answer only (never flashed into the cookie)."""
    principal = signed_in("admin")
    role = request.form.get("role", "")
    facility_id = (request.form.get("facility_id") or "").strip() or None
    label = (request.form.get("label") or "").strip()[:200] or None
    # A coach key's team, what outcomes are reported by; ignored for other roles.
    coach_group = (request.form.get("coach_group") or "").strip()[:80] or None
    typed = (request.form.get("facility") or "").strip()[:200]
    if role == "facility" and typed and not facility_id:
        found = matching_facilities(current_app.extensions["store"], typed)
        if len(found) != 1:
            return _page(principal, key_error=_matches_message(typed, len(found)),
                         status=422, matches=found[:MATCHES_SHOWN])
        facility_id = found[0][0]
    if role == "facility":
        record = current_app.extensions["store"].get(facility_id) if facility_id else None
        if record is None or record.get("kind") != "treatment_facility":
            return _page(principal, key_error=_("A facility key needs a treatment facility "
                                                "from the list."), status=422)
    try:
        key_id, key = keys.create(current_app.extensions["availability"], role,
                                  facility_id if role == "facility" else None, label,
                                  coach_group if role == "coach" else None)
    except keys.InvalidKeyRequest:
        return _page(principal, key_error=_("Choose a role; only a facility key takes a "
                                            "facility id."), status=422)
    return _page(principal, new_key={"id": key_id, "key": key, "role": role})


def _matches_message(typed, count):
    if not count:
        return _("No treatment facility is called “%(typed)s”: type part of its name or "
                 "town, or its id.", typed=typed)
    if count > MATCHES_SHOWN:
        return ngettext("%(num)d facility matches “%(typed)s”: type more of its name.",
                        "%(num)d facilities match “%(typed)s”: type more of its name.",
                        count, typed=typed)
    return ngettext("%(num)d facility matches “%(typed)s”: pick it below.",
                    "%(num)d facilities match “%(typed)s”: pick one below.", count,
                    typed=typed)


@blp.post("/staff/admin/keys/<key_id>/revoke")
def staff_revoke_key(key_id):
    signed_in("admin")
    if keys.revoke(current_app.extensions["availability"], key_id):
        flash(_("Key %(id)s is revoked; its sessions end now.", id=key_id), "done")
    else:
        flash(_("Key %(id)s was already revoked or does not exist.", id=key_id), "error")
    return redirect(page_url("web.staff_admin") + "#keys", 303)

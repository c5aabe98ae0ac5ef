"""The coach's holds: each hold as a card a coach can act on from the car.

The card carries what the coach needs on the way (the facility's intake phone, address
and a plain directions link) and the facility's decision. `/staff/coach/holds` is the
page a hold lands on: without JavaScript it refreshes itself while a hold is pending (the
search page does not, so needs being typed are never wiped); staff.js polls it on both
pages and swaps the list in place when a state changes.
"""
from datetime import datetime, timezone

from flask import current_app, render_template

from directory_service.api.holds import coach_holds
from directory_service.availability.db import parse_iso
from directory_service.web import blp, present
from directory_service.web.staff import flashed_notices, signed_in

HOLDS_SHOWN = 20
# How often a page with a pending hold asks again (staff.js); tests set it lower.
POLL_SECONDS = 15


def my_holds(principal):
    """The key's latest holds, each with its facility's clock, minutes left and a
    directions link (None when the directory has neither a street nor a point)."""
    _total, mine = coach_holds(principal, 1, HOLDS_SHOWN)
    now, store, records = datetime.now(timezone.utc), current_app.extensions["store"], {}
    for hold in mine:
        fid = hold["facility_id"]
        if fid not in records:
            records[fid] = store.get(fid) or {}
        record = records[fid]
        # The facility's clock, for the times a reason names.
        hold["facility_timezone"] = record.get("timezone")
        has_place = (record.get("address") or {}).get("street") or record.get("location")
        hold["directions"] = present.directions_url(record) if has_place else None
        ends = parse_iso(hold["expires_at"])
        hold["minutes_left"] = max(0, int((ends - now).total_seconds() // 60)) if ends else 0
    return mine


def holds_context():
    """What the holds list needs besides the holds: how often to ask again."""
    return {"poll_seconds": current_app.config.get("STAFF_HOLD_POLL_SECONDS", POLL_SECONDS)}


@blp.get("/staff/coach/holds")
def staff_coach_holds():
    principal = signed_in("coach", "admin")
    mine = my_holds(principal)
    return render_template("staff/coach_holds.html", principal=principal, holds=mine,
                           pending=any(h["state"] == "active" for h in mine),
                           notices=flashed_notices(), **holds_context())

"""Holds: a coach keeps a bed while driving there; the facility confirms or declines.

`POST /v1/facilities/{id}/holds` (coach) → 201, 409 when no bed is left to hold, 429 when
the key already has HOLD_MAX_ACTIVE_PER_KEY active holds; `GET /v1/holds` (coach) lists
the caller's own holds; `POST /v1/holds/{id}/confirm|decline` (that facility, or admin);
`DELETE /v1/holds/{id}` or `POST .../cancel` (the coach who made it, or admin). Notes carry
no personal data.
"""
from flask import current_app, g
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE

from directory_service.api import auth
from directory_service.api.beds import indexed_facility, publish, refuse_query_parameters
from directory_service.availability import holds
from directory_service.availability.bodies import bounded_json
from directory_service.errors import ApiProblem, problem
from directory_service.schemas.availability import (
    CoachHoldArgs, CoachHoldsResponse, HoldBody, HoldListSchema, HoldSchema,
)

blp = Blueprint("holds", __name__, url_prefix="/v1", description="Bed holds")
refuse_query_parameters(blp, exempt=("holds.CoachHolds",))


def _adb():
    return current_app.extensions["availability"]


def _hold_or_404(hold_id):
    hold = holds.get(_adb(), hold_id)
    if hold is None:
        raise ApiProblem(404, f"no hold with id {hold_id!r}")
    return hold


def _may_see(principal, hold):
    if principal.role == "facility":
        auth.require_facility(principal, hold["facility_id"])
    elif principal.role == "coach" and principal.key_id != hold["coach_key_id"]:
        raise ApiProblem(403, "only the coach who made this hold may act on it")


def _decide(hold_id, state):
    return decide_hold(g.principal, hold_id, state)


def decide_hold(principal, hold_id, state):
    """Confirm, decline or cancel a hold for `principal` (the API and the staff pages):
    404 unknown, 403 not theirs, 409 no longer active; publishes the new figures."""
    hold = _hold_or_404(hold_id)
    _may_see(principal, hold)
    try:
        decided = holds.decide(_adb(), hold_id, state, f"key:{principal.key_id}")
    except holds.HoldConflict as exc:
        raise ApiProblem(409, str(exc)) from None
    publish(decided["facility_id"])
    return decided


def place_hold(principal, facility_id, body):
    """Hold one bed for `principal` from a loaded HoldBody (the API and the coach page).

    Raises 404/422/409 as ApiProblem, and holds.HoldLimit when a coach key is at its cap
    (the caller answers it: the API with 429 and Retry-After, the page with a message).
    """
    settings = current_app.config["SETTINGS"]
    minutes = body["expires_in_minutes"] or settings.hold_default_minutes
    record = indexed_facility(facility_id)
    if body["level_of_care"] not in record.get("levels_of_care", ()):
        raise ApiProblem(422, f"{facility_id} does not offer {body['level_of_care']}",
                         {"level_of_care": ["not offered by this facility"]})
    cap = settings.hold_max_active_per_key if principal.role == "coach" else None
    try:
        hold = holds.create(_adb(), facility_id, body["level_of_care"], body["population"],
                            principal.key_id, body["note"], minutes, record.get("beds"),
                            max_active=cap)
    except holds.PopulationNeeded as exc:
        raise ApiProblem(422, str(exc), {"population": [
            "one of: " + (", ".join(exc.choices) or "(no bed rows at this level)")]}) from None
    except holds.HoldRefused as exc:
        raise ApiProblem(409, str(exc), title="No bed to hold") from None
    publish(facility_id)
    return hold


def facility_contact(record):
    """What a coach on the way needs of the facility: its name, the intake line (else the
    main one) and its address in one line; None for each the directory does not know."""
    record = record or {}
    phones, address = record.get("phones") or {}, record.get("address") or {}
    place = " ".join(p for p in (address.get("state"), address.get("postal_code")) if p)
    line = ", ".join(p for p in (address.get("street"), address.get("city"), place) if p)
    return {"facility_name": record.get("name"),
            "facility_phone": phones.get("intake") or phones.get("main"),
            "facility_address": line or None}


def coach_holds(principal, page, per_page, state=None):
    """(total, holds) the key made, each with its facility's name, intake phone and
    address (API and coach page)."""
    total, found = holds.for_coach(_adb(), principal.key_id, page, per_page, state)
    store, contacts = current_app.extensions["store"], {}
    for hold in found:
        fid = hold["facility_id"]
        if fid not in contacts:
            contacts[fid] = facility_contact(store.get(fid))
        hold.update(contacts[fid])
    return total, found


@blp.route("/facilities/<path:facility_id>/holds")
class FacilityHolds(MethodView):
    @auth.require_key("coach", "admin")
    @bounded_json
    @blp.arguments(HoldBody)
    @blp.response(201, HoldSchema)
    @blp.alt_response(409, description="No open bed is left to hold (or it is not reported).")
    @blp.alt_response(429, description="This coach key already has HOLD_MAX_ACTIVE_PER_KEY "
                      "active holds; `Retry-After` says when the soonest expires.")
    @blp.doc(security=auth.SECURITY)
    def post(self, body, facility_id):
        """Hold one open bed (coach key). Expires after `expires_in_minutes` (default 120).

        A coach key may have at most HOLD_MAX_ACTIVE_PER_KEY (5) active holds (admins are
        not capped); one more is 429 with `Retry-After`.
        """
        try:
            return place_hold(g.principal, facility_id, body)
        except holds.HoldLimit as exc:
            # Returned, not raised: ApiProblem carries no headers, and 429 needs Retry-After.
            return problem(429, "Too many active holds", str(exc),
                           headers={"Retry-After": str(holds.seconds_until(exc.next_expiry))},
                           extra={"active_holds": exc.active, "limit": exc.limit})

    @auth.require_key("facility", "admin")
    @blp.response(200, HoldListSchema)
    @blp.doc(security=auth.SECURITY)
    def get(self, facility_id):
        """Active holds at the facility, soonest expiry first (that facility's key, or admin)."""
        auth.require_facility(g.principal, facility_id)
        indexed_facility(facility_id)
        return {"holds": holds.active_for(_adb(), facility_id)}


@blp.route("/holds")
class CoachHolds(MethodView):
    @auth.require_key("coach", "admin")
    @blp.arguments(CoachHoldArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, CoachHoldsResponse)
    @blp.doc(security=auth.SECURITY)
    def get(self, args):
        """The calling key's own holds: active first (soonest expiry first), then the rest.

        Each shows its state (active, confirmed, declined, cancelled, expired, released),
        facility (name, intake phone, address), level, population, expiry, the facility's
        decision and, for a released hold, the reason. Never another key's holds, not even for an admin.
        """
        total, found = coach_holds(g.principal, args["page"], args["per_page"],
                                   args.get("state"))
        return {"total": total, "page": args["page"], "per_page": args["per_page"],
                "holds": found}


@blp.route("/holds/<hold_id>")
class Hold(MethodView):
    @auth.require_key("coach", "facility", "admin")
    @blp.response(200, HoldSchema)
    @blp.doc(security=auth.SECURITY)
    def get(self, hold_id):
        """One hold: its coach, its facility and admins may read it."""
        hold = _hold_or_404(hold_id)
        _may_see(g.principal, hold)
        return hold

    @auth.require_key("coach", "admin")
    @blp.response(200, HoldSchema)
    @blp.doc(security=auth.SECURITY)
    def delete(self, hold_id):
        """Cancel a hold (the coach who made it, or admin): the bed is free again."""
        return _decide(hold_id, "cancelled")


def _action(name, state, roles, summary):
    @auth.require_key(*roles)
    @blp.response(200, HoldSchema)
    @blp.alt_response(409, description="The hold is no longer active.")
    @blp.doc(security=auth.SECURITY, summary=summary)
    def post(self, hold_id):
        return _decide(hold_id, state)

    view = type(f"Hold{name.title()}", (MethodView,), {"post": post})
    blp.route(f"/holds/<hold_id>/{name}")(view)


_action("confirm", "confirmed", ("facility", "admin"),
        "Confirm: the person was admitted; available drops by one")
_action("decline", "declined", ("facility", "admin"), "Decline: the bed is free again")
_action("cancel", "cancelled", ("coach", "admin"), "Cancel (same as DELETE)")

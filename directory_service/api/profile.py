"""A facility's own profile: `GET|PUT /v1/facilities/{id}/profile` and its history.

With its key a facility declares and corrects what the source file says about it (levels
of care and bed rows, populations, payment, medications, phones, hours, intake facts).
The profile is kept in the availability database and merged over the record wherever it
is served, field by field with provenance; a PUT names the version it read in If-Match
(428 without, 412 when stale), like a bed report. The staff profile page calls
`profile_body` and `save_profile`, so nothing here is implemented twice.
"""
import functools

from flask import current_app, g, request
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE

from directory_service.api import auth
from directory_service.api.beds import (
    indexed_facility, own_facility, publish, refuse_query_parameters)
from directory_service.availability import onboarding, profiles
from directory_service.availability.bodies import bounded_json
from directory_service.availability.preconditions import PROFILE_HINT, versions_from_if_match
from directory_service.availability.profile_merge import get_field, merge_profile
from directory_service.errors import ApiProblem
from directory_service.schemas.availability import HistoryResponse, PageArgs
from directory_service.schemas.profile import PROFILE_FIELDS, ProfileBody, ProfileResponse, flatten

blp = Blueprint("profile", __name__, url_prefix="/v1",
                description="A facility's own profile, merged over its source record")
refuse_query_parameters(blp, exempt=("profile.ProfileHistory",))


def merged_record(record):
    """`record` with the stored profile merged now (not as a worker last polled it)."""
    adb = current_app.extensions["availability"]
    with adb.read() as db:
        return merge_profile(record, profiles.overlay_for(db, record["id"]))


def profile_body(record):
    """The profile as the API shows it: every declarable field with its value, where it
    came from and when, the source's value beside a facility's, and the conflicts."""
    adb = current_app.extensions["availability"]
    merged = merged_record(record)
    with adb.read() as db:
        stored = profiles.load(db, record["id"])
        claimed = onboarding.claimed_at(db, record["id"])
    shown = {}
    for name in PROFILE_FIELDS:
        entry = merged["provenance"][name]
        shown[name] = {"value": get_field(merged, name), "origin": entry["origin"],
                       "at": entry["at"]}
        if entry["origin"] == "facility":
            shown[name].update(source_value=entry["source_value"],
                               source_changed=entry["source_changed"])
    return {"facility_id": record["id"], "version": stored.version,
            "updated_at": stored.updated_at, "verified_at": merged.get("verified_at"),
            "claimed_at": claimed, "fields": shown, "conflicts": profiles.conflicts(merged)}


def save_profile(record, body, principal, expected):
    """Apply a loaded `ProfileBody` for `principal` (the PUT and the staff page); 412 when
    stale, 422 naming the fields that do not fit. Publishes the change; returns the body."""
    adb = current_app.extensions["availability"]
    try:
        profiles.save(adb, record, flatten(body.get("fields") or {}),
                      accept_source=body.get("accept_source") or (), keep=body.get("keep") or (),
                      by=f"key:{principal.key_id}", expected=expected)
    except profiles.StaleProfile as exc:
        raise ApiProblem(412, f"the profile changed since the version you read; it is at "
                              f"version {exc.current}: GET it and save again",
                         {"version": [f"current version is {exc.current}"]}) from None
    except profiles.ProfileRefused as exc:
        raise ApiProblem(422, "the profile does not fit together",
                         {"fields": exc.errors}) from None
    publish(record["id"])
    return profile_body(record)


def require_profile_if_match(view):
    """Decorator: a 428/400 for a missing or malformed If-Match, before the body is read."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.if_match = versions_from_if_match(request.headers.get("If-Match"), PROFILE_HINT,
                                            "a profile save")
        return view(*args, **kwargs)
    return wrapper


def _headers(body):
    return {"ETag": f'"{body["version"]}"', "Cache-Control": "private, no-store",
            "Vary": "Authorization"}


@blp.route("/facilities/<path:facility_id>/profile")
class FacilityProfile(MethodView):
    @auth.require_key("facility", "admin")
    @blp.response(200, ProfileResponse)
    @blp.doc(security=auth.SECURITY)
    def get(self, facility_id):
        """The facility's profile: each declarable field, its value and its provenance
        (`source` with the source's date, or `facility` with when it was declared and
        what the source says now). The ETag is the version a PUT names in If-Match."""
        auth.require_facility(g.principal, facility_id)
        body = profile_body(indexed_facility(facility_id))
        return body, _headers(body)

    @auth.require_key("facility", "admin")
    @own_facility
    @require_profile_if_match
    @bounded_json
    @blp.arguments(ProfileBody)
    @blp.response(200, ProfileResponse)
    @blp.alt_response(400, description="Malformed If-Match, or a body nested too deep.")
    @blp.alt_response(412, description="The profile changed since the version in If-Match.")
    @blp.alt_response(428, description="No If-Match: a save must name the version it was "
                                       "made against.")
    @blp.doc(security=auth.SECURITY, parameters=[{
        "in": "header", "name": "If-Match", "required": True,
        "schema": {"type": "string", "maxLength": 200},
        "description": 'The ETag of GET …/profile, e.g. "3".'}])
    def put(self, body, facility_id):
        """Declare or correct fields (`fields`), give fields back to the source
        (`accept_source`) or keep yours over a changed source (`keep`).

        Declared fields are validated with the indexer's own vocabularies; each bed row's
        level must be among the levels of care. Fields not named keep what they had.
        Every save is kept in history and marks the record verified.
        """
        expected = g.if_match
        if body.get("version") is not None and body["version"] not in expected:
            raise ApiProblem(422, "If-Match and version disagree",
                             {"version": ["differs from If-Match"]})
        saved = save_profile(g.record, body, g.principal, expected)
        return saved, _headers(saved)


@blp.route("/facilities/<path:facility_id>/profile/history")
class ProfileHistory(MethodView):
    @auth.require_key("facility", "admin")
    @blp.arguments(PageArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, HistoryResponse)
    @blp.doc(security=auth.SECURITY)
    def get(self, args, facility_id):
        """Every profile save, newest first: what each field was before and after."""
        auth.require_facility(g.principal, facility_id)
        indexed_facility(facility_id)
        total, entries = profiles.history(current_app.extensions["availability"], facility_id,
                                          args["page"], args["per_page"])
        return {"facility_id": facility_id, "total": total, "page": args["page"],
                "per_page": args["per_page"], "entries": entries}

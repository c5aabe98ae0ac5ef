"""Nudge contacts and the record of nudges: `GET|PUT /v1/facilities/{id}/contacts`
(the facility's own key or an admin) and `GET /v1/nudges` (admin).

Contacts are the facility's private business: no public view shows them, and the
record of sends shows addresses masked. The staff profile page saves through the same
`contacts.save`.
"""
from flask import current_app, g
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from directory_service.api import auth
from directory_service.api.beds import own_facility
from directory_service.availability.bodies import bounded_json, json_only
from directory_service.errors import ApiProblem
from directory_service.nudges import contacts as contact_book
from directory_service.nudges import sends
from directory_service.schemas.search import QueryArgs

blp = Blueprint("nudges", __name__, url_prefix="/v1",
                description="Reminders to facilities whose bed figures went stale")
PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Authorization"}


class ContactsResponse(contact_book.ContactsBody):
    facility_id = fields.String()
    updated_at = fields.String(allow_none=True)
    webhook_secret = fields.String(metadata={
        "description": "Only in the answer to the PUT that set or changed `webhook_url`: "
                       "the webhook's Standard Webhooks signing secret (`whsec_…`), shown "
                       "this once; every nudge to it is signed with it."})


class NudgeArgs(QueryArgs):
    facility_id = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class NudgeRow(Schema):
    id = fields.String()
    facility_id = fields.String()
    channel = fields.String(metadata={"description": "email or webhook"})
    to = fields.String(metadata={"description": "The address, masked, or the webhook's host."})
    language = fields.String()
    status = fields.String(metadata={"description": ", ".join(sends.STATUSES)})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True, metadata={
        "description": "The e-mail's Message-ID, or for the webhook the id of its "
                       "delivery (`webhook-id`; its attempts in `GET /v1/deliveries`)."})
    created_at = fields.String()
    last_attempt_at = fields.String(allow_none=True)


class NudgeList(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    nudges = fields.List(fields.Nested(NudgeRow))


@blp.route("/facilities/<path:facility_id>/contacts")
class FacilityContacts(MethodView):
    @auth.require_key("facility", "admin")
    @own_facility
    @blp.response(200, ContactsResponse)
    @blp.doc(security=auth.SECURITY)
    def get(self, facility_id):
        """Who gets this facility's reminders (private to the facility and admins)."""
        found = contact_book.get(current_app.extensions["availability"].read(), facility_id)
        return {"facility_id": facility_id, **found}, PRIVATE

    @auth.require_key("facility", "admin")
    @own_facility
    @json_only
    @bounded_json
    @blp.arguments(contact_book.ContactsBody)
    @blp.response(200, ContactsResponse)
    @blp.doc(security=auth.SECURITY)
    def put(self, body, facility_id):
        """Replace the contacts: `emails` (at most NUDGE_MAX_CONTACTS), an optional
        `webhook_url`, the `language` of the messages (en, es) and `paused`. Setting or
        changing `webhook_url` answers its new signing secret (`webhook_secret`) once."""
        body = contact_book.tidy(body)
        try:
            contact_book.check_webhook(body, current_app.config["SETTINGS"])
        except ValidationError as exc:
            raise ApiProblem(422, "invalid webhook_url", exc.messages) from None
        saved = contact_book.save(current_app.extensions["availability"], facility_id,
                                  body, f"key:{g.principal.key_id}")
        return {"facility_id": facility_id, **saved}, PRIVATE


@blp.route("/nudges")
class Nudges(MethodView):
    @auth.require_key("admin")
    @blp.arguments(NudgeArgs, location="query", as_kwargs=False)
    @blp.response(200, NudgeList)
    @blp.doc(security=auth.SECURITY)
    def get(self, args):
        """Every reminder sent or tried, newest first, with failures and their reason."""
        adb = current_app.extensions["availability"]
        rows = sends.recent(adb, args["limit"], args.get("facility_id"))
        for row in rows:
            row["to"] = sends.masked(row["recipient"])
        return {"counts": sends.counts(adb), "nudges": rows}, PRIVATE

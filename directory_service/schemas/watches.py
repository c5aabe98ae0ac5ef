"""Request and response schemas of coach watches: the match's own needs (MatchBody), how
many hours to watch and how to be told."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from directory_service.schemas.availability import MatchBody
from directory_service.watches.store import STATES

LANGUAGES = ("en", "es")  # the languages the pages and messages are written in
MAX_HOURS = 24
DEFAULT_HOURS = 4


class WatchBody(MatchBody):
    """MatchBody's needs (without `limit` and `include_fallbacks`, which shape one answer
    only) plus `hours`, and at most one of `email` and `webhook`."""

    class Meta(MatchBody.Meta):
        exclude = ("limit", "include_fallbacks")

    hours = fields.Integer(strict=True, load_default=DEFAULT_HOURS,
                           validate=validate.Range(1, MAX_HOURS, error=(
                               f"a watch lasts 1 to {MAX_HOURS} hours (got {{input}})")),
                           metadata={"description": f"How long to watch (default "
                                                    f"{DEFAULT_HOURS}, at most {MAX_HOURS})."})
    email = fields.Email(validate=validate.Length(max=254), metadata={
        "description": "Send an e-mail here when the watch fires (the coach's own address)."})
    email_language = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES),
                                   metadata={"description": "The e-mail's language: en "
                                                            "(default) or es."})
    webhook = fields.Url(schemes=("https", "http"), require_tld=False,
                         validate=validate.Length(max=2000), metadata={
        "description": "POST a signed `watch.fired` event here (Standard Webhooks; the "
                       "signing secret is in the answer, once)."})

    @validates_schema
    def _one_way_to_tell(self, data, **kwargs):
        if "email" in data and "webhook" in data:
            raise ValidationError("choose e-mail or a webhook, not both", "webhook")


class WatchFireSchema(Schema):
    seq = fields.Integer(metadata={"description": "The fire's number (the event id)."})
    facility_id = fields.String()
    level_of_care = fields.String()
    population = fields.String()
    open = fields.Integer(allow_none=True)
    fired_at = fields.String()
    notified = fields.String(allow_none=True, metadata={
        "description": "queued or failed (webhook), sent or failed (e-mail); none asked: null."})


class WatchSchema(Schema):
    id = fields.String()
    needs = fields.Dict(metadata={"description": "The match's needs, with the origin as a "
                                                 "point rounded to about 100 m."})
    place = fields.String(allow_none=True)
    created_at = fields.String()
    expires_at = fields.String()
    state = fields.String(validate=validate.OneOf(STATES))
    ended_at = fields.String(allow_none=True)
    notify = fields.String(allow_none=True, validate=validate.OneOf(("email", "webhook")))
    notify_to = fields.String(allow_none=True)
    email_language = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES))
    secret = fields.String(metadata={"description": "The webhook's signing secret: in the "
                                                    "answer that creates it, never again."})
    fires = fields.List(fields.Nested(WatchFireSchema))


class WatchListSchema(Schema):
    watches = fields.List(fields.Nested(WatchSchema))

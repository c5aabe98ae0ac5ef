"""Schemas of partner webhook subscriptions and their deliveries: the same schemas validate
the bodies (errors name the field) and document the API."""
from marshmallow import Schema, fields, validate

from directory_service.availability.events import DESCRIPTIONS, EVENTS
from directory_service.schemas.availability import PageArgs
from directory_service.schemas.records import StrictSchema
from directory_service.webhooks.store import DELIVERY_STATES, STATES
from directory_service.webhooks.targets import MAX_URL

EVENT_HELP = "; ".join(f"`{name}`: {text}" for name, text in DESCRIPTIONS.items())


def _events(**kwargs):
    return fields.List(fields.String(validate=validate.OneOf(
        EVENTS, error="must be one of: " + ", ".join(EVENTS))),
        validate=validate.Length(1, len(EVENTS)), metadata={"description": EVENT_HELP},
        **kwargs)


def _description(**kwargs):
    return fields.String(allow_none=True, validate=validate.Length(max=200), metadata={
        "description": "What the subscription is for (at most 200 characters)."}, **kwargs)


class SubscriptionBody(StrictSchema):
    url = fields.String(required=True, validate=validate.Length(1, MAX_URL), metadata={
        "description": "An http(s) URL on a public address (private, loopback and "
                       "link-local targets are refused unless WEBHOOK_ALLOW_PRIVATE=true)."})
    events = _events(required=True)
    description = _description(load_default=None)


class SubscriptionPatch(StrictSchema):
    state = fields.String(validate=validate.OneOf(STATES, error="must be one of: "
                                                  + ", ".join(STATES)), metadata={
        "description": "`paused`: nothing is queued or sent; `active`: delivery resumes "
                       "with what was pending."})
    events = _events()
    description = _description()


class SubscriptionSchema(Schema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    description = fields.String(allow_none=True)
    state = fields.String()
    created_at = fields.String()
    updated_at = fields.String()


class SubscriptionCreated(SubscriptionSchema):
    secret = fields.String(metadata={
        "description": "The signing secret (Standard Webhooks, `whsec_…`). Shown only "
                       "in this answer: keep it to verify `webhook-signature`."})


class SubscriptionList(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    subscriptions = fields.List(fields.Nested(SubscriptionSchema))


class DeliveryArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(DELIVERY_STATES, error="must be one of: "
                                                  + ", ".join(DELIVERY_STATES)), metadata={
        "description": "Only deliveries in this state (`dead`: the dead letters)."})


class DeliverySchema(Schema):
    id = fields.String(metadata={"description": "Sent as `webhook-id`, the same on every "
                                                "retry and redelivery."})
    subscription_id = fields.String(allow_none=True)
    event = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    delivered_at = fields.String(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    payload = fields.Dict()


class DeliveryList(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    deliveries = fields.List(fields.Nested(DeliverySchema))

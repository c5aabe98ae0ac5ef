"""Partner webhook subscriptions (admin keys only): `POST|GET /v1/subscriptions`,
`GET|PATCH|DELETE /v1/subscriptions/{id}`, its deliveries (`?state=dead`: the dead
letters) and `POST …/deliveries/{delivery_id}/redeliver`; `GET /v1/deliveries` and
`POST /v1/deliveries/{delivery_id}/redeliver` for every delivery, ad-hoc ones (coach
watches, deliver_to_url) included. DESIGN §13.

A URL is checked when registered (and again before every attempt): a non-public target is
a 422 naming `url`. The signing secret is in the creation answer only.
"""
from flask import current_app, g
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE

from directory_service.api import auth
from directory_service.api.beds import refuse_query_parameters
from directory_service.availability.bodies import bounded_json, json_only
from directory_service.availability.db import utcnow
from directory_service.errors import ApiProblem
from directory_service.schemas.availability import PageArgs
from directory_service.webhooks import delivery, store, targets
from directory_service.webhooks.schemas import (
    DeliveryArgs, DeliveryList, DeliverySchema, SubscriptionBody, SubscriptionCreated,
    SubscriptionList, SubscriptionPatch, SubscriptionSchema,
)

blp = Blueprint("webhooks", __name__, url_prefix="/v1",
                description="Webhooks for partner systems (admin)")
refuse_query_parameters(blp, exempt=("webhooks.Subscriptions", "webhooks.Deliveries",
                                     "webhooks.AllDeliveries"))


def _adb():
    return current_app.extensions["availability"]


def check_url(url):
    """422 naming `url` when deliveries may not go there."""
    settings = current_app.config["SETTINGS"]
    try:
        targets.check(url, settings.webhook_allow_private)
    except targets.TargetRefused as exc:
        raise ApiProblem(422, f"url {exc}", {"url": [str(exc)]}) from None


def subscribe(principal, body):
    """Register a subscription (the API and the admin page); returns it with its secret."""
    check_url(body["url"])
    with _adb().write() as db:
        return store.create_subscription(db, body["url"], body["events"],
                                         body.get("description"), f"key:{principal.key_id}",
                                         delivery.start_position(db), utcnow())


def _subscription_or_404(db, sub_id):
    found = store.get_subscription(db, sub_id)
    if found is None:
        raise ApiProblem(404, f"no subscription with id {sub_id!r}")
    return found


def redeliver(sub_id, delivery_id):
    """A dead letter sent again (the API and the admin page): 404 unknown, 409 not dead.
    `sub_id` None: any delivery, ad-hoc ones (deliver_to_url) included."""
    with _adb().write() as db:
        if sub_id is not None:
            _subscription_or_404(db, sub_id)
        found = store.get_delivery(db, delivery_id)
        if found is None or (sub_id is not None and found["subscription_id"] != sub_id):
            raise ApiProblem(404, f"no delivery with id {delivery_id!r}"
                                  + (f" for {sub_id}" if sub_id else ""))
        if not store.redeliver(db, delivery_id, utcnow()):
            raise ApiProblem(409, f"delivery {delivery_id} is {found['state']}; only a dead "
                                  "one is redelivered")
        return store.public_delivery(store.get_delivery(db, delivery_id))


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @auth.require_key("admin")
    @bounded_json
    @blp.arguments(SubscriptionBody)
    @blp.response(201, SubscriptionCreated)
    @blp.doc(security=auth.SECURITY)
    def post(self, body):
        """Subscribe a partner's URL to events (admin key). The answer holds the signing
        secret, shown this once; deliveries are signed per Standard Webhooks and carry
        only events after the subscription was made."""
        return subscribe(g.principal, body)

    @auth.require_key("admin")
    @blp.arguments(PageArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, SubscriptionList)
    @blp.doc(security=auth.SECURITY)
    def get(self, args):
        """Every subscription, oldest first (never its secret)."""
        total, found = store.list_subscriptions(_adb().read(), args["page"], args["per_page"])
        return {"total": total, "page": args["page"], "per_page": args["per_page"],
                "subscriptions": found}


@blp.route("/subscriptions/<sub_id>")
class Subscription(MethodView):
    @auth.require_key("admin")
    @blp.response(200, SubscriptionSchema)
    @blp.doc(security=auth.SECURITY)
    def get(self, sub_id):
        """One subscription (without its secret)."""
        return _subscription_or_404(_adb().read(), sub_id)

    @auth.require_key("admin")
    @json_only
    @bounded_json
    @blp.arguments(SubscriptionPatch)
    @blp.response(200, SubscriptionSchema)
    @blp.doc(security=auth.SECURITY)
    def patch(self, body, sub_id):
        """Pause or resume (`state`), or change its events or description."""
        with _adb().write() as db:
            _subscription_or_404(db, sub_id)
            return store.update_subscription(db, sub_id, body, utcnow())

    @auth.require_key("admin")
    @blp.response(204)
    @blp.doc(security=auth.SECURITY)
    def delete(self, sub_id):
        """Delete it; its deliveries not yet made are cancelled."""
        with _adb().write() as db:
            if not store.delete_subscription(db, sub_id, utcnow()):
                raise ApiProblem(404, f"no subscription with id {sub_id!r}")
        return None


@blp.route("/subscriptions/<sub_id>/deliveries")
class Deliveries(MethodView):
    @auth.require_key("admin")
    @blp.arguments(DeliveryArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, DeliveryList)
    @blp.doc(security=auth.SECURITY)
    def get(self, args, sub_id):
        """Its deliveries, newest first; `?state=dead` lists the dead letters."""
        db = _adb().read()
        _subscription_or_404(db, sub_id)
        total, found = store.list_deliveries(db, args["page"], args["per_page"], sub_id,
                                             args.get("state"))
        return {"total": total, "page": args["page"], "per_page": args["per_page"],
                "deliveries": found}


@blp.route("/subscriptions/<sub_id>/deliveries/<delivery_id>/redeliver")
class Redeliver(MethodView):
    @auth.require_key("admin")
    @blp.response(200, DeliverySchema)
    @blp.alt_response(409, description="The delivery is not dead (pending or delivered).")
    @blp.doc(security=auth.SECURITY)
    def post(self, sub_id, delivery_id):
        """Send a dead letter again, at once, with the same `webhook-id`."""
        return redeliver(sub_id, delivery_id)


@blp.route("/deliveries")
class AllDeliveries(MethodView):
    @auth.require_key("admin")
    @blp.arguments(DeliveryArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, DeliveryList)
    @blp.doc(security=auth.SECURITY)
    def get(self, args):
        """Every delivery, newest first: subscriptions' and those to ad-hoc URLs (coach
        watches, `subscription_id` null); `?state=dead` lists every dead letter."""
        total, found = store.list_deliveries(_adb().read(), args["page"], args["per_page"],
                                             None, args.get("state"))
        return {"total": total, "page": args["page"], "per_page": args["per_page"],
                "deliveries": found}


@blp.route("/deliveries/<delivery_id>/redeliver")
class RedeliverAny(MethodView):
    @auth.require_key("admin")
    @blp.response(200, DeliverySchema)
    @blp.alt_response(409, description="The delivery is not dead (pending or delivered).")
    @blp.doc(security=auth.SECURITY)
    def post(self, delivery_id):
        """Send any dead letter again (ad-hoc ones too), at once, with the same
        `webhook-id`."""
        return redeliver(None, delivery_id)


def init_app(app, api):
    api.register_blueprint(blp)

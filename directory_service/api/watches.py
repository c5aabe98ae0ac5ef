"""Coach watches: `POST /v1/watches` saves a match's needs for some hours; a bed that
opens for them fires the watch (watches/job.py). `GET /v1/watches` lists the calling
key's own, `GET`/`DELETE /v1/watches/{id}` reads or cancels one; another key's watch is
404, as if it did not exist. The body holds a person's needs, so it is never logged.
"""
from flask import current_app, g
from flask.views import MethodView
from directory_service.json_bodies import Blueprint

from directory_service.api import auth
from directory_service.api.beds import refuse_query_parameters
from directory_service.api.search import resolve_origin
from directory_service.availability.bodies import bounded_json
from directory_service.availability import holds
from directory_service.errors import ApiProblem, problem
from directory_service.schemas.watches import WatchBody, WatchListSchema, WatchSchema
from directory_service.watches import job, store
from directory_service.webhooks import targets

blp = Blueprint("watches", __name__, url_prefix="/v1",
                description="Coach watches: tell me when a bed opens")
refuse_query_parameters(blp)
NAMED_PLACES = ("zip", "city", "county")


def clock():
    """Now, as the pages see it (PAGE_NOW when a test fixes it)."""
    from directory_service.web.views import page_now

    return page_now()


def _adb():
    return current_app.extensions["availability"]


def save_watch(principal, body, now=None):
    """Save a watch for `principal` from a loaded WatchBody (the API and the coach page);
    the beds open for its needs now are remembered, so only a later opening fires."""
    now = now or clock()
    body = dict(body)
    hours = body.pop("hours")
    email, webhook = body.pop("email", None), body.pop("webhook", None)
    language = body.pop("email_language", "en")
    if webhook:
        try:  # the partner webhooks' rule; a name is checked again before each attempt
            targets.check_without_dns(webhook, current_app.config["SETTINGS"]
                                      .webhook_allow_private)
        except targets.TargetRefused as exc:
            raise ApiProblem(422, f"webhook {exc}", {"webhook": [str(exc)]}) from None
    origin = resolve_origin(body)  # 422 naming `near` when it cannot be placed
    saved = store.saved_needs(body, origin)
    place = origin.label if origin.precision in NAMED_PLACES else None
    app = current_app._get_current_object()
    open_now = job.open_rows(app, saved, now)
    notify = "email" if email else "webhook" if webhook else None
    return store.create(_adb(), principal.key_id, saved, place, hours, now, notify,
                        email or webhook, open_now,
                        max_active=current_app.config["SETTINGS"].watch_max_active_per_key,
                        email_language=language if email else None)


def watch_or_404(principal, watch_id, now=None):
    found = store.get(_adb(), watch_id, principal.key_id, now or clock())
    if found is None:
        raise ApiProblem(404, f"no watch with id {watch_id!r}")
    return found


@blp.route("/watches")
class Watches(MethodView):
    @auth.require_key("coach", "admin")
    @bounded_json
    @blp.arguments(WatchBody)
    @blp.response(201, WatchSchema)
    @blp.alt_response(400, description="Malformed JSON, or a body nested too deep.")
    @blp.doc(security=auth.SECURITY)
    def post(self, body):
        """Watch for an open bed that fits the needs (coach key), for `hours` (default 4,
        at most 24).

        The needs are `POST /v1/match`'s. Beds open now do not fire; a bed that opens later
        (a report, a hold declined, cancelled, released or expired) fires once, shown on
        the coach's open pages and, when asked, by e-mail or a signed webhook
        (`watch.fired`). Only the match's parameters are kept, with the origin rounded to
        about 100 m: never the place as typed. A key may have WATCH_MAX_ACTIVE_PER_KEY
        (25) running watches; one more is 429 with Retry-After until the first one ends.
        """
        try:
            return save_watch(g.principal, body)
        except store.WatchLimit as exc:
            # Returned, not raised: ApiProblem carries no headers, and 429 needs Retry-After.
            return problem(429, "Too many running watches", str(exc),
                           headers={"Retry-After": str(holds.seconds_until(exc.next_expiry, clock()))},
                           extra={"active_watches": exc.active, "limit": exc.limit})

    @auth.require_key("coach", "admin")
    @blp.response(200, WatchListSchema)
    @blp.doc(security=auth.SECURITY)
    def get(self):
        """The calling key's own watches, running first, each with what it fired; ended
        ones stay listed for a day. Never another key's, not even for an admin."""
        return {"watches": store.for_coach(_adb(), g.principal.key_id, clock())}


@blp.route("/watches/<watch_id>")
class Watch(MethodView):
    @auth.require_key("coach", "admin")
    @blp.response(200, WatchSchema)
    @blp.doc(security=auth.SECURITY)
    def get(self, watch_id):
        """One of the calling key's watches (another key's is 404)."""
        return watch_or_404(g.principal, watch_id)

    @auth.require_key("coach", "admin")
    @blp.response(200, WatchSchema)
    @blp.doc(security=auth.SECURITY)
    def delete(self, watch_id):
        """Cancel one of the calling key's watches (another key's is 404); an ended watch
        stays as it ended."""
        watch_or_404(g.principal, watch_id)
        return store.cancel(_adb(), watch_id, g.principal.key_id, clock())

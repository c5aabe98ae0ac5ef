"""Live availability: bed reports, holds, keys and matching (issue #5, DESIGN §6).

`init_app` wires it into the app: the availability database, the embedded store's live
overlay, the API blueprints and the `flask keys` commands.
"""
import logging

from sqlalchemy import exc as sa_exc

from directory_service.availability.db import AvailabilityDB

log = logging.getLogger(__name__)
# The database cannot be reached (refused, dropped, restarting) or every pooled
# connection is busy past AVAILABILITY_POOL_TIMEOUT_S: 503, and the next request tries
# again on a fresh connection (pool_pre_ping), so recovery needs no restart.
OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def init_app(app, api, settings):
    from directory_service import cli
    from directory_service.api import auth, beds, holds, match, profile, watches
    from directory_service.search.live_overlay import LiveOverlay

    adb = AvailabilityDB.from_settings(settings)
    app.extensions["availability"] = adb
    register_outage(app)
    store = app.extensions["store"]
    if hasattr(store, "set_live_overlay"):
        # Also in extensions: a bed report tells it what it wrote (api/beds.py).
        app.extensions["live_overlay"] = overlay = LiveOverlay(adb)
        store.set_live_overlay(overlay)
    auth.register_scheme(api)
    for blueprint in (beds.blp, holds.blp, match.blp, profile.blp, watches.blp):
        api.register_blueprint(blueprint)
    document_hold_limit(api, settings)
    app.cli.add_command(cli.keys)


def document_hold_limit(api, settings):
    """The OpenAPI maximum of `expires_in_minutes` is the configured HOLD_MAX_MINUTES, the
    very limit the schema enforces, so the contract and the server never disagree."""
    body = api.spec.components.schemas.get("HoldBody")
    if body is not None:
        body["properties"]["expires_in_minutes"]["maximum"] = settings.hold_max_minutes


def register_outage(app):
    from directory_service.errors import problem

    def availability_down(exc):
        # The class only: a driver message may name hosts and users.
        log.warning("availability database unavailable: %s", type(exc.orig if hasattr(
            exc, "orig") else exc).__name__)
        from flask import request

        from directory_service.web.views import error_page, is_api_path

        if not is_api_path(request.path):  # a staff page: a page, in the visitor's language
            return error_page(503, {"Retry-After": "5"})
        return problem(503, "Service Unavailable", "the availability database (bed "
                       "reports, holds, keys) is not available; try again shortly",
                       headers={"Retry-After": "5"})

    for outage in OUTAGES:
        app.register_error_handler(outage, availability_down)

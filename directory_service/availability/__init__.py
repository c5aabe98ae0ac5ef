"""Live availability: bed reports, holds, keys and matching (issue #5, DESIGN §6).

`init_app` wires it into the app: the availability database, the embedded store's live
overlay, the API blueprints and the `flask keys` commands.
"""
from directory_service.availability.db import AvailabilityDB


def init_app(app, api, settings):
    from directory_service import cli
    from directory_service.api import auth, beds, holds, match
    from directory_service.search.live_overlay import LiveOverlay

    adb = AvailabilityDB(settings.availability_path, settings.availability_busy_timeout_ms)
    app.extensions["availability"] = adb
    store = app.extensions["store"]
    if hasattr(store, "set_live_overlay"):
        store.set_live_overlay(LiveOverlay(adb))
    auth.register_scheme(api)
    for blueprint in (beds.blp, holds.blp, match.blp):
        api.register_blueprint(blueprint)
    document_hold_limit(api, settings)
    app.cli.add_command(cli.keys)


def document_hold_limit(api, settings):
    """The OpenAPI maximum of `expires_in_minutes` is the configured HOLD_MAX_MINUTES, the
    very limit the schema enforces, so the contract and the server never disagree."""
    body = api.spec.components.schemas.get("HoldBody")
    if body is not None:
        body["properties"]["expires_in_minutes"]["maximum"] = settings.hold_max_minutes

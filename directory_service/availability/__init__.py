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
    app.cli.add_command(cli.keys)

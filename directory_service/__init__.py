"""directory-service: a resource directory and bed-availability matching service.

`create_app()` is the application factory gunicorn and the tests use
(`gunicorn "directory_service:create_app()"`).
"""
from flask import Flask, send_from_directory
from flask_smorest import Api

from directory_service import (availability, cli, errors, jobs, metrics, request_limits,
                               request_log, security_headers, tracing, web, webhooks)
from directory_service.api import export, health, http_cache, public_reports, resources, search
from directory_service.api import nudges as nudges_api
from directory_service.api import outcomes as outcomes_api
from directory_service.nudges import cli as nudges_cli
from directory_service.body_deadline import BodyDeadline
from directory_service.geocoder import make_geocoder
from directory_service.config import Settings
from directory_service.openapi_contract import ProblemResponsesPlugin
from directory_service.search import open_store

API_VERSION = "1.0.0"


def create_app(settings=None, store=None):
    """Build the Flask app from settings (default: the environment) and a store."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        API_TITLE="directory-service",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from our own origin (swagger-ui-bundle), never from a CDN.
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        JSON_SORT_KEYS=False,
    )
    request_log.init_app(app, settings)
    tracing.init_app(app)
    metrics.init_app(app, settings)
    request_limits.init_app(app, settings)
    app.wsgi_app = BodyDeadline(app.wsgi_app, settings.body_timeout_s)
    app.extensions["store"] = store or open_store(settings)
    app.extensions["geocoder"] = make_geocoder(settings)

    api = Api(app, spec_kwargs={"extra_plugins": [ProblemResponsesPlugin()],
                                "info": {"description": (
        "Find treatment beds, mutual-aid meetings, naloxone and drug take-back sites. "
        "Errors are application/problem+json with per-field `errors`.")}})
    api.register_blueprint(search.blp)
    api.register_blueprint(resources.blp)
    api.register_blueprint(export.blp)
    app.register_blueprint(health.blp)
    availability.init_app(app, api, settings)
    jobs.init_app(app)
    public_reports.init_app(app, api)
    api.register_blueprint(nudges_api.blp)
    outcomes_api.init_app(app, api)
    webhooks.init_app(app, api)
    app.cli.add_command(cli.sync)
    app.cli.add_command(nudges_cli.nudges)
    http_cache.init_app(app, settings)
    web.init_app(app)
    _serve_swagger_assets(app)
    errors.register(app)
    security_headers.init_app(app)
    return app


def _serve_swagger_assets(app):
    import swagger_ui_bundle

    @app.get("/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

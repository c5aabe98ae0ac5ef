"""What the coach's phone app needs from HTTP: validators, caching, CORS and gzip.

A coach re-runs the same search many times on a slow connection while driving; an ETag
lets the app ask "has anything changed?" and get a bodiless 304 when nothing has. Beds
change often, so the shared cache lifetime is short (settings.cache_max_age_s) and the
ETag does the rest. CORS is opened only to the origins an operator configures.
"""
import hashlib
import json

from flask import request
from flask_compress import Compress
from flask_cors import CORS

# The API endpoints whose answers carry validators (flask-smorest names them
# "<blueprint>.<MethodView>").
CACHEABLE_ENDPOINTS = ("search.Search", "resources.Resource")
# Only these are worth compressing; images and fonts are not served here.
COMPRESSED_TYPES = ["application/json", "application/problem+json", "text/html",
                    "text/css", "text/javascript", "application/javascript"]


def _without_ages(value):
    if isinstance(value, dict):
        return {k: _without_ages(v) for k, v in value.items() if k != "age_seconds"}
    if isinstance(value, list):
        return [_without_ages(v) for v in value]
    return value


def _add_semantic_etag(response):
    """A weak ETag over the body less `age_seconds`, which ticks every second.

    Two answers that differ only in how old the same bed report has grown are the same
    answer; a new report, a hold or a change of freshness label changes the ETag.
    """
    data = response.get_json(silent=True)
    if data is None:
        response.add_etag()
        return
    canonical = json.dumps(_without_ages(data), sort_keys=True, separators=(",", ":"))
    response.set_etag(hashlib.sha256(canonical.encode()).hexdigest()[:32], weak=True)


def add_validators(response, max_age_s):
    """ETag + Cache-Control on a successful GET, answered with 304 on If-None-Match."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    # The ETag is computed on the uncompressed body; flask-compress (registered before
    # this hook, so it runs after it) suffixes it with the encoding and re-checks
    # If-None-Match itself, so both plain and gzip clients get their 304.
    _add_semantic_etag(response)
    response.cache_control.public = True
    response.cache_control.max_age = max_age_s
    return response.make_conditional(request)


def init_app(app, settings):
    """Compression for every response, CORS for /v1, validators for search and records."""
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Streamed responses (static files) stay as they are: flask-compress's streaming path
    # leaves the file it streams from open, and our static files are a few kilobytes.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    if settings.cors_origins:
        CORS(app, resources={r"/v1/*": {"origins": list(settings.cors_origins)}},
             expose_headers=["ETag"], methods=["GET", "HEAD", "OPTIONS", "POST", "PUT"])

    @app.after_request
    def _validators(response):
        if request.endpoint in CACHEABLE_ENDPOINTS:
            return add_validators(response, settings.cache_max_age_s)
        return response

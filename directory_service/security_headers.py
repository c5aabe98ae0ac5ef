"""Headers every response carries, whichever blueprint (or none) answered it.

`nosniff` on every response, JSON included, so a browser never runs an API answer as a
script or page. Every HTML response — the error pages and the API's `/docs` too, not only
the public page (web/__init__.py sets its own, stricter for staff) — gets a
Content-Security-Policy, a Referrer-Policy and a Permissions-Policy. `/docs` is Swagger UI
from our own origin; its one inline script is allowed by its hash, nothing else inline.
"""
import base64
import hashlib
import re

from flask import request

from directory_service.web import CONTENT_SECURITY_POLICY

INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)
DOCS_POLICY = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' "
               "'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'")


def init_app(app):
    app.after_request(add_headers)


def add_headers(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype != "text/html":
        return response
    if "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = _policy_for(response)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Permissions-Policy",
                                "geolocation=(self), camera=(), microphone=()")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _policy_for(response):
    if request.path.rstrip("/") != "/docs" or response.direct_passthrough:
        return CONTENT_SECURITY_POLICY
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(response.get_data()))
    return DOCS_POLICY.format(hashes=hashes)

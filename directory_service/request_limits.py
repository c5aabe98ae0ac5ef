"""What one client may send and how often: body size, media type, JSON depth and rate
limits.

Cheapest first: the rate limits (Flask-Limiter), the declared body size (a 413 without
reading a byte of the body) and, for an operation that reads a JSON body, a body sent as
anything else (a 415) before any view runs; the JSON nesting depth when a
view first reads its body, so after its key check (a 400 naming the body instead of a
RecursionError deep in the parser); a streamed body that reaches the size limit is a 413
then too.

Rate-limit classes (Settings; README, docs/serving.md):
- read: every request that is not a keyed write, per client address;
- write: an unsafe method (POST, PUT, PATCH, DELETE) sent with a valid API key, per key;
- auth failures: requests that present an `Authorization` header count against their
  client address when they end in 401; once over, such requests get 429 whatever key
  they carry. A staff sign-in (POST /staff/sign-in) that fails with 401 counts in the
  same bucket, and once over, sign-in answers 429 (a page in the visitor's language)
  even for a correct key until the window passes: a key cannot be guessed there either.
Requests no route answers (404, 405) count as reads too: scanning for URLs is not free.
Client addresses are needed to count, never to log: the limiter only ever sees a keyed
hash of the address (HMAC-SHA256), so neither its storage nor its log holds one.
"""
import functools
import hashlib
import hmac
import math
import re
import secrets
import time

from flask import Request, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from directory_service.errors import ApiProblem, problem

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
# The staff sign-in form's POST: a key is presented there as in an Authorization header.
SIGN_IN_ENDPOINT = "web.staff_sign_in_post"
# Liveness probes and our own static files are never limited.
EXEMPT_ENDPOINTS = frozenset(("health.healthz", "health.readyz", "static", "swagger_assets"))
# An escape is a backslash and one character; with escapes gone a string is "[^"]*",
# which a regex finds in linear time even when a hostile body never closes its quotes.
JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
JSON_STRING = re.compile(rb'"[^"]*"')
NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def init_app(app, settings):
    """Install the body checks and the rate limiter on `app` (one limiter per app)."""
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.request_class = BoundedRequest
    if settings.proxy_hops:
        # The proxy's X-Forwarded-Proto too: behind TLS the links the page hands out
        # (Send, the export's next page) say https, and staff cookies are Secure.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops,
                                x_proto=settings.proxy_hops, x_host=0, x_port=0, x_prefix=0)
    secret = (settings.rate_limit_key_secret or secrets.token_hex(32)).encode()
    limiter = _limiter(app, settings, secret)
    app.extensions["rate_limiter"] = limiter
    app.before_request(_check_body)

    @app.errorhandler(RateLimitExceeded)
    def too_many(exc):
        current = limiter.current_limit
        reset_at = current.reset_at if current else time.time() + 60
        wait = max(1, math.ceil(reset_at - time.time()))
        from directory_service.web.views import error_page, is_api_path

        if request.endpoint == SIGN_IN_ENDPOINT:
            from directory_service.web.staff.views import sign_in_refused

            return sign_in_refused(wait)
        if not is_api_path(request.path):
            # A person on the public page gets a page in their language, not JSON.
            return error_page(429, {"Retry-After": str(wait)})
        return problem(429, "Too Many Requests",
                       f"rate limit of {exc.description} exceeded; retry in {wait} s",
                       headers={"Retry-After": str(wait)})


def _limiter(app, settings, secret):
    def client():
        # REMOTE_ADDR is the peer, or with PROXY_HOPS the address the proxy saw.
        address = (request.remote_addr or "-").encode()
        return "c:" + hmac.new(secret, address, hashlib.sha256).hexdigest()[:32]

    def failures_key():
        return "auth-fail:" + client()

    def key_id():
        principal = _keyed_writer()
        return "k:" + principal.key_id if principal else "k:-"

    classes = [
        ApplicationLimit(settings.rate_limit_read, key_function=client, scope="read",
                         exempt_when=lambda: _keyed_writer() is not None),
        ApplicationLimit(settings.rate_limit_write, key_function=key_id, scope="write",
                         exempt_when=lambda: _keyed_writer() is None),
        ApplicationLimit(settings.rate_limit_auth_failures, key_function=failures_key,
                         scope="auth-failures",
                         exempt_when=lambda: not _presents_key(),
                         deduct_when=lambda response: response.status_code == 401),
    ]
    limiter = Limiter(
        client, app=app, enabled=settings.rate_limit_enabled,
        application_limits=[c for c in classes if c.limit_provider],
        storage_uri=settings.rate_limit_storage_uri, strategy="moving-window",
        headers_enabled=False, key_prefix="directory",
        # Flask-Limiter skips requests without an endpoint; name them so they count.
        request_identifier=lambda: request.endpoint or "unrouted")
    limiter.request_filter(lambda: request.endpoint in EXEMPT_ENDPOINTS)
    return limiter


def _presents_key():
    """True when the request presents a key: an Authorization header, or the staff
    sign-in form (its failures are guesses at a key just the same)."""
    return "Authorization" in request.headers or request.endpoint == SIGN_IN_ENDPOINT


def _keyed_writer():
    """The Principal of an unsafe request sent with a valid API key, else None (cached)."""
    if "rate_writer" not in g:
        g.rate_writer = None
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if request.method not in SAFE_METHODS and scheme.lower() == "bearer" and presented:
            from directory_service.availability import keys

            g.rate_writer = keys.verify(current_app.extensions["availability"],
                                        presented.strip())
    return g.rate_writer


def _check_body():
    limit = current_app.config["SETTINGS"].max_body_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise ApiProblem(413, f"the body is {length} bytes; at most {limit} are accepted",
                         {"body": [f"larger than {limit} bytes"]})
    if length and request.method in BODY_METHODS and not request.is_json \
            and _reads_json_body(request.endpoint, request.method):
        # webargs reads a JSON body only when it is sent as JSON: a form or text body would
        # be ignored and the client told its fields are missing, the wrong thing to fix.
        sent = request.mimetype or "no Content-Type"
        raise ApiProblem(415, f"send the body as JSON (Content-Type: application/json); "
                         f"it came as {sent}", {"body": [f"not JSON: {sent}"]})


@functools.lru_cache(maxsize=256)
def _reads_json_body(endpoint, method):
    """Whether the view for `endpoint` and `method` loads its arguments from a JSON body
    (flask-smorest's `arguments(..., location="json")`, the default); the CSV feed and
    the pages' forms read their bodies themselves."""
    view = current_app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    arguments = (getattr(handler, "_apidoc", None) or {}).get("arguments") or {}
    return any(p.get("in") == "json" for p in arguments.get("parameters", ()))


class BoundedRequest(Request):
    """A request whose body, when first read, is refused if too large or nested too deep.

    Every reader of a body (webargs, `get_json`, the CSV feed) goes through `get_data`.
    A streamed (chunked) body has no length to check up front: werkzeug stops reading it
    at MAX_CONTENT_LENGTH but hands back the first part as if it were all, so a body that
    reaches the limit is refused here rather than parsed cut short.
    """

    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        checked = getattr(self, "_body_checked", False)
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        if not checked:
            settings = current_app.config["SETTINGS"]
            if self.content_length is None and len(data) >= settings.max_body_bytes:
                raise ApiProblem(413, f"the streamed body reached the limit of "
                                 f"{settings.max_body_bytes} bytes",
                                 {"body": [f"larger than {settings.max_body_bytes} bytes"]})
            depth = settings.max_json_depth
            if self.is_json and json_too_deep(data, depth):
                raise ApiProblem(400, f"the JSON body is nested deeper than {depth} levels",
                                 {"body": [f"nested deeper than {depth} levels"]})
            self._body_checked = cache
        return data.decode(errors="replace") if as_text else data


def json_too_deep(data, limit):
    """True when the JSON text nests arrays or objects more than `limit` deep.

    Counted on the raw bytes without parsing (the parser is what must be protected), in
    linear time: strings are cut out first, so brackets inside them do not count. Invalid
    JSON is left for the parser to refuse.
    """
    text = JSON_STRING.sub(b"", JSON_ESCAPE.sub(b"", data))
    brackets = text.translate(None, NOT_BRACKET)
    depth = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False

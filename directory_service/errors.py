"""One error shape everywhere: application/problem+json (RFC 9457).

Validation errors carry per-field messages in `errors`; store outages are 503s; nothing
ever returns a stack trace.
"""
import logging

from flask import current_app, json
from werkzeug.exceptions import HTTPException

from directory_service.json_bodies import why_unreadable
from directory_service.search.store import StoreUnavailable

PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """Raised by views for a problem response with an explicit status and fields."""

    def __init__(self, status, detail, errors=None, title=None, extra=None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.title = status, detail, errors, title
        self.extra = extra or {}


def problem(status, title, detail=None, errors=None, headers=None, extra=None):
    """A problem+json response; `extra` holds extension members (RFC 9457 §3.2)."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(exc):
    """webargs puts messages under their location ({"query": {...}}); flatten that."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    flat = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            flat.update(location_messages)
    return flat


# marshmallow's whole-schema error for a body that is JSON but not an object.
NOT_AN_OBJECT = {"_schema": ["Invalid input type."]}


def _unreadable_body(exc):
    """What webargs found wrong with a body it could not decode as JSON, or None: the
    decoder's reason and place ("Expecting value: line 1 column 1 (char 0)"), which tells
    the client what to fix without echoing anything it sent."""
    data = getattr(exc, "data", None) or {}
    if not isinstance((data.get("messages") or {}).get("json"), list):
        return None
    return why_unreadable(getattr(exc, "exc", None))  # webargs' abort keeps the error here


def register(app):
    from directory_service.body_deadline import BodyTimeout

    @app.errorhandler(HTTPException)
    def http_problem(exc):
        errors = _field_errors(exc)
        detail = exc.description
        unreadable = _unreadable_body(exc)
        if unreadable:
            detail, errors = f"the body is {unreadable}", {"body": [unreadable]}
        elif errors == NOT_AN_OBJECT:
            # A JSON array, string or number where an object was expected.
            detail, errors = "the body must be a JSON object", {"body": ["not a JSON object"]}
        elif errors:
            detail = "invalid " + ", ".join(sorted(str(k) for k in errors))
        # Allow (405) and Retry-After (413, 429, 503) tell the client what to do next.
        kept = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
        return problem(exc.code, exc.name, detail, errors, headers=kept)

    @app.errorhandler(BodyTimeout)
    def body_too_slow(exc):
        # The rest of the body may still be trickling in: close, so the slot is free.
        return problem(408, "Request Timeout", exc.description, headers={"Connection": "close"})

    @app.errorhandler(ApiProblem)
    def api_problem(exc):
        from werkzeug.http import HTTP_STATUS_CODES

        # RFC 9110: a 401 says how to authenticate.
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.title or HTTP_STATUS_CODES.get(exc.status, "Error"),
                       exc.detail, exc.errors, headers=headers, extra=exc.extra)

    @app.errorhandler(StoreUnavailable)
    def store_down(exc):
        log.warning("search store unavailable: %s", exc)
        return problem(503, "Service Unavailable", "the search store is not available; "
                       "try again shortly", headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "an unexpected error occurred")

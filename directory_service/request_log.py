"""Log lines an operator's tools can read: JSON objects with a timestamp, a level and the
request's id, and the request id returned to the client.

A client (or the proxy in front) may send `X-Request-ID`; a well-formed one (1–128 of
letters, digits and `._:-`) is kept so one id follows a request across services, anything
else is replaced by a new one. The id comes back in the response's `X-Request-ID` and is
on every log line written while the request runs. The access line itself is gunicorn's
(directory_service/serving.py), which reads the id and the route from the WSGI environ;
no line carries a query string, a client address or a searcher's place (DESIGN §9).

`LOG_FORMAT=text` keeps the plain format for a developer's terminal.
"""
import logging
import re
import sys
import uuid

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
ENVIRON_ID = "directory_service.request_id"
ENVIRON_ROUTE = "directory_service.route"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def json_formatter():
    """One JSON object a line: timestamp (UTC, ISO 8601), level, logger, message and
    whatever the line was given (request_id, route, status, …)."""
    return JsonFormatter("%(levelname)s %(name)s %(message)s",
                         rename_fields={"levelname": "level", "name": "logger"},
                         timestamp=True, json_ensure_ascii=True)


class RequestIdFilter(logging.Filter):
    """Puts the running request's id on every record (`-` outside a request)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = (g.get("request_id", "-") if has_request_context() else "-")
        return True


def configure(settings):
    """The root logger: one handler on stderr, JSON (default) or text, with request ids.
    Alembic's per-step INFO lines are kept for when a migration really runs
    (availability/migrate.py logs that itself)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter() if settings.log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_directory_service", False)]:
        root.removeHandler(old)
    handler._directory_service = True
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def init_app(app, settings):
    configure(settings)
    app.before_request(_take_request_id)
    app.after_request(_return_request_id)


def request_id_from(header_value):
    """The client's id when well-formed, else a new random one."""
    if header_value and WELL_FORMED.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def _take_request_id():
    g.request_id = request_id_from(request.headers.get(HEADER))
    request.environ[ENVIRON_ID] = g.request_id


def _return_request_id(response):
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[HEADER] = request_id
    request.environ[ENVIRON_ID] = request_id
    rule = request.url_rule
    request.environ[ENVIRON_ROUTE] = rule.rule if rule is not None else "unmatched"
    return response

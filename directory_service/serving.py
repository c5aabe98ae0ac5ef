"""gunicorn's logger with every client-made field escaped, and no client address logged.

A URL path is the client's text: `/x%0Aforged` reaches the access log as a line break
unless it is escaped, and a reader (or a log shipper) then sees a line the server never
wrote. gunicorn also writes `Invalid request from ip=…` and `Error handling request
/path?query` to the error log; the address and the query string (a searcher's location)
must not reach any log (README, Privacy). `gunicorn.conf.py` names this class.

With `LOG_FORMAT=json` (the default) both logs are one JSON object a line
(directory_service/request_log.py): the access line carries the request's id and route
from the WSGI environ, so it joins up with the application's own lines.
"""
import json
import os
import re
import traceback
from datetime import datetime, timezone

from gunicorn.glogging import Logger

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the backslash
# itself, so that an escape in the log is never ambiguous with the client's own text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\\\\]")
_IP = re.compile(r"\bip=\S+")


def _escape_char(match):
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(value):
    """One log field on one line: control characters as `\\xNN`, `\\` as `\\\\`."""
    return _UNSAFE.sub(_escape_char, value) if isinstance(value, str) else value


def wsgi_text(value):
    """A WSGI string (latin-1 decoded bytes, PEP 3333) as the UTF-8 text the client sent."""
    if not isinstance(value, str):
        return value
    try:
        return value.encode("latin-1").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return value


def without_query(uri):
    return uri.split("?", 1)[0] if isinstance(uri, str) else uri


def json_logs():
    return os.environ.get("LOG_FORMAT", "json").strip().lower() != "text"


class SafeLogger(Logger):
    """Every access-log atom escaped; error-log messages escaped and scrubbed."""

    def setup(self, cfg):
        super().setup(cfg)
        if json_logs():
            from directory_service.request_log import RequestIdFilter, json_formatter

            for handler in self.error_log.handlers:
                handler.setFormatter(json_formatter())
                handler.addFilter(RequestIdFilter())  # "-": gunicorn's own lines have none

    def access(self, resp, req, environ, request_time):
        if not json_logs():
            return super().access(resp, req, environ, request_time)
        if not self.cfg.accesslog:
            return None
        from directory_service.request_log import ENVIRON_ID, ENVIRON_ROUTE

        # The four atoms the line shows, as `atoms` gives them: gunicorn's builds some
        # sixty (every header and environ entry) and each was escaped, for every request
        # (issue 25).
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        route = environ.get(ENVIRON_ROUTE, "-")
        # A nudge link's path is its token, a capability until used: its route stands in.
        path = route if route.startswith("/staff/nudge/") else escape(
            wsgi_text(environ.get("PATH_INFO")))
        line = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "level": "INFO", "logger": "access", "message": "request",
            "request_id": environ.get(ENVIRON_ID, "-"),
            "method": escape(environ.get("REQUEST_METHOD")), "path": path, "route": route,
            "status": _int(escape(status)), "bytes": _int(escape(getattr(resp, "sent", None))),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=True))
        except Exception:  # noqa: BLE001 - gunicorn's own rule: a log failure is logged
            self.error(traceback.format_exc())
        return None

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("U", "r"):
            atoms[name] = wsgi_text(atoms.get(name))
        return {name: escape(value) for name, value in atoms.items()}

    def _scrubbed(self, msg, args):
        if msg == "Error handling request %s" and args:
            args = (without_query(args[0]),) + tuple(args[1:])
        if isinstance(msg, str):
            msg = _IP.sub("ip=-", msg)
        return (escape(msg), *(escape(a) for a in args))

    def critical(self, msg, *args, **kwargs):
        super().critical(*self._scrubbed(msg, args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(*self._scrubbed(msg, args), **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(*self._scrubbed(msg, args), **kwargs)

    def info(self, msg, *args, **kwargs):
        super().info(*self._scrubbed(msg, args), **kwargs)

    def debug(self, msg, *args, **kwargs):
        super().debug(*self._scrubbed(msg, args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(*self._scrubbed(msg, args), **kwargs)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# The gunicorn worker serving this process (gunicorn.conf.py's post_worker_init sets it);
# None outside gunicorn.
WORKER = None


def stopping():
    """True once this process's gunicorn worker was told to stop (SIGTERM: its `alive`
    goes false). A long response (the watch events' stream) ends then, so a restart does
    not wait GRACEFUL_TIMEOUT_S for it; the browser reconnects to another worker."""
    return WORKER is not None and not WORKER.alive

"""A request body must arrive within BODY_TIMEOUT_S, or the connection is dropped.

gunicorn bounds how long a client may take over its headers (`keepalive`), but once they
are in, a body trickled a byte every few seconds holds its connection — one of a worker's
WORKER_CONNECTIONS — for as long as the client likes: enough such clients and no search
can connect (issue 24 measured 0 of 5 searches answered behind 2,100 of them). Here every
read of the body shares one deadline, counted from the request's start; a body still
incomplete then ends the request with 408 and `Connection: close`, and the slot is free.

The deadline interrupts a blocked read with `gevent.Timeout`, which works where gevent runs
the sockets (gunicorn's gevent workers, gunicorn.conf.py); elsewhere (the test client, a
fully buffered body) reads never block and the check costs one clock read.
"""
import time

import gevent
from werkzeug.exceptions import RequestTimeout


class BodyTimeout(RequestTimeout):
    """The body did not arrive within the deadline (a 408; errors.py closes the
    connection with it)."""

    description = "the request body did not arrive in time; send it again, faster"


class _DeadlineInput:
    """wsgi.input whose reads all end by `deadline` (time.monotonic())."""

    def __init__(self, stream, deadline):
        self._stream, self._deadline = stream, deadline

    def _call(self, method, *args):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise BodyTimeout()
        try:
            with gevent.Timeout(left, BodyTimeout):
                return getattr(self._stream, method)(*args)
        except BodyTimeout:
            raise BodyTimeout() from None

    def read(self, *args):
        return self._call("read", *args)

    def readline(self, *args):
        return self._call("readline", *args)

    def readlines(self, *args):
        return self._call("readlines", *args)

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class BodyDeadline:
    """WSGI middleware: the body deadline, and the 408 answer when it passes."""

    def __init__(self, app, seconds):
        self.app, self.seconds = app, seconds

    def __call__(self, environ, start_response):
        if self.seconds > 0 and environ.get("wsgi.input") is not None and _has_body(environ):
            environ["wsgi.input"] = _DeadlineInput(environ["wsgi.input"],
                                                   time.monotonic() + self.seconds)
        try:
            return self.app(environ, start_response)
        except BodyTimeout:
            return _timed_out(start_response, self.seconds)


def _has_body(environ):
    return bool(environ.get("CONTENT_LENGTH")) or \
        "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def _timed_out(start_response, seconds):
    body = (b'{"type": "about:blank", "title": "Request Timeout", "status": 408, '
            b'"detail": "the request body did not arrive within %d s"}' % int(seconds))
    start_response("408 Request Timeout", [
        ("Content-Type", "application/problem+json"), ("Content-Length", str(len(body))),
        ("Connection", "close")])
    return [body]

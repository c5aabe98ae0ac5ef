"""The real server's edges: header limits, a huge declared body refused unread, and logs a
client cannot forge or read a searcher out of (gunicorn.conf.py, directory_service/serving.py).
"""
import json
import logging
import re
import socket

import pytest
from gunicorn.config import Config

from directory_service.serving import SafeLogger, escape
from tests.server import Gunicorn

FORGED = "/v1/resources/x%0AGET%20/forged%20200%200%201ms%0D%1B[2J%E2%80%A8%C2%85end"


def _raw(port, data, read_timeout=10):
    """Send raw bytes on loopback; the status line and the headers that came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass                       # the server may answer and close before all is sent
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received.decode("latin-1").split("\r\n\r\n")[0]


@pytest.fixture(scope="module")
def served(seed_store_path, tmp_path_factory):
    """One server; every probe below runs against it, then its whole output is read."""
    tmp = tmp_path_factory.mktemp("serving")
    env = {"STORE_PATH": seed_store_path, "AVAILABILITY_PATH": str(tmp / "av.sqlite"),
           "LOG_LEVEL": "INFO"}
    answers = {}
    with Gunicorn(env, workers=1) as server:
        port = server.port
        answers["forged"] = _raw(port, f"GET {FORGED} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answers["query"] = _raw(port, b"GET /v1/search?lat=41.7508&lon=-88.1535 HTTP/1.1\r\n"
                                      b"Host: x\r\nConnection: close\r\n\r\n")
        answers["huge_body"] = _raw(
            port, b"POST /v1/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 314572800\r\n\r\n{\"near\": ")
        answers["many_headers"] = _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
            f"X-H{i}: 1\r\n".encode() for i in range(60)) + b"\r\n")
        answers["long_header"] = _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                                      + b"a" * 9000 + b"\r\n\r\n")
        answers["long_line"] = _raw(port, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answers["bad_line"] = _raw(port, b"GET /a\x1b[2Jb\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
        answers["bad_method"] = _raw(port, b"G\x1b[2JT / HTTP/1.1\r\nHost: x\r\n\r\n")
        answers["fine"] = _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                     + b"X-Ok: 1\r\n" * 40 + b"\r\n")
    return answers, server.output


def access_lines(output):
    """The access log's lines, each one JSON object (LOG_FORMAT=json, the default)."""
    lines = []
    for line in output.splitlines():
        if '"logger": "access"' in line:
            lines.append(json.loads(line))
    return lines


def test_a_forged_path_writes_exactly_one_access_log_line(served):
    answers, output = served
    assert answers["forged"].startswith("HTTP/1.1 404")
    lines = [line for line in output.splitlines() if "forged" in line]
    assert len(lines) == 1, output
    entry = json.loads(lines[0])
    assert entry["path"].startswith("/v1/resources/x\\x0aGET /forged 200 0 1ms\\x0d\\x1b[2J")
    assert entry["path"].endswith("\\u2028\\x85end") and entry["status"] == 404
    assert entry["route"] == "unmatched" and entry["method"] == "GET"
    # Nothing else a client wrote starts a line of its own: every line is a JSON object.
    assert all(line.startswith("{") for line in output.splitlines() if line.strip()), output


def test_every_log_line_is_json_with_a_timestamp_level_and_request_id(served):
    _, output = served
    entries = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert entries and all({"timestamp", "level", "message", "request_id"} <= set(e)
                           for e in entries)
    access = access_lines(output)
    assert access and all(len(e["request_id"]) >= 1 and e["duration_ms"] >= 0 for e in access)
    search = [e for e in access if e["route"] == "/v1/search"]
    assert search and search[0]["status"] == 200 and search[0]["path"] == "/v1/search"
    # gunicorn's own refusals are JSON lines of its error log, scrubbed as before.
    assert any("Invalid request" in e["message"] and e["logger"] == "gunicorn.error"
               for e in entries)
    # ~9 Alembic lines per worker start are gone when the database is already current.
    assert not any(e.get("logger", "").startswith("alembic") for e in entries)


def test_a_body_declared_huge_is_refused_before_it_is_sent(served):
    answers, output = served
    assert answers["huge_body"].startswith("HTTP/1.1 413")
    assert "Content-Type: application/problem+json" in answers["huge_body"]
    assert any(e["method"] == "POST" and e["path"] == "/v1/match" and e["status"] == 413
               for e in access_lines(output))


def test_header_limits_are_answered_by_gunicorn(served):
    answers, _ = served
    assert answers["many_headers"].startswith("HTTP/1.1 431")
    assert answers["long_header"].startswith(("HTTP/1.1 400", "HTTP/1.1 431"))
    assert answers["long_line"].startswith("HTTP/1.1 400")
    # Control characters in the target: refused or not found, never logged raw (below).
    assert answers["bad_line"].startswith(("HTTP/1.1 400", "HTTP/1.1 404"))
    assert answers["bad_method"].startswith("HTTP/1.1 400")
    assert answers["fine"].startswith("HTTP/1.1 200")


def test_no_client_address_or_searcher_location_in_any_log(served):
    _, output = served
    assert "Invalid request" in output            # gunicorn did log the refusals...
    assert "127.0.0.1" not in output.replace("Listening at: http://127.0.0.1", "")
    assert "41.7508" not in output and "-88.1535" not in output
    assert "\x1b" not in output and "\x00" not in output


# -- the logger on its own -------------------------------------------------------------------

class _Response:
    status, sent, headers = "200 OK", 12, ()


def _logger():
    config = Config()
    config.set("accesslog", "-")
    return SafeLogger(config)


def test_every_access_log_atom_is_escaped():
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/a%0Ab", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/a\nb\\n\u00e2\u0080\u0094", "QUERY_STRING": "x=\r",
               "HTTP_USER_AGENT": "agent\nGET / 200", "REMOTE_ADDR": "127.0.0.1"}
    from datetime import timedelta
    atoms = _logger().atoms(_Response(), [("USER-AGENT", "agent\nGET / 200")], environ,
                            timedelta(milliseconds=3))
    assert atoms["U"] == "/a\\x0ab\\\\n\u2014"         # UTF-8 path decoded, then escaped
    assert atoms["q"] == "x=\\x0d"
    assert atoms["a"] == "agent\\x0aGET / 200"
    assert atoms["{user-agent}i"] == "agent\\x0aGET / 200"
    assert not any("\n" in str(value) or "\r" in str(value) for value in atoms.values())


@pytest.mark.parametrize("status, sent", [("200 OK", 12), ("304 NOT MODIFIED", None), (404, 3)])
def test_the_json_access_line_shows_the_atoms_it_names(status, sent, monkeypatch):
    """The line reads its four atoms directly (issue 25: gunicorn's `atoms` builds some
    sixty per request): the same values as `atoms` gives, escaped alike."""
    import json as json_module
    from datetime import timedelta

    monkeypatch.delenv("LOG_FORMAT", raising=False)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/a%0Ab", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/a\nb\\n\u00e2\u0080\u0094", "QUERY_STRING": "x=\r",
               "REMOTE_ADDR": "127.0.0.1"}
    response = type("R", (), {"status": status, "sent": sent, "headers": ()})()
    logger, lines = _logger(), []
    monkeypatch.setattr(logger.access_log, "info", lines.append)
    took = timedelta(milliseconds=3)
    logger.access(response, [], environ, took)
    line, atoms = json_module.loads(lines[0]), logger.atoms(response, [], environ, took)
    assert (line["method"], line["path"]) == (atoms["m"], atoms["U"])
    assert line["path"] == "/a\\x0ab\\\\n\u2014"
    assert (line["status"], line["bytes"]) == (int(str(atoms["s"])), atoms["B"])


def test_error_messages_lose_addresses_and_query_strings(caplog):
    logger = _logger()
    logger.error_log.propagate = True
    with caplog.at_level(logging.DEBUG, logger="gunicorn.error"):
        logger.warning("Invalid request from ip=192.0.2.7: Invalid HTTP request line: 'a\nb'")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("Error handling request %s", "/v1/search?near=60540")
    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert "192.0.2.7" not in text and "ip=-" in text
    assert "near=60540" not in text and "/v1/search" in text
    assert "'a\\x0ab'" in text
    assert "Traceback" in text                  # a real exception keeps its traceback


@pytest.mark.parametrize("raw, shown", [
    ("plain /path", "plain /path"),
    ("a\r\nb", "a\\x0d\\x0ab"),
    ("tab\there", "tab\\x09here"),
    ("back\\slash", "back\\\\slash"),
    ("\x7f\x9b", "\\x7f\\x9b"),
    ("ünïcödé", "ünïcödé"),
])
def test_escape(raw, shown):
    assert escape(raw) == shown
    assert re.fullmatch(r"[^\x00-\x1f\x7f-\x9f]*", escape(raw))

"""Request ids in and out, and JSON log lines that carry them (directory_service/request_log.py).
The access lines gunicorn writes are checked in tests/test_serving.py."""
import io
import json
import logging
import re

import pytest

from directory_service import create_app
from directory_service.config import ConfigError, Settings
from directory_service.request_log import request_id_from

SEARCH = "/v1/search?near=60540&kind=naloxone_site"


@pytest.fixture
def log_lines(app):
    """What the app's own log handler writes during the test, as parsed JSON lines."""
    handler = next(h for h in logging.getLogger().handlers
                   if getattr(h, "_directory_service", False))
    stream, old = io.StringIO(), handler.stream
    handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    handler.setStream(old)


def test_a_well_formed_request_id_is_kept_and_returned(client):
    answer = client.get("/healthz", headers={"X-Request-ID": "dispatch-7f3a.42:b_1"})
    assert answer.headers["X-Request-ID"] == "dispatch-7f3a.42:b_1"


@pytest.mark.parametrize("sent", [
    "", " ", "a" * 129, "has space", "tab\there", "<script>", "-leading-dash", "é",
])
def test_a_malformed_request_id_is_replaced_by_a_new_one(client, sent):
    answer = client.get("/healthz", headers={"X-Request-ID": sent})
    returned = answer.headers["X-Request-ID"]
    assert returned != sent and re.fullmatch(r"[0-9a-f]{32}", returned)


def test_every_answer_has_an_id_errors_included_and_each_is_new(client):
    ids = [client.get(path).headers["X-Request-ID"]
           for path in ("/healthz", "/v1/resources/nope:1", "/no/such/page", SEARCH)]
    assert len(set(ids)) == 4


def test_app_log_lines_are_json_with_the_request_id(client, log_lines):
    client.get(SEARCH, headers={"X-Request-ID": "coach-app-123"})
    lines = [line for line in log_lines() if line["logger"] == "directory_service.api.search"]
    assert lines, log_lines()
    line = lines[-1]
    assert line["request_id"] == "coach-app-123" and line["level"] == "INFO"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["timestamp"])
    assert "60540" not in json.dumps(log_lines())  # coarse figures only, as before


def test_text_format_for_a_terminal_and_a_wrong_format_is_refused(seed_store_path, tmp_path):
    app = create_app(Settings.from_env(store_path=seed_store_path, log_format="text",
                                       availability_path=str(tmp_path / "av.sqlite")))
    handler = next(h for h in logging.getLogger().handlers
                   if getattr(h, "_directory_service", False))
    assert not handler.formatter.format(logging.makeLogRecord(
        {"msg": "hello", "request_id": "-"})).startswith("{")
    app.extensions["store"].close()
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        Settings.from_env(log_format="xml")


def test_request_id_rule():
    assert request_id_from("abc") == "abc"
    assert request_id_from(None) != request_id_from(None)

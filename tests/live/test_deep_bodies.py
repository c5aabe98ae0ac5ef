"""Deeply nested JSON on every live endpoint that reads a body: a 400/422 problem, never a
server error or a logged traceback, whatever the depth and wherever the nesting sits."""
import logging

import pytest

from directory_service.availability.bodies import MAX_DEPTH, json_depth
from tests.test_live_support import NAPERVILLE, bearer

# (name, method, path, key role, a valid body as text with {inner} where a value goes)
ENDPOINTS = [
    ("match", "post", "/v1/match", None,
     '{"level_of_care": "detox", "lat": %s, "lon": %s, "language": {inner}}'
     % (NAPERVILLE["lat"], NAPERVILLE["lon"])),
    ("report", "put", "/v1/facilities/test:a/beds", "admin",
     '{"rows": [{"level_of_care": "3.7-WM", "available": 1, "note": {inner}}]}'),
    ("feed", "post", "/v1/availability", "admin",
     '[{"facility_id": "test:a", "level_of_care": "3.7-WM", "available": 1, "note": {inner}}]'),
    ("hold", "post", "/v1/facilities/test:b/holds", "coach",
     '{"level_of_care": "3.7-WM", "note": {inner}}'),
]


def nested(depth, shape):
    opener, closer = {"array": ("[", "]"), "object": ('{"a":', "}")}[shape]
    return opener * depth + "1" + closer * depth


def bodies(template, depth, shape):
    yield "whole body", nested(depth, shape)
    yield "inside a field", template.replace("{inner}", nested(depth, shape))
    yield "unclosed", "[" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize("shape", ["array", "object"])
@pytest.mark.parametrize("name, method, path, role, template", ENDPOINTS,
                         ids=[e[0] for e in ENDPOINTS])
def test_deep_bodies_are_client_errors(app, client, caplog, name, method, path, role, template,
                                       depth, shape):
    headers = {"If-Match": '"0"', **(bearer(app, role) if role else {})}
    for where, body in bodies(template, depth, shape):
        with caplog.at_level(logging.ERROR):
            response = getattr(client, method)(path, data=body, headers=headers,
                                               content_type="application/json")
        assert response.status_code in (400, 422), (name, where, response.status_code)
        assert response.mimetype == "application/problem+json"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], (name, where)


@pytest.mark.parametrize("name, method, path, role, template", ENDPOINTS,
                         ids=[e[0] for e in ENDPOINTS])
def test_shallow_nesting_in_a_field_is_an_ordinary_422(app, client, name, method, path, role,
                                                       template):
    headers = {"If-Match": '"0"', **(bearer(app, role) if role else {})}
    body = template.replace("{inner}", nested(3, "array"))
    response = getattr(client, method)(path, data=body, headers=headers,
                                       content_type="application/json")
    if name == "feed":  # the feed answers per row
        assert response.status_code == 207
        assert "note" in response.get_json()["results"][0]["errors"]
    else:
        assert response.status_code == 422, response.get_json()


@pytest.mark.parametrize("text, depth", [
    (b"1", 0), (b"[]", 1), (b'{"a": [1, {"b": []}]}', 4),
    (b'["[[[[", "]]]]]"]', 1),             # brackets inside strings do not count
    (b'["\\"[[[["]', 1),                    # nor after an escaped quote
    (b"[" * 50 + b"]" * 50, 50),
    (b'[["abc', 2),                         # an unterminated string runs to the end
    (b'["a\\"]]]', 1),
    (b'"\\', 0),
])
def test_json_depth_ignores_strings(text, depth):
    assert json_depth(text) == depth


@pytest.mark.parametrize("text", [b'"\\' * 100_000, b'[\"' * 100_000, b'"' * 100_001])
def test_json_depth_of_hostile_quoting_finishes(text):
    # Each quote opens a string that runs to the end; a scanner that retried from every
    # quote would take hours here, so this finishing at all is the check.
    assert json_depth(text) <= 100_000

"""What one request may carry: body size, JSON nesting depth, and a bound on every parameter.

Each refusal is application/problem+json naming what was wrong, never a 500 and never a
traceback in the log.
"""
import io
import re

import pytest
from marshmallow import fields, validate

from directory_service.availability import keys
from directory_service.config import ConfigError, Settings
from directory_service.request_limits import json_too_deep
from directory_service.web.search_form import SearchForm
from directory_service.web.views import DetailArgs

PROBLEM = "application/problem+json"


@pytest.fixture
def limited_app(seed_app_factory):
    return seed_app_factory


class NeverRead(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def readable(self):
        return True

    def readinto(self, buffer):
        raise AssertionError("the body was read")


def _bearer(app, role, facility_id=None):
    return {"Authorization": "Bearer " + keys.create(app.extensions["availability"], role,
                                                     facility_id)[1]}


# -- body size -----------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("POST", "/v1/match"), ("PUT", "/v1/facilities/seed:fac-001/beds"),
    ("POST", "/v1/availability"), ("GET", "/v1/search?near=60540"),
])
def test_a_body_over_the_limit_is_413_before_a_byte_is_read(limited_app, method, path):
    app = limited_app(max_body_bytes=4096)
    response = app.test_client().open(
        path, method=method, content_type="application/json",
        environ_overrides={"wsgi.input": NeverRead(), "CONTENT_LENGTH": str(300 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["errors"] == {"body": ["larger than 4096 bytes"]}
    assert "314572800 bytes" in body["detail"]


def test_the_default_body_limit_is_one_mebibyte(limited_app):
    app = limited_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1_048_576
    client = app.test_client()
    over = client.post("/v1/match", data=b" " * (1_048_576 + 1), content_type="application/json")
    assert over.status_code == 413
    at = client.post("/v1/match", data=b'{"near": "60540", "level_of_care": "3.7-WM"}'
                     + b" " * (1_048_576 - 44), content_type="application/json")
    assert at.status_code == 200


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_a_streamed_body_past_the_limit_is_413_not_parsed_cut_short(limited_app, content_type):
    """Chunked, so no Content-Length: werkzeug stops at the limit and would hand the first
    4 KiB to the feed as if it were the whole file (a CSV cut between rows parses)."""
    app = limited_app(max_body_bytes=4096)
    if content_type == "text/csv":
        body = b"facility_id,level_of_care,available\n" + \
            b"seed:fac-001,3.7-WM,1\n" * 1000
    else:
        body = b"[" + b'{"facility_id": "seed:fac-001", "level_of_care": "3.7-WM"},' * 1000 \
            + b"{}]"
    response = app.test_client().post(
        "/v1/availability", input_stream=io.BytesIO(body), content_type=content_type,
        headers={**_bearer(app, "admin"), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.content_type == PROBLEM
    assert response.get_json()["errors"] == {"body": ["larger than 4096 bytes"]}


def test_a_streamed_body_under_the_limit_is_read_whole(limited_app):
    app = limited_app(max_body_bytes=4096)
    body = b"facility_id,level_of_care,available\nseed:fac-001,3.7-WM,1\n"
    response = app.test_client().post(
        "/v1/availability", input_stream=io.BytesIO(body), content_type="text/csv",
        headers={**_bearer(app, "admin"), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code in (200, 207), response.get_data(as_text=True)
    assert len(response.get_json()["results"]) == 1


# -- JSON depth ------------------------------------------------------------------------------

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_IN_OBJECT = '{"rows": [' + '{"a": ' * 1000 + "1" + "}" * 1000 + "]}"


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_IN_OBJECT], ids=["array", "in-object"])
@pytest.mark.parametrize("method, path, role", [
    ("POST", "/v1/match", None),
    ("PUT", "/v1/facilities/seed:fac-001/beds", "facility"),
    ("POST", "/v1/availability", "admin"),
    ("POST", "/v1/facilities/seed:fac-001/holds", "coach"),
])
def test_json_nested_a_thousand_deep_is_a_400_naming_the_body(limited_app, caplog, body,
                                                             method, path, role):
    app = limited_app()
    headers = _bearer(app, role, "seed:fac-001" if role == "facility" else None) if role else {}
    headers["If-Match"] = '"0"'
    response = app.test_client().open(path, method=method, data=body, headers=headers,
                                      content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    assert response.get_json()["errors"] == {"body": ["nested deeper than 32 levels"]}
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


def test_the_key_is_checked_before_a_deep_body_is_read(limited_app):
    response = limited_app().test_client().put(
        "/v1/facilities/seed:fac-001/beds", data=DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 401


def test_a_body_at_the_depth_limit_is_parsed(limited_app):
    app = limited_app(max_json_depth=3)
    client = app.test_client()
    key = {**_bearer(app, "facility", "seed:fac-001"), "If-Match": '"0"'}
    row = {"level_of_care": "3.7-WM", "population": "adult_men", "available": 1, "capacity": 4}
    ok = client.put("/v1/facilities/seed:fac-001/beds", json={"rows": [row]}, headers=key)
    assert ok.status_code != 400, ok.get_data(as_text=True)
    deeper = client.put("/v1/facilities/seed:fac-001/beds",
                        json={"rows": [{**row, "note": [["x"]]}]}, headers=key)
    assert deeper.status_code == 400
    assert deeper.get_json()["errors"] == {"body": ["nested deeper than 3 levels"]}


@pytest.mark.parametrize("text, deepest", [
    (b'{"a": [1, {"b": []}]}', 4),
    (b'"[[[[[[["', 0),                          # brackets inside a string do not count
    (b'["\\"[[[[", ["x"]]', 2),                  # nor after an escaped quote
    (b'["\\\\", [[1]]]', 3),                     # an escaped backslash ends before the quote
    (b'[1, "\\u005b\\u005b"]', 1),
    (b'[[[[["unterminated', 5),                  # invalid JSON: the parser will refuse it
    (b'"' + b'\\"' * 5000 + b'[[[[', 4),          # a string never closed: linear time
])
def test_json_depth_is_counted_outside_strings(text, deepest):
    assert not json_too_deep(text, deepest)
    assert json_too_deep(text, deepest - 1) == (deepest > 0)


def test_depth_and_body_settings_are_checked():
    with pytest.raises(ConfigError, match="MAX_JSON_DEPTH"):
        Settings(max_json_depth=1).check()
    with pytest.raises(ConfigError, match="MAX_BODY_BYTES"):
        Settings(max_body_bytes=10).check()


# -- a bound on every parameter --------------------------------------------------------------

# Anchored patterns whose every quantifier is bounded ({m,n}, ?) bound the length too.
UNBOUNDED_QUANTIFIER = re.compile(r"(?<!\\)[*+]|\{\d*,\}")


def _unbounded(name, schema, components, found):
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and "type" not in schema:
        # A described $ref is written {"allOf": [{"$ref": …}], "description": …} (OAS 3.0).
        for part in schema["allOf"]:
            _unbounded(name, part, components, found)
        return
    kind = schema.get("type")
    if "enum" in schema or kind == "boolean":
        return
    if kind == "string":
        pattern = schema.get("pattern")
        bounded_by_pattern = pattern and not UNBOUNDED_QUANTIFIER.search(pattern)
        if "maxLength" not in schema and not bounded_by_pattern \
                and schema.get("format") != "date-time":
            found.append(f"{name}: string without maxLength")
    elif kind in ("integer", "number"):
        if "minimum" not in schema or "maximum" not in schema:
            found.append(f"{name}: {kind} without minimum and maximum")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{name}: array without maxItems")
        _unbounded(f"{name}[]", schema.get("items", {}), components, found)
    elif kind == "object" or "properties" in schema:
        for key, sub in schema.get("properties", {}).items():
            _unbounded(f"{name}.{key}", sub, components, found)
    else:
        found.append(f"{name}: no type")


def test_every_documented_parameter_and_body_field_is_bounded(limited_app):
    """Path parameters are left to the request line limit (gunicorn, 4094 bytes), and a
    whole body to MAX_BODY_BYTES; everything inside them is bounded here."""
    spec = limited_app().test_client().get("/openapi.json").get_json()
    components = spec["components"]["schemas"]
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    _unbounded(f"{method.upper()} {path} {parameter['name']}",
                               parameter.get("schema", {}), components, found)
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                body = content.get("schema", {})
                while "$ref" in body:
                    body = components[body["$ref"].rsplit("/", 1)[-1]]
                if body.get("type") == "array":      # the feed: rows bounded by the body size
                    body = body.get("items", {})
                if body.get("type") == "string":     # text/csv: bounded by the body size
                    continue
                _unbounded(f"{method.upper()} {path} body({media})", body, components, found)
    assert found == []


@pytest.mark.parametrize("schema", [SearchForm, DetailArgs])
def test_every_field_of_the_page_forms_is_bounded(schema):
    unbounded = []
    for name, field in schema().fields.items():
        validators = field.validators
        if isinstance(field, fields.Boolean) or any(
                isinstance(v, validate.OneOf) for v in validators):
            continue
        if isinstance(field, fields.String) and any(
                isinstance(v, validate.Length) and v.max is not None for v in validators):
            continue
        if isinstance(field, fields.Number) and any(
                isinstance(v, validate.Range) and None not in (v.min, v.max) for v in validators):
            continue
        unbounded.append(name)
    assert unbounded == []


@pytest.mark.parametrize("query, field", [
    ("kind=" + ",".join(["meeting"] * 5), "kind"),
    ("level_of_care=" + ",".join(["3.7-WM"] * 33), "level_of_care"),
    ("day=" + ",".join(["1"] * 8), "day"),
    ("language=" + "&language=".join(["en"] * 33), "language"),
    ("radius=600000&unit=m", "radius"),
    ("radius=1e308", "radius"),
    ("q=" + "x" * 201, "q"),
    ("page=10001", "page"),
])
def test_a_parameter_past_its_bound_is_a_422_naming_it(limited_app, query, field):
    response = limited_app().test_client().get(f"/v1/search?near=60540&{query}")
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("body, field", [
    ({"near": "60540", "level_of_care": "3" * 5000}, "level_of_care"),
    ({"near": "60540", "level_of_care": "3.7-WM", "max_distance": 1e308}, "max_distance"),
])
def test_match_fields_past_their_bound_are_a_422(limited_app, body, field):
    response = limited_app().test_client().post("/v1/match", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]

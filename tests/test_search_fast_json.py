"""The search answer is encoded by orjson (directory_service/fast_json.py, issue 25), and
must be the bytes `jsonify` made: the same searches are served with orjson and with the
`jsonify` path it replaced (and werkzeug's make_conditional for the headers), at one
pinned moment, over the seed directory and over one
with live bed reports, held beds and non-ASCII text; and any JSON value encodes to
json.dumps' bytes or is refused (then `jsonify` serves it)."""
import json
from datetime import datetime, timezone

import flask
import pytest
from marshmallow import fields as ma_fields, validate
from hypothesis import given, settings, strategies as st

from directory_service import fast_json
from directory_service.api import http_cache
from directory_service.schemas import records
from tests import factories
from tests.test_live_support import bearer, etag, make_app, row
from tests.test_search_fast_path import SEARCHES



def test_orjson_is_installed_so_the_fast_path_is_what_these_tests_see():
    # orjson is an install requirement (setup.cfg, requirements.lock); without it every
    # answer falls back to jsonify and the comparisons below would compare jsonify with
    # itself.
    assert fast_json.orjson is not None

LIVE_SEARCHES = [
    "lat=41.7508&lon=-88.1535&radius=20",
    "lat=41.7508&lon=-88.1535&radius=20&kind=treatment_facility&level_of_care=3.7-WM",
    "lat=41.7508&lon=-88.1535&radius=20&has_open_beds=true&per_page=50",
    "lat=41.7508&lon=-88.1535&radius=20&view=compact",
    "lat=41.7508&lon=-88.1535&radius=20&q=caf%C3%A9",
]


def classic(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def served_both_ways(client, monkeypatch, paths):
    """{path: (bytes served through orjson, bytes served through jsonify)}."""
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    monkeypatch.setattr(http_cache, "utcnow", lambda: moment)
    fast = {p: client.get(p) for p in paths}
    # The paths replaced: jsonify, and werkzeug's make_conditional for every response.
    monkeypatch.setattr(fast_json, "orjson", None)
    monkeypatch.setattr(http_cache, "_conditional",
                        lambda response: response.make_conditional(flask.request))
    slow = {p: client.get(p) for p in paths}
    for p in paths:
        assert fast[p].status_code == slow[p].status_code == 200, p
        assert fast[p].mimetype == slow[p].mimetype == "application/json"
        assert [h for h in fast[p].headers if h[0] not in ("Date", "X-Request-ID")] == \
            [h for h in slow[p].headers if h[0] not in ("Date", "X-Request-ID")]
        assert "Date" in fast[p].headers
    return {p: (fast[p].data, slow[p].data) for p in paths}


def test_seed_searches_are_the_bytes_jsonify_made(client, monkeypatch):
    bodies = served_both_ways(client, monkeypatch, [f"/v1/search?{q}" for q in SEARCHES])
    for path, (fast, slow) in bodies.items():
        assert fast == slow, path
        assert json.loads(fast)["results"], path


def test_live_figures_holds_and_non_ascii_are_the_bytes_jsonify_made(tmp_path, monkeypatch):
    records = [
        factories.facility("a", km=1, name="Café Ñandú 😀 \x7f", beds=[row(available=3)],
                           description="Ünïcode — “quotes” \\ and \"escapes\"\n\ttabs"),
        factories.facility("b", km=2, beds=[row(available=None)]),
        factories.facility("c", km=3, beds=[row(available=0, hours_old=30)]),
        factories.meeting("m", km=1, name="Grupo Sin Nombre — Español"),
        factories.site("s", km=2),
    ]
    app = make_app(tmp_path, records)
    client, admin = app.test_client(), bearer(app, "admin")
    put = client.put("/v1/facilities/test:b/beds",
                     headers={**admin, "If-Match": etag(client, "test:b")},
                     json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                                     "capacity": 10, "available": 4}]})
    assert put.status_code == 200, put.get_json()
    paths = [f"/v1/search?{q}" for q in LIVE_SEARCHES]
    bodies = served_both_ways(client, monkeypatch, paths)
    for path, (fast, slow) in bodies.items():
        assert fast == slow, path
        assert fast.isascii()
    assert b"\\u00e9" in bodies[paths[0]][0] and b"\\ud83d\\ude00" in bodies[paths[0]][0]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_any_json_value_encodes_to_json_dumps_bytes_or_is_refused(value):
    out = fast_json.dumps(value)
    assert out is None or out == classic(value)


@pytest.mark.parametrize("value", [
    1e-05, -5e-05, 2.5e-07, 3.074291971619276e-05, [1e-9, 0.0001], {"a": 1e-4 / 3}])
def test_small_floats_are_refused_where_the_bytes_would_differ(value):
    out = fast_json.dumps(value)
    assert out is None or out == classic(value)
    assert fast_json.dumps({"x": value}) in (None, classic({"x": value}))


# (NaN is not JSON: json.dumps writes NaN, orjson null; search bodies hold none, fast_json.py)
@pytest.mark.parametrize("value", [
    2 ** 70, {1: "a"}, datetime(2026, 1, 1), "\ud800", True.__class__(1)])
def test_what_orjson_would_write_otherwise_is_refused(value):
    out = fast_json.dumps(value)
    if out is not None:  # True is a bool, written alike
        assert out == classic(value)


def test_everyday_values_take_the_fast_path():
    value = {"b": [1, 2.5, None, True], "a": {"z": "é", "y": 0.0001, "x": -0.0},
             "c": 1e16, "d": 123456.7}
    assert fast_json.dumps(value) == classic(value)


def test_loads_record_gives_json_loads_values():
    for text in ['{"a":1.0,"b":[1,2],"c":"\\u00e9","d":-0.0,"e":1e-05}', '{"n":NaN}', '[1e400]',
                 '"\\ud800"', '{"i":9223372036854775807}']:
        assert repr(fast_json.loads_record(text)) == repr(json.loads(text))


def _numbers(schema, path=""):
    """(path, field) of every number field in a schema, nested ones included."""
    for name, field in schema.fields.items():
        where = f"{path}{name}"
        while isinstance(field, ma_fields.List):
            field = field.inner
        if isinstance(field, ma_fields.Nested):
            yield from _numbers(field.schema, where + ".")
        elif isinstance(field, (ma_fields.Number, ma_fields.Raw, ma_fields.Mapping)):
            yield where, field


@pytest.mark.parametrize("kind", sorted(records.SCHEMAS))
def test_stored_records_hold_no_number_orjson_reads_otherwise(kind):
    """loads_record trusts that a record has no integer beyond 64 bits (orjson would read
    it as a float) and no NaN: every number field of every kind is bounded, and no field
    takes arbitrary JSON."""
    found = list(_numbers(records.SCHEMAS[kind]))
    assert found
    for where, field in found:
        assert isinstance(field, (ma_fields.Integer, ma_fields.Float)), where
        if isinstance(field, ma_fields.Float):
            assert not field.allow_nan, where
        bounds = [v for v in field.validators if isinstance(v, validate.Range)]
        assert bounds and all(-2 ** 63 <= b.min and b.max <= 2 ** 63 - 1 for b in bounds), where

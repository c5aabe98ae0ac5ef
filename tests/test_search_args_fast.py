"""The fast load of a search's query (schemas.search.fast_load) gives what webargs and
marshmallow give, or declines: every answer and every error stays as it was (issue 25)."""
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import given, settings, strategies as st
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from bench.distinct_queries import paths as distinct_paths
from directory_service.api.search import SEARCH_ARGS, _SearchParser
from directory_service.schemas.search import SearchArgs, fast_load


def _full_load(args):
    """What webargs' parser loads from `args` (the slow path), or the error."""
    from flask import Flask

    app = Flask(__name__)
    with app.test_request_context("/?" + urlencode(list(args.items(multi=True)))):
        from flask import request

        proxy = _SearchParser()._makeproxy(request.args, SEARCH_ARGS)
        try:
            return SEARCH_ARGS.load(proxy)
        except ValidationError as exc:
            return ("error", exc.messages)


def _args(path):
    return MultiDict(parse_qsl(urlsplit(path).query, keep_blank_values=True))


@pytest.fixture(scope="module")
def metros(shared_dir):
    """The synthetic metros the bench's distinct queries start from (../shared/bench)."""
    from bench.run import synthetic

    return synthetic(shared_dir).METROS


def test_distinct_bench_queries_load_the_same_fast(metros):
    paths = distinct_paths(metros, 3000)
    taken = 0
    for path in paths:
        args = _args(path)
        fast = fast_load(SEARCH_ARGS, args)
        if fast is not None:
            taken += 1
            assert fast == _full_load(args), path
            assert list(fast) == list(_full_load(args)), path  # the same key order too
    assert taken == len(paths)  # every well-formed bench query takes the fast path


@pytest.mark.parametrize("query", [
    "lat=40&lon=-74&radius=1_000", "lat=40&lon=-74&radius= 5", "lat=40&lon=-74&page=1&page=2",
    "lat=40&lon=-74&kind=meeting&kind=treatment_facility", "lat=40&lon=-74&kind=",
    "lat=40&lon=-74&kind=meeting,,naloxone_site", "lat=40", "near=x", "lat=40&lon=-74&near=Boston",
    "lat=91&lon=0", "lat=nan&lon=0", "lat=40&lon=-74&ditance=5", "lat=40&lon=-74&radius=400",
    "lat=40&lon=-74&radius=400&unit=km", "lat=40&lon=-74&level_of_care=3.7,detox,zz",
    "lat=40&lon=-74&walk_in=yes&open_now=0", "lat=40&lon=-74&age=5.0", "lat=40&lon=-74&day=1,1,1",
    "lat=40&lon=-74&starts_after=7:00", "lat=40&lon=-74&starts_after=07:00&per_page=100",
    "near=Boston%2C%20MA&payment=uninsured,medicaid&view=compact",
])
def test_fast_load_equals_the_schema_or_declines(query):
    args = _args("/?" + query)
    fast = fast_load(SEARCH_ARGS, args)
    full = _full_load(args)
    if fast is not None:
        assert fast == full and list(fast) == list(full)
    else:
        assert isinstance(full, tuple) or full is not None


NAMES = sorted(SearchArgs().fields) + ["ditance"]
VALUES = st.sampled_from(["", "1", "0", "-1", "40.5", "1e3", "true", "no", "meeting",
                          "treatment_facility", "medicaid,uninsured", "07:30", "mi", "km",
                          "compact", "men", "3.7", "detox", "en", "a,b", " 2", "1_0", "nan",
                          "Boston, MA", "120", "121", "310", "311"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=6),
       st.booleans())
def test_any_query_loads_the_same_fast_or_declines(pairs, with_point):
    if with_point:
        pairs = [("lat", "40.7"), ("lon", "-74.0")] + pairs
    args = MultiDict(pairs)
    fast = fast_load(SEARCH_ARGS, args)
    full = _full_load(args)
    if fast is not None:
        assert fast == full and list(fast) == list(full)


def test_the_parser_uses_the_schema_for_other_schemas():
    assert isinstance(_SearchParser(), FlaskParser)


def test_the_etag_key_of_the_query_is_json_dumps_text(metros):
    """http_cache._normalised writes the query through orjson now: the same text as
    json.dumps, so no ETag changes (one with an accent and a tiny radius included)."""
    import json

    from directory_service.api.http_cache import _normalised

    queries = [fast_load(SEARCH_ARGS, _args(p)) for p in distinct_paths(metros, 500)]
    queries += [{"q": "café ☕ \U0001f600", "radius": 1e-05, "kind": ["b", "a", "a"], "x": None}]
    for args in queries:
        norm = {k: sorted(set(v)) if isinstance(v, (list, tuple)) else v
                for k, v in args.items()}
        assert _normalised(args) == json.dumps(norm, sort_keys=True, separators=(",", ":"),
                                               default=str)


def test_a_filter_set_to_zero_still_filters():
    """vector_search skips its filter pass only when no filter is set: age 0 and a start
    at 00:00 are filters, not their absence."""
    from dataclasses import replace

    from directory_service.search.embedded.vector_search import _filtered
    from directory_service.search.store import SearchQuery

    plain = SearchQuery(lat=40.0, lon=-74.0, radius_m=1000.0)
    assert not _filtered(plain)
    for change in ({"age": 0}, {"starts_after": 0}, {"days": (0,)}, {"walk_in": True},
                   {"gender": "men"}, {"levels_primary": ("3.7",)}, {"open_now": True}):
        assert _filtered(replace(plain, **change)), change

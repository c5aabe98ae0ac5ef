"""Ranking scenarios as data (tests/fixtures/ranking_scenarios/*.json), on every store.

Each file says: these records, this query → these ids first, and why. The expected list is
the complete result in order, so a scenario also proves what the filters keep out.
"""
import glob
import json
import os

import pytest

from directory_service.search.store import SearchQuery
from tests import factories
from tests.factories import NAPERVILLE, NOW

SCENARIOS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "fixtures",
                                          "ranking_scenarios", "*.json")))


def build(spec):
    spec = dict(spec)
    make = getattr(factories, spec.pop("make"))
    if "beds" in spec:
        spec["beds"] = [factories.bed(**b) for b in spec["beds"]]
    return make(**spec)


def as_query(spec):
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
    return SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], radius_m=50_000, now=NOW, **fields)


def test_there_are_scenarios():
    assert len(SCENARIOS) >= 5


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: os.path.basename(p)[:-5])
def test_scenario(make_store, path):
    with open(path) as fh:
        scenario = json.load(fh)
    store = make_store([build(r) for r in scenario["records"]])
    result = store.search(as_query(scenario["query"]))
    got = [h.record["id"] for h in result.hits]
    assert got == scenario["expect_first"], scenario["reason"]

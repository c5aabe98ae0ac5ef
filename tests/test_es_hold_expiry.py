"""Issue 12, finding 2: in Elasticsearch a hold frees its bed at its expiry instant with
nobody writing. The index keeps `open` net of the holds active when written plus each
counted hold's expiry (`hold_until`); queries count a passed expiry as an open bed.

Tested with exact request bodies, a small evaluator of the `has_open_beds` clause over a
document (the clause uses only bool/should and range, whose meaning is plain), the
Python explanation of a hit, and the update body the API sends (through IndexDouble, a
recording test double, not Elasticsearch).
"""
from datetime import datetime, timedelta, timezone

from directory_service.search.elastic.mapping import beds_by_level
from directory_service.search.elastic.query import build_search_body, open_beds_clause
from directory_service.search.elastic.scoring import capacity_of, script_params
from directory_service.config import Settings
from directory_service.search.store import SearchQuery
from tests.factories import NAPERVILLE
from tests.test_es_live_merge import es_app  # noqa: F401 (fixture)
from tests.test_live_support import bearer, row

EXPIRY = datetime(2026, 11, 23, 22, 0, tzinfo=timezone.utc)
EXPIRY_ISO = "2026-11-23T22:00:00Z"
EXPIRY_MS = int(EXPIRY.timestamp() * 1000)
MEN = "beds_by_level.3_7-WM__men"


def query(now):
    return SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], now=now, gender="men", age=30,
                       levels_primary=("3.7-WM",), has_open_beds=True)


def live_row(available, hold_until, population="adult_men"):
    return {**row(population=population, available=available), "held": len(hold_until),
            "hold_until": hold_until}


def test_the_index_keeps_the_expiry_of_each_hold_open_subtracts():
    one_held = beds_by_level([live_row(1, [EXPIRY_ISO])])
    assert one_held["3_7-WM__men"]["open"] == 0
    assert one_held["3_7-WM__men"]["hold_until"] == [EXPIRY_ISO]
    # Three holds on one bed: only the last to expire frees it.
    crowded = beds_by_level([live_row(1, ["2026-11-23T23:00:00Z", EXPIRY_ISO,
                                          "2026-11-23T21:00:00Z"])])
    assert crowded["3_7-WM__men"] == {"open": 0, "reported_at": crowded["3_7-WM__men"][
        "reported_at"], "hold_until": ["2026-11-23T23:00:00Z"]}
    # A complete update clears expiries of figures no longer held.
    assert beds_by_level([], complete=True)["3_7-WM__men"] == {
        "open": None, "reported_at": None, "hold_until": []}


def test_open_beds_clause_names_the_query_instant_exactly():
    for now in (EXPIRY - timedelta(milliseconds=1), EXPIRY):
        clause = open_beds_clause(query(now))
        ms = int(now.timestamp() * 1000)
        assert clause == {"bool": {"should": [
            {"range": {f"{MEN}.open": {"gt": 0}}},
            {"range": {"beds_by_level.3_7-WM__adults.open": {"gt": 0}}},
            {"range": {"beds_by_level.3_7-WM__any.open": {"gt": 0}}},
            {"range": {f"{MEN}.hold_until": {"lte": ms, "format": "epoch_millis"}}},
            {"range": {"beds_by_level.3_7-WM__adults.hold_until": {
                "lte": ms, "format": "epoch_millis"}}},
            {"range": {"beds_by_level.3_7-WM__any.hold_until": {
                "lte": ms, "format": "epoch_millis"}}},
        ], "minimum_should_match": 1}}
        assert contains(build_search_body(query(now), Settings()), clause)
        assert script_params(query(now))["now_ms"] == ms
        assert script_params(query(now))["hold_fields"][0] == f"{MEN}.hold_until"


def contains(tree, part):
    """True when `part` occurs anywhere in the JSON `tree`."""
    if tree == part:
        return True
    items = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else ()
    return any(contains(item, part) for item in items)


def _epoch_ms(value):
    if isinstance(value, int):
        return value
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def _field(doc, path):
    value = doc
    for part in path.split("."):
        value = (value or {}).get(part)
    return value


def matches(clause, doc):
    """bool/should and range (gt on integers, lte on epoch_millis dates) over `doc`."""
    if "bool" in clause:
        return sum(matches(c, doc) for c in clause["bool"]["should"]) >= 1
    ((field, bound),) = clause["range"].items()
    values = _field(doc, field)
    values = values if isinstance(values, list) else ([] if values is None else [values])
    if "gt" in bound:
        return any(v > bound["gt"] for v in values)
    return any(_epoch_ms(v) <= bound["lte"] for v in values)


def test_across_the_expiry_instant_the_bed_becomes_open_without_a_write():
    doc = {"beds_by_level": beds_by_level([live_row(1, [EXPIRY_ISO])], complete=True)}
    before, at = EXPIRY - timedelta(milliseconds=1), EXPIRY
    assert not matches(open_beds_clause(query(before)), doc)
    assert matches(open_beds_clause(query(at)), doc)
    # The explanation shown with a hit counts the same way.
    assert capacity_of(doc["beds_by_level"], query(before))[0] == 0
    assert capacity_of(doc["beds_by_level"], query(at))[0] == 1


def test_a_hold_pushes_its_expiry_merged_over_the_indexed_rows(es_app):  # noqa: F811
    client = es_app.test_client()
    double = es_app.extensions["store"].client
    coach = bearer(es_app, "coach")
    facility_key = bearer(es_app, "facility", "test:full")
    etag = client.get("/v1/facilities/test:full/beds").headers["ETag"]
    assert client.put("/v1/facilities/test:full/beds", headers={**facility_key, "If-Match": etag},
                      json={"rows": [row(available=2)]}).status_code == 200
    hold = client.post("/v1/facilities/test:full/holds", headers=coach, json={
        "level_of_care": "3.7-WM", "population": "adult_men", "expires_in_minutes": 30})
    assert hold.status_code in (200, 201), hold.get_json()
    expires = hold.get_json()["expires_at"]
    es_app.extensions["jobs"].run_queued()  # the job runner's push (directory_service/jobs/)
    update = [c for c in double.calls if c[0] == "bulk"][-1][1]["operations"][1]
    assert update["beds_by_level"]["3_7-WM__men"]["open"] == 1
    assert update["beds_by_level"]["3_7-WM__men"]["hold_until"] == [expires]

"""Canned Elasticsearch responses (the server's real format) parsed into hits and reports.

The components shown with an Elasticsearch hit are recomputed in Python; here they are
checked against ranking.py called directly with the figures written in the fixture, so
the explanation a coach sees is the formula of docs/ranking.md and nothing else.
"""
import pytest

from directory_service import ranking
from directory_service.search.elastic.store import check_version, hits_from_response
from directory_service.search.elastic.writer import bulk_failures
from directory_service.search.store import SearchQuery, StoreUnavailable
from tests.es_golden import load
from tests.factories import NAPERVILLE, NOW, ago

QUERY = SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], now=NOW, levels_primary=("3.7-WM",),
                    payment=("medicaid",))
FACILITY_SCALE = ranking.DISTANCE_SCALE_M["treatment_facility"]


def parsed():
    return hits_from_response(load("es_responses", "search_mixed_kinds.json"), QUERY)


def test_hits_keep_the_engine_order_total_record_and_sort_distance():
    result = parsed()
    assert result.total == 3
    assert [h.record["id"] for h in result.hits] == ["test:mtg", "test:open", "test:unknown"]
    assert [h.distance_m for h in result.hits] == [800.2, 1609.3, 5000.0]
    assert result.hits[1].record["beds"][0]["available"] == 3


def test_components_equal_ranking_functions_for_the_fixture_figures():
    mtg, open_, unknown = parsed().hits
    # 3 open beds at 3.7-WM reported 2 hours before NOW, 1609.3 m away, takes Medicaid.
    assert open_.components["distance"] == pytest.approx(
        float(ranking.distance_component(1609.3, FACILITY_SCALE)), abs=1e-4)
    assert open_.components["capacity"] == pytest.approx(
        float(ranking.capacity_component(3, 2.0)), abs=1e-4)
    assert open_.components["payment"] == ranking.payment_value({"medicaid"}, False) == 1.0
    assert open_.components["level_of_care"] == ranking.LEVEL_EXACT
    assert open_.capacity == {"open": 3, "reported_at": ago(hours=2)}
    assert unknown.components["capacity"] == ranking.CAPACITY_UNKNOWN
    assert unknown.capacity == {"open": None, "reported_at": None}
    assert mtg.components == {
        "distance": pytest.approx(float(ranking.distance_component(
            800.2, ranking.DISTANCE_SCALE_M["meeting"])), abs=1e-4),
        "capacity": None, "payment": None, "level_of_care": None}
    assert mtg.capacity is None


def test_engine_score_equals_the_formula_over_the_components():
    for hit in parsed().hits:
        expected = ranking.combine({k: (None if v is None else v)
                                    for k, v in hit.components.items()})
        # Elasticsearch keeps _score as a 32-bit float; components are shown to 4 places.
        assert hit.score == pytest.approx(float(expected), abs=2e-4)


def test_uninsured_payment_takes_the_best_accepted_value():
    uninsured = SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], now=NOW,
                            payment=("free", "sliding_fee", "self_pay"), uninsured=True)
    response = load("es_responses", "search_mixed_kinds.json")
    hit = response["hits"]["hits"][1]
    hit["_source"]["record"]["payment"] = ["self_pay", "sliding_fee"]
    (_, parsed_hit, _) = hits_from_response(response, uninsured).hits
    assert parsed_hit.components["payment"] == ranking.UNINSURED_PAYMENT_VALUE["sliding_fee"]


def test_bulk_item_errors_are_reported_per_record():
    response = load("es_responses", "bulk_with_item_errors.json")
    # streaming_bulk yields (ok, item) with ok = 2xx status, one pair per item.
    pairs = [(200 <= next(iter(item.values()))["status"] < 300, item)
             for item in response["items"]]
    failures = bulk_failures(pairs)
    assert [record_id for record_id, _ in failures] == ["seed:fac-002", "seed:mtg-007"]
    assert failures[0][1].startswith("document_parsing_exception: ")
    assert "dynamic introduction of [bogus]" in failures[0][1]
    assert failures[1][1].startswith("es_rejected_execution_exception: ")


def test_server_version_must_be_8():
    assert check_version(load("es_responses", "info_8.json")) == "8.15.3"
    with pytest.raises(StoreUnavailable, match="7.17.24 is not supported"):
        check_version(load("es_responses", "info_7.json"))

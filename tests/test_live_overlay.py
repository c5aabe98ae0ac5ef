"""Live figures in search: the embedded store's overlay, ranking and freshness with live
data, several workers over one database, and re-indexing that keeps every report and hold."""
import json

import pytest

from directory_service.availability import figures
from directory_service.search import columns as cols
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests import factories
from tests.test_live_support import (
    NAPERVILLE, bearer, directory, etag, hours_ago, make_app, row, search_open,
)

# On SQLite and on PostgreSQL (tests/availability_backends.py).
both_backends = pytest.mark.usefixtures("availability_backend")
UNKNOWN_TWINS = [factories.facility("p", km=1, beds=[row(available=None)]),
                 factories.facility("q", km=1, beds=[row(available=None)])]


def put_row(client, key, facility, **fields):
    body = {"rows": [{"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
                      **fields}]}
    response = client.put(f"/v1/facilities/{facility}/beds", json=body,
                          headers={**key, "If-Match": etag(client, facility)})
    assert response.status_code == 200, response.get_json()
    return response


def ranked_ids(client, **params):
    query = "&".join(f"{k}={v}" for k, v in {"lat": NAPERVILLE["lat"], "lon": NAPERVILLE["lon"],
                                             "radius": 20, "kind": "treatment_facility",
                                             "level_of_care": "3.7-WM", **params}.items())
    return [(h["id"], h["components"]["capacity"]) for h in
            client.get(f"/v1/search?{query}").get_json()["results"]]


@both_backends
def test_live_report_reorders_ranking_and_stays_honest_about_unknown(tmp_path):
    app = make_app(tmp_path, UNKNOWN_TWINS)
    client, admin = app.test_client(), bearer(app, "admin")
    assert ranked_ids(client) == [("test:p", 0.5), ("test:q", 0.5)]
    put_row(client, admin, "test:q", available=5)
    (first, first_capacity), (second, second_capacity) = ranked_ids(client)
    assert (first, second) == ("test:q", "test:p") and first_capacity > 0.5
    put_row(client, admin, "test:p", available=0)
    assert ranked_ids(client)[-1][0] == "test:p" and ranked_ids(client)[-1][1] < 0.1
    put_row(client, admin, "test:p", status="unknown")
    assert search_open(client, "test:p") == {"open": None, "reported_at": None,
                                             "age_seconds": None, "freshness": "unknown"}
    assert [i for i, _ in ranked_ids(client, has_open_beds="true")] == ["test:q"]


@both_backends
def test_old_live_report_is_stale_and_discounted(tmp_path):
    app = make_app(tmp_path, UNKNOWN_TWINS)
    client, admin = app.test_client(), bearer(app, "admin")
    # A report counted 29 days ago: inside the accepted window, long past stale.
    put_row(client, admin, "test:p", available=5, reported_at=hours_ago(29 * 24))
    put_row(client, admin, "test:q", available=5)
    assert search_open(client, "test:p")["freshness"] == "stale"
    capacity = dict(ranked_ids(client))
    assert capacity["test:p"] < capacity["test:q"]
    assert abs(capacity["test:p"] - 0.5) < 0.01


@both_backends
def test_every_worker_sees_writes_made_through_another(tmp_path):
    first = make_app(tmp_path)
    second = make_app(tmp_path, store_path=first.extensions["store"].path)
    one, two = first.test_client(), second.test_client()
    assert search_open(two, "test:b")["open"] == 3
    put_row(one, bearer(first, "facility", "test:b"), "test:b", available=7)
    assert search_open(two, "test:b")["open"] == 7
    held = two.post("/v1/facilities/test:b/holds", headers=bearer(second, "coach"),
                    json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert held.status_code == 201
    assert search_open(one, "test:b")["open"] == 6
    assert one.get("/v1/resources/test:b").get_json()["beds"][0]["held"] == 1


@both_backends
def test_reindex_keeps_reports_and_holds(tmp_path):
    source = tmp_path / "facilities.ndjson"
    source.write_text("".join(json.dumps(r) + "\n" for r in directory()))
    store_path = str(tmp_path / "directory.sqlite")
    pipeline.run([str(source)], SqliteIndexWriter(store_path))
    app = make_app(tmp_path, store_path=store_path)
    client = app.test_client()
    put_row(client, bearer(app, "admin"), "test:b", available=8)
    client.post("/v1/facilities/test:b/holds", headers=bearer(app, "coach"),
                json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert search_open(client, "test:b")["open"] == 7
    report = pipeline.run([str(source)], SqliteIndexWriter(store_path))
    assert report.swapped
    assert search_open(client, "test:b")["open"] == 7
    assert client.get("/v1/resources/test:b").get_json()["beds"][0]["available"] == 8


@both_backends
def test_current_figures_nets_holds_for_the_elasticsearch_store(tmp_path):
    app = make_app(tmp_path)
    client = app.test_client()
    put_row(client, bearer(app, "admin"), "test:b", available=4)
    client.post("/v1/facilities/test:b/holds", headers=bearer(app, "coach"),
                json={"level_of_care": "3.7-WM", "population": "adult_men"})
    got = figures.current_figures(app.config["SETTINGS"])
    assert set(got) == {"test:b"}
    men = cols.bed_levels(got["test:b"])[("3.7-WM", "men")]
    assert men[0] == 3 and men[1] > 0
    assert figures.level_figures(got["test:b"])["3.7-WM"]["reported_at"].endswith("Z")


@pytest.mark.parametrize("level_rows, expected", [
    ([{"status": "unknown", "reported_at": None}], None),
    ([{"status": "full", "available": 0, "reported_at": "2026-01-01T00:00:00Z"}], 0),
    ([{"status": "open", "available": 3, "held": 1, "reported_at": "2026-01-01T00:00:00Z"},
      {"status": "unknown", "reported_at": None}], 2),
])
def test_level_figures_never_turn_unknown_into_zero(level_rows, expected):
    rows = [{"level_of_care": "3.7-WM", **r} for r in level_rows]
    assert figures.level_figures(rows)["3.7-WM"]["open"] == expected

"""Kept ids: a merged record keeps the id that already serves (live data > published >
first seen), the others become its aliases and redirect to it, in every store and export.
"""
import json

import pytest

from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from indexer.dedupe import Deduper
from indexer.formats.common import ImportOptions
from indexer.serving import Serving, live_facility_ids
from tests import factories
from tests.test_live_support import bearer, etag, make_app, row

from tests.test_ids_and_dedupe import MAIN_ST, adds_up, load, ndjson, takeback


# --- Kept ids: live data > published > first seen --------------------------------------

def facility_row(rid, **fields):
    return factories.facility(rid, **{"address": MAIN_ST, "beds": [row(available=2)],
                                      "name": "Harbor House", **fields})


def test_reindex_adding_a_second_source_keeps_the_id_with_bed_reports(tmp_path):
    store_path = str(tmp_path / "directory.sqlite")
    original = ndjson(tmp_path / "b-county.ndjson", [facility_row("county-9")])
    assert pipeline.run([original], SqliteIndexWriter(store_path)).swapped
    app = make_app(tmp_path, store_path=store_path)
    client, admin = app.test_client(), bearer(app, "admin")
    facility_key = bearer(app, "facility", "test:county-9")
    put = client.put("/v1/facilities/test:county-9/beds", json={"rows": [
        {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10, "available": 6}]},
        headers={**facility_key, "If-Match": etag(client, "test:county-9")})
    assert put.status_code == 200
    assert client.post("/v1/facilities/test:county-9/holds", headers=bearer(app, "coach"),
                       json={"level_of_care": "3.7-WM", "population": "adult_men"}
                       ).status_code == 201
    # A new source sorts first and is read first: before, its id won and orphaned the beds.
    added = ndjson(tmp_path / "a-state.ndjson", [facility_row(
        "state-1", address={**MAIN_ST, "street": "100 Main St"}, source={"name": "state"})])
    settings = app.config["SETTINGS"]
    serving = Serving.from_settings(settings)
    assert "test:county-9" in serving.live and "test:county-9" in serving.ids
    report = pipeline.run([added, original], SqliteIndexWriter(store_path), serving=serving)
    assert adds_up(report)
    assert report.files[added]["merged"] == 1 and report.files[original]["replaced"] == 1
    assert [(m.into, m.id) for m in report.merged] == [("test:county-9", "test:state-1")]
    kept = client.get("/v1/resources/test:county-9").get_json()
    assert kept["aliases"] == ["test:state-1"] and kept["beds"][0]["available"] == 6
    moved = client.get("/v1/resources/test:state-1")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/v1/resources/test:county-9")
    beds = client.get("/v1/facilities/test:county-9/beds").get_json()
    assert beds["rows"][0]["available"] == 6 and beds["rows"][0]["held"] == 1
    assert client.put("/v1/facilities/test:county-9/beds", headers={
        **facility_key, "If-Match": etag(client, "test:county-9")}, json={
        "rows": [{"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
                  "available": 5}]}).status_code == 200
    assert admin  # the admin key outlived the re-index too


def test_a_published_id_that_merges_away_redirects_and_a_new_run_keeps_it(tmp_path):
    store_path = str(tmp_path / "directory.sqlite")
    one = ndjson(tmp_path / "one.ndjson", [facility_row("one")])
    two = ndjson(tmp_path / "two.ndjson", [facility_row("two", phones={"main": "555-0101"},
                                                        address={"street": "1 Elm St"})])
    pipeline.run([one, two], SqliteIndexWriter(store_path))
    # "two" now gives the same street: the same place as "one". Both were published.
    two_fixed = ndjson(tmp_path / "two.ndjson", [facility_row("two")])
    serving = Serving.read(SqliteStore(store_path))
    report = pipeline.run([one, two_fixed], SqliteIndexWriter(store_path), serving=serving)
    assert adds_up(report) and report.not_kept == []
    store = SqliteStore(store_path)
    assert store.get("test:two") is None and store.resolve_alias("test:two") == "test:one"
    # The next run no longer reads "two" at all: its alias is carried over, never a 404.
    report = pipeline.run([one], SqliteIndexWriter(store_path),
                          serving=Serving.read(SqliteStore(store_path)))
    assert report.files[one]["replaced"] == 1 and report.not_kept == []
    assert SqliteStore(store_path).resolve_alias("test:two") == "test:one"


def test_a_record_whose_id_changed_keeps_its_published_id(tmp_path):
    # Same place, new id (its feed was renamed): the published id keeps serving.
    store_path = str(tmp_path / "directory.sqlite")
    pipeline.run([ndjson(tmp_path / "old.ndjson", [takeback("nov:7")])],
                 SqliteIndexWriter(store_path))
    renamed = ndjson(tmp_path / "new.ndjson", [takeback("dec:7")])
    report = pipeline.run([renamed], SqliteIndexWriter(store_path),
                          serving=Serving.read(SqliteStore(store_path)))
    assert report.files[renamed]["replaced"] == 1 and report.loaded == 0
    assert [(m.into, m.id, m.outcome) for m in report.merged] == [
        ("test:nov:7", "test:dec:7", "written")]
    store = SqliteStore(store_path)
    assert store.get("test:nov:7")["source"]["id"] is None
    assert store.resolve_alias("test:dec:7") == "test:nov:7"


def test_two_facilities_with_live_data_are_kept_apart(tmp_path):
    serving = Serving(live={"test:a", "test:b"})
    report, records = load([ndjson(tmp_path / "f.ndjson", [facility_row("a"),
                                                           facility_row("b")])],
                           serving=serving)
    assert sorted(records) == ["test:a", "test:b"] and report.merged == []
    assert any("both have live bed data" in w for w in report.warnings)


def test_published_beats_first_seen_and_a_row_beats_a_published_ghost():
    serving = Serving(aliases={"test:p": (), "test:q": ("test:older",)},
                      places=[], live=set())
    deduper = Deduper(serving)
    for rid in ("new", "q"):
        deduper.add(facility_row(rid), ("f", 1))
    (group,) = deduper.finish()
    assert group.record["id"] == "test:q"
    assert group.record["aliases"] == ["test:new", "test:older"]


@pytest.mark.parametrize("live, kept", [(set(), "test:a"), ({"test:b"}, "test:b")])
def test_live_data_beats_published_which_beats_first_seen(live, kept):
    deduper = Deduper(Serving(aliases={"test:a": (), "test:b": ()}, live=live))
    for rid in ("new", "a", "b"):
        deduper.add(facility_row(rid), ("f", 1))
    (group,) = deduper.finish()
    assert group.record["id"] == kept
    assert group.record["aliases"] == sorted({"test:new", "test:a", "test:b"} - {kept})
    assert group.primary.id == kept and len(group.merged) == 2


def test_live_ids_come_from_reports_holds_and_unrevoked_keys(tmp_path, availability_backend):
    """On either backend: the indexer reads AVAILABILITY_URL when set, not a file that a
    PostgreSQL deployment does not have (a merge would then rename a live facility)."""
    app = make_app(tmp_path, [factories.facility("a"), factories.facility("b"),
                              factories.facility("c")])
    bearer(app, "facility", "test:b")
    from directory_service.availability import keys
    key_id, _ = keys.create(app.extensions["availability"], "facility", "test:c")
    keys.revoke(app.extensions["availability"], key_id)
    settings = app.config["SETTINGS"]
    where = settings.availability_url or settings.availability_path
    assert (availability_backend == "postgresql") == where.startswith("postgresql://")
    assert live_facility_ids(where) == {"test:b"}
    assert Serving.from_settings(settings).live == {"test:b"}
    assert live_facility_ids(str(tmp_path / "missing.sqlite")) == set()


def test_public_page_of_an_alias_redirects_to_the_kept_record(tmp_path):
    app = make_app(tmp_path, [factories.facility("kept", aliases=["test:gone"])])
    client = app.test_client()
    page = client.get("/r/test:gone?lang=es")
    assert page.status_code == 301 and page.headers["Location"].endswith("/r/test:kept?lang=es")
    printed = client.get("/r/test:gone/print")
    assert printed.headers["Location"].endswith("/r/test:kept/print")
    assert client.get("/r/test:never").status_code == 404
    api = client.get("/v1/resources/test:gone")
    assert api.status_code == 301 and "max-age" in api.headers["Cache-Control"]
    assert client.get("/v1/resources/test:never").status_code == 404


def test_aliases_survive_an_hsds_export_and_import(tmp_path):
    from indexer import export

    records = [factories.facility("kept", aliases=["hsds:county:12", "test:gone"])]
    store = type("S", (), {"scan": lambda self, kinds, after: iter(records)})()
    path = tmp_path / "out.json"
    path.write_text("".join(export.stream(store, "hsds")))
    report, again = load([path], fmt="hsds")
    assert again["test:kept"]["aliases"] == ["hsds:county:12", "test:gone"]


def test_meetings_published_before_ids_carried_the_feed_keep_their_old_links(tmp_path):
    store_path = str(tmp_path / "directory.sqlite")
    before = [factories.meeting("x", id="mg:tuesday-step", source={"name": "meeting-guide",
                                                                   "id": "tuesday-step"}),
              factories.meeting("y", id="mg:gone", source={"name": "meeting-guide",
                                                          "id": "gone"})]
    pipeline.run([ndjson(tmp_path / "old.ndjson", before)], SqliteIndexWriter(store_path))
    feed = tmp_path / "westside.json"
    feed.write_text(json.dumps([{
        "slug": "tuesday-step", "name": "Tuesday Step", "day": 2, "time": "19:00",
        "address": "100 Main Street", "city": "Naperville", "state": "IL",
        "postal_code": "60540", "latitude": 41.77, "longitude": -88.15, "types": ["O"]}]))
    pipeline.run([str(feed)], SqliteIndexWriter(store_path),
                 serving=Serving.read(SqliteStore(store_path)), options=ImportOptions(
                     fellowship="AA"))
    store = SqliteStore(store_path)
    assert store.get("mg:westside:tuesday-step")["aliases"] == ["mg:tuesday-step"]
    assert store.resolve_alias("mg:tuesday-step") == "mg:westside:tuesday-step"
    # Only an id whose slug a feed still carries becomes an alias.
    assert store.resolve_alias("mg:gone") is None

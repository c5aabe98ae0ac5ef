"""Exports: paged NDJSON (a `next` link per page), GeoJSON checked against RFC 7946's shape, HSDS round trip,
and incremental sync with modified_after."""
import io
import json
import os

import jsonschema
import pytest

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import export, pipeline
from tests.test_import_formats import FIXTURES, Collector

# The parts of the GeoJSON schema (RFC 7946) a FeatureCollection of Points must satisfy.
POSITION = {"type": "array", "minItems": 2, "maxItems": 3,
            "prefixItems": [{"type": "number", "minimum": -180, "maximum": 180},
                            {"type": "number", "minimum": -90, "maximum": 90}]}
GEOJSON = {
    "type": "object", "required": ["type", "features"],
    "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": {
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {"type": {"const": "Feature"}, "id": {"type": ["string", "number"]},
                       "properties": {"type": ["object", "null"]},
                       "geometry": {"type": "object", "required": ["type", "coordinates"],
                                    "properties": {"type": {"const": "Point"},
                                                   "coordinates": POSITION}}}}}}}


@pytest.fixture
def store_path(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    paths = [os.path.join(FIXTURES, p) for p in ("samhsa/page.json", "meeting_guide/feed.json",
                                                 "hsds/service.json", "csv/naloxone.csv")]
    pipeline.run(paths, SqliteIndexWriter(path), max_rejected_fraction=1.0)
    return path


@pytest.fixture
def export_client(store_path, tmp_path):
    app = create_app(Settings.from_env(store_path=store_path,
                                       availability_path=str(tmp_path / "avail.sqlite")))
    yield app.test_client()
    app.extensions["store"].close()


def test_ndjson_export_filters_kinds_and_has_a_length(export_client):
    response = export_client.get("/v1/export?format=ndjson&kind=meeting")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    # Built whole, so a cut-off body is visible to the client as a short read.
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    assert "Link" not in response.headers
    rows = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert rows and {r["kind"] for r in rows} == {"meeting"}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_geojson_export_validates(export_client):
    response = export_client.get("/v1/export?format=geojson")
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.get_data(as_text=True))
    jsonschema.Draft202012Validator(GEOJSON).validate(body)
    first = body["features"][0]
    assert first["geometry"]["coordinates"] == [first["properties"].get("lon", first[
        "geometry"]["coordinates"][0]), first["geometry"]["coordinates"][1]]
    assert "location" not in first["properties"]


def test_geojson_schema_check_can_fail():
    swapped = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
               "geometry": {"type": "Point", "coordinates": [41.7, -188.1]}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(GEOJSON).validate(swapped)


def test_modified_after_is_incremental_sync(export_client):
    everything = export_client.get("/v1/export").get_data(as_text=True).splitlines()
    recent = export_client.get("/v1/export?modified_after=2025-06-01T00:00:00Z")
    ids = {json.loads(line)["id"] for line in recent.get_data(as_text=True).splitlines()}
    # The HSDS service says it changed in 2026, the Meeting Guide rows in 2024.
    assert "hsds:service:sal-1" in ids and "mg:many-days:1" not in ids
    assert 0 < len(ids) < len(everything)


@pytest.mark.parametrize("query, field", [("ditance=5", "ditance"), ("format=xml", "format"),
                                          ("modified_after=yesterday", "modified_after"),
                                          ("kind=bakery", "kind")])
def test_bad_export_parameters_are_422(export_client, query, field):
    response = export_client.get(f"/v1/export?{query}")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in json.dumps(response.get_json())


def test_export_pulls_records_lazily():
    """Memory stays flat: the export takes one record from the store per chunk it yields."""
    pulled = []

    class CountingStore:  # a test double of the store's scan
        def scan(self, kinds, modified_after):
            for i in range(1_000_000):
                pulled.append(i)
                yield {"id": f"t:{i}", "kind": "meeting", "name": "x",
                       "location": {"lat": 1.0, "lon": 2.0}}

    chunks = export.stream(CountingStore(), "geojson")
    assert next(chunks).startswith('{"type":"FeatureCollection"')
    next(chunks), next(chunks)
    assert len(pulled) == 2


def test_hsds_round_trip_gives_the_same_records(tmp_path):
    first = Collector()
    pipeline.run([os.path.join(FIXTURES, "hsds", "service.json"),
                  os.path.join(FIXTURES, "hsds", "package")], first, max_rejected_fraction=1.0)

    class ListStore:  # a test double of the store's scan over the imported records
        def scan(self, kinds, modified_after):
            return iter(sorted(first.records.values(), key=lambda r: r["id"]))

    out = tmp_path / "export.hsds.json"
    out.write_text("".join(export.stream(ListStore(), "hsds")), encoding="utf-8")
    exported = json.loads(out.read_text())
    assert all(set(s) >= {"id", "service", "location"} for s in exported)
    second = Collector()
    pipeline.run([str(out)], second, fmt="hsds")
    assert second.records == first.records


def test_every_kind_survives_hsds(tmp_path):
    first = Collector()
    pipeline.run([os.path.join(FIXTURES, p) for p in (
        "samhsa/page.json", "meeting_guide/feed.json", "bmlt/search.json", "csv/naloxone.csv")],
        first, max_rejected_fraction=1.0)
    records = sorted(first.records.values(), key=lambda r: r["id"])
    text = "".join(export.stream(type("S", (), {"scan": lambda self, k, m: iter(records)})(),
                                 "hsds"))
    path = tmp_path / "all.json"
    path.write_text(text)
    second = Collector()
    pipeline.run([str(path)], second, fmt="hsds")
    assert second.records == first.records


def test_cli_export_writes_a_file(store_path, tmp_path):
    from click.testing import CliRunner

    from indexer.cli import main

    out = tmp_path / "out.ndjson"
    result = CliRunner().invoke(main, ["export", "--store", store_path, "--format", "ndjson",
                                       "--kind", "naloxone_site", "--out", str(out)])
    assert result.exit_code == 0, result.output
    kinds = {json.loads(line)["kind"] for line in io.StringIO(out.read_text())}
    assert kinds == {"naloxone_site"}


@pytest.fixture
def paged_client(tmp_path):
    """An app over 23 facilities and 4 meetings, updated on different days."""
    from tests.factories import ago, facility, meeting
    from tests.stores import build_embedded

    records = [facility(f"f{i:02d}", updated_at=ago(days=i)) for i in range(23)]
    records += [meeting(f"m{i}", updated_at=ago(days=i)) for i in range(4)]
    store = build_embedded(records, tmp_path)
    app = create_app(Settings.from_env(store_path=store.path,
                                       availability_path=str(tmp_path / "avail.sqlite")),
                     store=store)
    yield app.test_client()
    store.close()


def follow(client, url):
    """Every page of an export, following Link rel=next; (bodies, urls asked)."""
    bodies, urls = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        bodies.append(response.get_data(as_text=True))
        urls.append(url)
        link = response.headers.get("Link")
        url = None
        if link:
            target, rel = link.split(";", 1)
            assert rel.strip() == 'rel="next"'
            url = target.strip()[1:-1].replace("http://localhost", "")
    return bodies, urls


def test_pages_follow_next_links_to_every_record_once_in_id_order(paged_client):
    bodies, urls = follow(paged_client, "/v1/export?kind=treatment_facility&limit=10")
    ids = [json.loads(line)["id"] for body in bodies for line in body.splitlines()]
    assert [len(b.splitlines()) for b in bodies] == [10, 10, 3]
    assert ids == sorted(ids) and len(set(ids)) == 23
    assert all(i.startswith("test:f") for i in ids)
    # Every next link keeps the filters and the page size.
    assert all("kind=treatment_facility" in u and "limit=10" in u for u in urls[1:])


def test_an_export_that_fills_its_last_page_exactly_has_no_empty_extra_page(paged_client):
    bodies, _ = follow(paged_client, "/v1/export?kind=meeting&limit=2")
    assert [len(b.splitlines()) for b in bodies] == [2, 2]


def test_modified_after_is_kept_from_page_to_page(paged_client):
    since = "2026-11-09T12:00:00Z"  # tests.factories.NOW less 7.25 days
    bodies, urls = follow(paged_client, f"/v1/export?modified_after={since}&limit=3")
    ids = [json.loads(line)["id"] for body in bodies for line in body.splitlines()]
    assert sorted(ids) == ids and len(ids) == 8 + 4  # f00-f07, m0-m3
    assert all("modified_after=" in u for u in urls[1:])


def test_geojson_and_hsds_pages_are_each_a_whole_document(paged_client):
    for fmt, key in (("geojson", "features"), ("hsds", None)):
        bodies, _ = follow(paged_client, f"/v1/export?format={fmt}&limit=10")
        docs = [json.loads(b) for b in bodies]
        sizes = [len(d[key] if key else d) for d in docs]
        assert sizes == [10, 10, 7], fmt


@pytest.mark.parametrize("query, field", [("cursor=%25%25", "cursor"), ("cursor=_w", "cursor"),
                                          ("limit=0", "limit"), ("limit=5001", "limit")])
def test_bad_cursor_or_limit_is_422(paged_client, query, field):
    response = paged_client.get(f"/v1/export?{query}")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_a_store_failing_mid_page_is_a_503_problem_not_a_cut_200(paged_client):
    """A page is built before it is sent: a failure shows as an error, never as a short
    file with 200 OK."""
    from directory_service.search.store import StoreUnavailable

    store = paged_client.application.extensions["store"]
    real_scan = store.scan

    def failing_scan(*args, **kwargs):
        for i, record in enumerate(real_scan(*args, **kwargs)):
            if i == 5:
                raise StoreUnavailable("the disk went away")
            yield record

    store.scan = failing_scan
    try:
        response = paged_client.get("/v1/export?limit=10")
    finally:
        store.scan = real_scan
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert "Link" not in response.headers

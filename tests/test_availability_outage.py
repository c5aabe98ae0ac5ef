"""A real PostgreSQL stopped mid-run (availability/outage.py, DESIGN §14): every route that
reads the directory answers 200 with live figures marked unavailable (never 0, never
open), every write and every staff page answers 503 with Retry-After, /readyz names the
database, and once the server is back the same app recovers with no restart."""
import re

import pytest

from tests.availability_backends import Cluster
from tests.needs import missing
from tests.staff_client import make_key, sign_in
from tests.test_live_support import NAPERVILLE, bearer, make_app, report, row

AT = f"lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}"
READS = {
    "search": f"/v1/search?{AT}&radius=20",
    "search-compact": f"/v1/search?{AT}&radius=20&view=compact",
    "search-open-beds": f"/v1/search?{AT}&radius=20&kind=treatment_facility&has_open_beds=true",
    "resource": "/v1/resources/test:a",
    "export-ndjson": "/v1/export?format=ndjson",
    "export-geojson": "/v1/export?format=geojson",
    "export-hsds": "/v1/export?format=hsds",
    "vocabularies": "/v1/vocabularies",
    "page-search": f"/?{AT}&need=treatment",
    "page-detox-now": f"/?{AT}&start=detox_now",
    "page-record": "/r/test:a",
    "page-print": "/r/test:a/print",
    "openapi": "/openapi.json",
    "healthz": "/healthz",
}


@pytest.fixture(scope="module")
def cluster():
    try:
        server = Cluster().start()
    except Exception as exc:  # noqa: BLE001 - same rule as the other PostgreSQL tests
        missing(f"PostgreSQL could not start: {exc}")
    yield server
    server.stop()


@pytest.fixture
def app(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("AVAILABILITY_URL", cluster.url)
    monkeypatch.setenv("AVAILABILITY_CONNECT_TIMEOUT_S", "2")
    app = make_app(tmp_path)
    yield app
    app.extensions["store"].close()
    app.extensions["availability"].close()


def facility_rows(body):
    """Every facility bed row in a search, match, resource or export body."""
    if isinstance(body, dict) and "results" in body:
        records = [h.get("record", h) for h in body["results"]]
    elif isinstance(body, dict):
        records = [body]
    else:
        records = body
    return [r for rec in records if rec.get("kind") == "treatment_facility"
            for r in rec.get("beds") or ()]


def test_reads_degrade_writes_refuse_and_recovery_needs_no_restart(app, cluster):
    client = app.test_client()
    facility = bearer(app, "facility", "test:a")
    coach = bearer(app, "coach")
    admin_key = make_key(app, "admin")
    assert report(client, facility, "test:a", [row(available=5, hours_old=0.1)]).status_code == 200
    staff = app.test_client()
    assert sign_in(staff, admin_key).status_code in (302, 303)
    assert staff.get("/staff/admin").status_code == 200
    up = client.get(READS["resource"]).get_json()
    assert [r["available"] for r in up["beds"] if r["population"] == "adult_men"] == [5]

    cluster.halt()
    try:
        for name, path in READS.items():
            answer = client.get(path)
            assert answer.status_code == 200, (name, answer.status_code,
                                               answer.get_data(as_text=True)[:300])
        search = client.get(READS["search"]).get_json()
        assert search["live_figures"] == "unavailable"
        hits = [h for h in search["results"] if h["kind"] == "treatment_facility"]
        assert hits and all(h["beds_open"]["open"] is None for h in hits)
        for name in ("search", "search-compact", "search-open-beds", "resource"):
            rows = facility_rows(client.get(READS[name]).get_json())
            assert rows, name
            for bed in rows:
                assert bed.get("available", bed.get("open")) is None, (name, bed)
                assert bed.get("status", "unknown") == "unknown", (name, bed)
        assert client.get(READS["search-compact"]).get_json()["live_figures"] == "unavailable"
        assert client.get(READS["search"]).headers["Cache-Control"] == "no-store"
        exported = [__import__("json").loads(line) for line in
                    client.get(READS["export-ndjson"]).get_data(as_text=True).splitlines()]
        assert all(b["available"] is None and b["status"] == "unknown" and "live" not in b
                   for b in facility_rows(exported))
        matched = client.post("/v1/match", json={"lat": NAPERVILLE["lat"],
                                                 "lon": NAPERVILLE["lon"], "level_of_care": "detox"})
        assert matched.status_code == 200 and matched.get_json()["live_figures"] == "unavailable"
        page = client.get(READS["page-detox-now"]).get_data(as_text=True)
        assert "Live bed numbers cannot be read right now" in page
        assert "Facility a" in page and not re.search(r"\d+ open", page)
        assert "Live bed numbers cannot be read" in client.get("/r/test:a").get_data(as_text=True)

        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["availability"]["ok"] is False
        writes = [
            client.put("/v1/facilities/test:a/beds", json={"rows": [row(available=1)]},
                       headers={**facility, "If-Match": '"1"'}),
            client.post("/v1/facilities/test:a/holds", headers=coach,
                        json={"level_of_care": "3.7-WM", "population": "adult_men"}),
            client.get("/v1/facilities/test:a/beds"),
            client.get("/v1/holds", headers=coach),
        ]
        for answer in writes:
            assert answer.status_code == 503, (answer.request.path, answer.status_code,
                                               answer.get_data(as_text=True)[:300])
            assert answer.headers["Retry-After"] and answer.mimetype == "application/problem+json"
        staff_page = staff.get("/staff/admin")
        assert staff_page.status_code == 503 and staff_page.mimetype == "text/html"
        assert staff_page.headers["Retry-After"]
    finally:
        cluster.resume()

    back = client.get(READS["resource"]).get_json()
    assert "beds" in back, back
    assert [r["available"] for r in back["beds"] if r["population"] == "adult_men"] == [5]
    assert "live_figures" not in client.get(READS["search"]).get_json()
    assert client.get("/readyz").status_code == 200
    assert report(client, facility, "test:a", [row(available=4, hours_old=0.05)]).status_code == 200


def test_a_full_disk_under_the_sqlite_file_is_not_ready(tmp_path, monkeypatch):
    from collections import namedtuple

    from directory_service.api import health

    monkeypatch.delenv("AVAILABILITY_URL", raising=False)
    app = make_app(tmp_path)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(health.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1024))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["availability"] == {"ok": False, "backend": "sqlite",
                                                "disk_free_mb": 0, "error": "DiskFull"}
    app.extensions["store"].close()

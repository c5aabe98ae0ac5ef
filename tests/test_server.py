"""The service under real gunicorn workers, over HTTP on loopback."""
import time

import pytest
import requests

from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests.conftest import SEED
from tests.server import Gunicorn

pytestmark = pytest.mark.slow


def test_gunicorn_serves_search_and_survives_an_index_swap(tmp_path):
    store = str(tmp_path / "directory.sqlite")
    pipeline.run([SEED], SqliteIndexWriter(store))
    env = {"STORE_PATH": store, "AVAILABILITY_PATH": str(tmp_path / "availability.sqlite")}
    with Gunicorn(env, workers=2) as server:
        url = (f"{server.url}/v1/search?near=60540&kind=treatment_facility"
               "&level_of_care=3.7-WM&payment=medicaid")
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        hits = response.json()["results"]
        assert hits and all("score" in h and "distance_m" in h for h in hits)
        before = requests.get(f"{server.url}/readyz", timeout=5).json()["records"]
        bad = requests.get(f"{server.url}/v1/search?lat=95&lon=0", timeout=5)
        assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"
        # Re-index with one more record while the workers serve; each worker picks it up.
        extra = tmp_path / "extra.ndjson"
        extra.write_text('{"id": "t:new", "kind": "naloxone_site", "name": "New Vending Machine", '
                         '"location": {"lat": 41.75, "lon": -88.15}, '
                         '"site_type": "vending_machine"}\n')
        pipeline.run([SEED, str(extra)], SqliteIndexWriter(store))
        # A worker opens the new file in the background and answers from the old one
        # until then (sqlite_store.background_runner); soon every answer is the new one.
        deadline, in_a_row = time.monotonic() + 20, 0
        while in_a_row < 12:
            assert time.monotonic() < deadline, "the workers never all opened the new file"
            records = requests.get(f"{server.url}/readyz", timeout=5).json()["records"]
            assert records in (before, before + 1)
            in_a_row = in_a_row + 1 if records == before + 1 else 0
            time.sleep(0.02)
        assert requests.get(f"{server.url}/v1/resources/t:new", timeout=5).status_code == 200
    # The access log names paths only: no query string, so no searcher location.
    assert "/v1/search" in server.output and "60540" not in server.output
    assert "lat=95" not in server.output

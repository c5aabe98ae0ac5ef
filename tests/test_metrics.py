"""`/metrics`: Prometheus exposition that moves when searches, reports and failures happen,
that promtool accepts, that sums every gunicorn worker, and that never names a searcher's
place or query (directory_service/metrics.py)."""
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from directory_service import create_app
from directory_service.config import Settings
from tests.needs import missing
from tests.server import Gunicorn
from tests.test_live_support import NAPERVILLE, bearer, make_app, report, row

SEARCH = f"/v1/search?lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}&radius=20&q=detox"


def samples(text):
    """{(name, frozenset(labels)): value} of one exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text, name, **labels):
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def scrape(client, **headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.extensions["store"].close()


def test_requests_are_counted_by_route_method_and_status(app):
    client = app.test_client()
    before = scrape(client)
    assert client.get(SEARCH).status_code == 200
    assert client.get("/v1/search?lat=95&lon=1").status_code == 422
    assert client.get("/v1/resources/test:nope").status_code == 404
    assert client.get("/no/such/page/60540").status_code == 404
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    total = "directory_http_requests_total"
    assert moved(total, route="/v1/search", method="GET", status="200") == 1
    assert moved(total, route="/v1/search", method="GET", status="422") == 1
    assert moved(total, route="/v1/resources/<path:record_id>", method="GET", status="404") == 1
    assert moved(total, route="unmatched", method="GET", status="404") == 1
    assert moved("directory_http_request_duration_seconds_count",
                 route="/v1/search", method="GET") == 2
    assert moved("directory_store_search_duration_seconds_count") == 1
    # No label anywhere holds the searcher's place, text or the ids asked for. Only the
    # names and labels are looked at: a sample's value is a number whose digits may hold
    # "60540" by chance (1.9608260540262563 s of CPU did, in CI).
    named = "\n".join(line.rsplit(" ", 1)[0] for line in after.splitlines()
                      if line and not line.startswith("#"))
    comments = "\n".join(line for line in after.splitlines() if line.startswith("#"))
    for needle in (str(NAPERVILLE["lat"]), "detox", "test:nope", "60540", "lat=95"):
        assert needle not in named and needle not in comments


def test_directory_figures_records_by_kind_index_age_and_freshness(app):
    client = app.test_client()
    text = scrape(client)
    assert value(text, "directory_records", kind="treatment_facility") == 6
    assert value(text, "directory_records", kind="meeting") == 0
    assert value(text, "directory_store_up") == 1
    assert value(text, "directory_index_age_seconds") >= 0
    assert value(text, "directory_availability_up") == 1
    assert value(text, "directory_facilities_by_freshness", freshness="fresh") == 0
    key = bearer(app, "facility", "test:e")
    # One fresh row and one 14 hours old: the facility is judged by its oldest figure.
    answer = report(client, key, "test:e", [row(available=2, hours_old=14),
                                            row(population="adult_women", available=1,
                                                hours_old=0.2)])
    assert answer.status_code == 200, answer.get_json()
    text = scrape(client)
    assert value(text, "directory_facilities_by_freshness", freshness="aging") == 1
    assert value(text, "directory_facilities_by_freshness", freshness="fresh") == 0
    assert value(text, "directory_availability_db_duration_seconds_count",
                 operation="write") >= 1


def test_a_store_that_cannot_answer_is_a_figure_not_a_failed_scrape(tmp_path):
    settings = Settings.from_env(store_path=str(tmp_path / "missing.sqlite"),
                                 availability_path=str(tmp_path / "av.sqlite"))
    app = create_app(settings)
    text = scrape(app.test_client())
    assert value(text, "directory_store_up") == 0
    assert "directory_records" not in text


def test_a_token_restricts_the_endpoint_and_it_can_be_turned_off(tmp_path, app):
    store = app.config["SETTINGS"].store_path
    guarded = create_app(Settings.from_env(store_path=store, metrics_token="s3cret-token",
                                           availability_path=str(tmp_path / "g.sqlite")))
    client = guarded.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scrape(client, Authorization="Bearer s3cret-token")
    off = create_app(Settings.from_env(store_path=store, metrics_enabled=False,
                                       availability_path=str(tmp_path / "o.sqlite")))
    assert off.test_client().get("/metrics").status_code == 404


def promtool():
    found = shutil.which("promtool")
    if found is None:
        missing("promtool is missing (Debian's prometheus package; scripts/install_promtool.sh)")
    return found


def test_promtool_accepts_the_exposition(app):
    client = app.test_client()
    client.get(SEARCH)
    client.get("/v1/resources/test:a")
    result = subprocess.run([promtool(), "check", "metrics"], input=scrape(client),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_gunicorn_worker_answers_with_the_sum_of_all(seed_store_path, tmp_path):
    env = {"STORE_PATH": seed_store_path, "AVAILABILITY_PATH": str(tmp_path / "av.sqlite"),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"])
    folder = env["PROMETHEUS_MULTIPROC_DIR"]

    def workers_with_counters():
        return {name.split("_")[-1] for name in os.listdir(folder)}

    def burst():  # ten new connections at once: the kernel spreads them over both workers
        with ThreadPoolExecutor(10) as pool:
            return sum(pool.map(lambda _: requests.get(f"{server.url}/healthz",
                                                        timeout=10).ok, range(10)))

    with Gunicorn(env, workers=2) as server:
        sent = 0
        # Wait for the condition (both workers have answered), not for a time.
        for _ in range(100):
            sent += burst()
            if len(workers_with_counters()) >= 2 and sent >= 30:
                break
        assert len(workers_with_counters()) >= 2, "one worker answered every request"
        seen = []
        for _ in range(6):  # new connections: the scrapes land on either worker
            text = requests.get(f"{server.url}/metrics", timeout=10).text
            seen.append(value(text, "directory_http_requests_total",
                              route="/healthz", method="GET", status="200"))
    # Whichever worker answered the scrape, it counted the other's requests too (the
    # start-up wait's health checks add to the ones sent here).
    assert min(seen) >= sent, (seen, sent)

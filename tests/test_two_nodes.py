"""Two API "nodes" (two gunicorn instances, two workers each) sharing one PostgreSQL
availability database: the guarantees one SQLite file gave hold across machines."""
import os

import pytest
from sqlalchemy import func, select

from directory_service.availability import reports
from directory_service.availability.db import AvailabilityDB
from directory_service.availability.schema import outbox
from tests.server import Gunicorn
from tests.stores import build_embedded
from tests.test_live_gunicorn import _all_at_once, _bearer
from tests.test_live_support import directory

requests = pytest.importorskip("requests")
pytestmark = pytest.mark.slow
ROUNDS, COACHES = 5, 50


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, pg_server):
    tmp = tmp_path_factory.mktemp("two-nodes")
    store = build_embedded(directory(), tmp)
    url = pg_server.create()
    adb = AvailabilityDB(url=url)
    # Each node has its own directory file (as each machine would) and the shared database.
    env = {"STORE_PATH": store.path, "AVAILABILITY_URL": url, "LOG_LEVEL": "WARNING",
           "AVAILABILITY_PATH": os.devnull, "RATE_LIMIT_WRITE": "100000 per minute"}
    with Gunicorn(env) as one, Gunicorn(env) as two:
        yield (one.url, two.url), adb
    adb.close()
    store.close()
    pg_server.drop(url)


def _etag(base, facility_id):
    return requests.get(f"{base}/v1/facilities/{facility_id}/beds", timeout=10).headers["ETag"]


def _put(base, key, facility_id, available, etag):
    row = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
           "available": available}
    return requests.put(f"{base}/v1/facilities/{facility_id}/beds", json={"rows": [row]},
                        headers={**key, "If-Match": etag}, timeout=10)


def test_fifty_coaches_on_two_nodes_one_last_bed_every_round(nodes):
    bases, adb = nodes
    facility = _bearer(adb, "facility", "test:a")
    coaches = [_bearer(adb, "coach") for _ in range(COACHES)]
    body = {"level_of_care": "3.7-WM", "population": "adult_men"}
    for round_ in range(ROUNDS):
        put = _put(bases[round_ % 2], facility, "test:a", 1, _etag(bases[0], "test:a"))
        assert put.status_code == 200, put.text
        answers = _all_at_once(COACHES, lambda i: requests.post(
            f"{bases[i % 2]}/v1/facilities/test:a/holds", json=body, headers=coaches[i],
            timeout=30))
        codes = sorted(r.status_code for r in answers)
        assert codes == [201] + [409] * (COACHES - 1), f"round {round_}: {codes}"
        for base in bases:
            beds = requests.get(f"{base}/v1/facilities/test:a/beds", timeout=10).json()
            assert beds["figures"]["3.7-WM"]["open"] == 0
        winner = next(i for i, r in enumerate(answers) if r.status_code == 201)
        hold_id = answers[winner].json()["id"]
        # Cancelled through the other node: the next round starts from one free bed again.
        gone = requests.delete(f"{bases[(winner + 1) % 2]}/v1/holds/{hold_id}",
                               headers=coaches[winner], timeout=10)
        assert gone.status_code == 200, gone.text


def test_if_match_across_nodes(nodes):
    (one, two), adb = nodes
    key = _bearer(adb, "facility", "test:c")
    seen = _etag(one, "test:c")
    assert _put(two, key, "test:c", 2, seen).status_code == 200
    stale = _put(one, key, "test:c", 1, seen)
    assert stale.status_code == 412
    assert _etag(one, "test:c") == _etag(two, "test:c") != seen


def test_concurrent_reports_on_two_nodes_lose_nothing(nodes):
    bases, adb = nodes
    key = _bearer(adb, "facility", "test:b")
    writers, writes_each = 8, 5

    def writer(i):
        done = 0
        for attempt in range(200):
            if done == writes_each:
                break
            base = bases[(i + attempt) % 2]
            put = _put(base, key, "test:b", (i + attempt) % 10, _etag(bases[attempt % 2],
                                                                      "test:b"))
            assert put.status_code in (200, 412), put.text
            done += put.status_code == 200
        return done

    successes = sum(_all_at_once(writers, writer))
    assert successes == writers * writes_each
    for base in bases:
        assert requests.get(f"{base}/v1/facilities/test:b/beds", timeout=5).json()[
            "version"] == successes
    _, entries = reports.history(adb, "test:b", 1, 1000)
    assert [e["version"] for e in entries if e["event"] == "report"] == \
        list(range(successes, 0, -1))
    # One outbox row per committed report, none for a refused one.
    count = select(func.count()).select_from(outbox).where(outbox.c.facility_id == "test:b")
    assert adb.read().execute(count).scalar() == successes

"""The cap on active holds per coach key holds under a race on a real gunicorn with four
workers: one key firing twelve holds at once gets exactly HOLD_MAX_ACTIVE_PER_KEY."""
import pytest

import os

from directory_service.config import Settings
from tests.test_live_gunicorn import _all_at_once, _bearer, live_server

requests = pytest.importorskip("requests")
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path, availability_backend):
    """gunicorn on this test's backend (AVAILABILITY_URL set by availability_backend)."""
    with live_server(tmp_path, os.environ.get("AVAILABILITY_URL") or None) as running:
        yield running


def test_one_key_racing_for_many_beds_gets_the_cap(server):
    base, adb = server
    facility = _bearer(adb, "facility", "test:d")
    seen = requests.get(f"{base}/v1/facilities/test:d/beds", timeout=10)
    put = requests.put(f"{base}/v1/facilities/test:d/beds", timeout=10,
                       headers={**facility, "If-Match": seen.headers["ETag"]},
                       json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                                       "capacity": 20, "available": 20}]})
    assert put.status_code == 200, put.text
    coach = _bearer(adb, "coach")
    body = {"level_of_care": "3.7-WM", "population": "adult_men"}
    answers = _all_at_once(12, lambda i: requests.post(
        f"{base}/v1/facilities/test:d/holds", json=body, headers=coach, timeout=30))
    cap = Settings().hold_max_active_per_key
    assert sorted(r.status_code for r in answers) == [201] * cap + [429] * (12 - cap)
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) > 0
    mine = requests.get(f"{base}/v1/holds", headers=coach, timeout=10).json()
    assert mine["total"] == cap

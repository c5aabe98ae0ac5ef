"""The search ETag's deadlines come from where they can be (http_cache.search_deadlines),
not from a walk over every value of the answer: both must find the same moments, in full
and compact answers, with indexed and live bed rows, holds, hours and meetings."""
import pytest

from directory_service.api import http_cache
from tests import factories
from tests.test_live_support import NAPERVILLE, bearer, directory, make_app, report, row

AT = f"lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}&radius=20"
SEARCHES = [
    "",
    "&kind=treatment_facility&level_of_care=3.7-WM",
    "&kind=treatment_facility&level_of_care=3.5&gender=women&age=30",
    "&kind=treatment_facility&has_open_beds=true",
    "&kind=meeting",
    "&kind=naloxone_site&open_now=true",
    "&per_page=3&page=2",
]
HOURS = {"open_24_7": False, "intervals": [{"day": d, "open": "09:00", "close": "17:00"}
                                           for d in range(1, 6)]}


@pytest.fixture
def app(tmp_path):
    records = directory() + [
        factories.facility("g", km=2, hours=HOURS, levels_of_care=["3.5", "3.7-WM"], beds=[
            row(available=1, hours_old=5), row(population="adolescents", available=2,
                                                hours_old=40),
            row(level="3.5", available=None)]),
        factories.meeting("m1", km=1, day=1, time="19:00", end_time="20:00"),
        factories.site("n1", km=1, hours=HOURS),
        factories.site("n2", km=2),
    ]
    app = make_app(tmp_path, records)
    client = app.test_client()
    # A live report over indexed rows, so live bed rows are in the answers too.
    admin = bearer(app, "admin")
    assert report(client, admin, "test:b", [row(available=5, hours_old=0)]).status_code == 200
    yield app
    app.extensions["store"].close()


@pytest.mark.parametrize("view", ["full", "compact"])
@pytest.mark.parametrize("extra", SEARCHES)
def test_the_targeted_deadlines_equal_the_walk_over_the_whole_answer(app, view, extra):
    settings = app.config["SETTINGS"]
    body = app.test_client().get(f"/v1/search?{AT}{extra}&view={view}").get_json()
    assert body["results"]
    walked = sorted(http_cache._answer_deadlines(body, settings))
    assert sorted(http_cache.search_deadlines(body, settings)) == walked


def test_these_answers_have_every_kind_of_deadline(app):
    """The comparison above is not vacuous: bed labels in records and figures, and
    opening-hours changes in compact hits, all give moments."""
    settings = app.config["SETTINGS"]
    client = app.test_client()
    full = client.get(f"/v1/search?{AT}").get_json()
    compact = client.get(f"/v1/search?{AT}&view=compact").get_json()
    record_rows = [r for h in full["results"] for r in h["record"].get("beds", ())
                   if r.get("reported_at")]
    figures = [h["beds_open"] for h in full["results"] if (h["beds_open"] or {}).get("reported_at")]
    changes = [h["changes_at"] for h in compact["results"] if h.get("changes_at")]
    assert record_rows and figures and changes
    assert len(http_cache.search_deadlines(full, settings)) == 2 * (len(record_rows) + len(figures))
    assert len(http_cache.search_deadlines(compact, settings)) > len(changes)

""""Something wrong?" on the public page and the administrators' queue, through the Flask
test client: the form works without a session or cookie, refuses personal data and
cross-site posts by name, and its reports reach /staff/reports and the facility's page.
(tests/browser/test_public_reports.py drives the same with JavaScript on and off.)"""
import pytest

from directory_service.availability import public_reports
from tests.staff_client import make_key, page_token, sign_in
from tests.test_live_support import make_app


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.extensions["store"].close()


def _queue(app):
    return public_reports.listing(app.extensions["availability"])[1]


def test_the_record_page_offers_the_form_and_sets_no_cookie(app):
    client = app.test_client()
    page = client.get("/r/test:b")
    html = page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers
    assert 'action="/r/test:b/report"' in html and "Something wrong?" in html
    assert "may be out of date" not in html
    assert "Something wrong?" not in client.get("/r/test:b/print").get_data(as_text=True)


def test_a_report_from_the_form_is_stored_and_the_record_says_call_first(app):
    client = app.test_client()
    sent = client.post("/r/test:b/report", data={"reason": "hours", "detail": "shut at 5",
                                                 "website": ""},
                       headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert sent.status_code == 303 and "Set-Cookie" not in sent.headers
    thanks = client.get(sent.headers["Location"])
    assert "Thank you" in thanks.get_data(as_text=True)
    (report,) = _queue(app)
    assert (report["record_id"], report["reason"], report["detail"]) == (
        "test:b", "hours", "shut at 5")
    assert "may be out of date" in client.get("/r/test:b").get_data(as_text=True)
    cards = client.get("/", query_string={"near": "Naperville, IL"}).get_data(as_text=True)
    assert "May be out of date — call first." in cards


@pytest.mark.parametrize("data, field_words", [
    ({"reason": "other", "detail": "I am John, DOB 01/02/1990"}, "leave out names"),
    ({"detail": "wrong"}, "Choose what is wrong."),
    ({"reason": "gone"}, "Choose what is wrong."),
    ({"reason": "phone", "email": "x"}, "The form was changed."),
])
def test_bad_forms_answer_422_with_the_fields_words_and_store_nothing(app, data, field_words):
    response = app.test_client().post("/r/test:b/report", data=data)
    assert response.status_code == 422
    assert field_words in response.get_data(as_text=True)
    assert _queue(app) == []


def test_spanish_form_errors_are_spanish(app):
    response = app.test_client().post("/r/test:b/report?lang=es", data={"detail": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Elija qué está mal." in html


def test_cross_site_posts_are_refused_and_honeypot_bots_are_thanked_but_not_stored(app):
    client = app.test_client()
    assert client.post("/r/test:b/report", data={"reason": "closed"},
                       headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/r/test:b/report", data={"reason": "closed"},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    bot = client.post("/r/test:b/report", data={"reason": "closed", "website": "buy pills"})
    assert bot.status_code == 303
    assert _queue(app) == []


def test_the_admin_confirms_from_the_queue_and_a_closed_record_leaves_search(app):
    client = app.test_client()
    client.post("/r/test:b/report", data={"reason": "closed"})
    sign_in(client, make_key(app, "admin"))
    assert "Reports from the public (1 new)" in client.get("/staff/admin").get_data(as_text=True)
    html, token = page_token(client, "/staff/reports")
    (report,) = _queue(app)
    assert f'id="report-{report["id"]}"' in html and "It has closed" in html
    done = client.post(f"/staff/reports/{report['id']}/confirm", data={"csrf_token": token},
                       follow_redirects=True)
    assert "Report confirmed." in done.get_data(as_text=True)
    public = app.test_client()
    found = public.get("/v1/search", query_string={"lat": 41.7508, "lon": -88.1535})
    assert "test:b" not in {h["id"] for h in found.get_json()["results"]}
    assert "Reported closed." in public.get("/r/test:b").get_data(as_text=True)
    # Reopened from the same queue: back in search.
    html, token = page_token(client, "/staff/reports")
    assert "Reopened" in html
    client.post(f"/staff/reports/{report['id']}/resolve", data={"csrf_token": token})
    found = public.get("/v1/search", query_string={"lat": 41.7508, "lon": -88.1535})
    assert "test:b" in {h["id"] for h in found.get_json()["results"]}
    assert "Details checked on" in public.get("/r/test:b").get_data(as_text=True)


def test_queue_posts_need_the_csrf_token_and_an_admin(app):
    client = app.test_client()
    report = public_reports.create(app.extensions["availability"], "test:b", "phone")
    sign_in(client, make_key(app, "admin"))
    assert client.post(f"/staff/reports/{report['id']}/confirm").status_code == 400
    other = app.test_client()
    sign_in(other, make_key(app, "facility", "test:b"))
    assert other.get("/staff/reports").status_code == 403


def test_a_facility_page_shows_its_own_reports_only(app):
    adb = app.extensions["availability"]
    public_reports.create(adb, "test:b", "phone", "rings out")
    public_reports.create(adb, "test:a", "hours", "closes at five")
    client = app.test_client()
    sign_in(client, make_key(app, "facility", "test:b"))
    html = client.get("/staff/facilities/test:b").get_data(as_text=True)
    assert "Reports from the public" in html and "rings out" in html
    assert "closes at five" not in html


def test_too_many_reports_from_one_place_get_a_page_saying_so(tmp_path):
    from directory_service import create_app
    from directory_service.config import Settings
    from tests.stores import build_embedded
    from tests.test_live_support import directory

    settings = Settings.from_env(store_path=build_embedded(directory(), tmp_path).path,
                                 availability_path=str(tmp_path / "availability.sqlite"),
                                 rate_limit_public_reports="1 per hour")
    app = create_app(settings)
    client = app.test_client()
    assert client.post("/r/test:b/report", data={"reason": "phone"}).status_code == 303
    # The API and the page share one budget per client.
    assert client.post("/v1/resources/test:b/reports", json={"reason": "phone"}).status_code == 429
    refused = client.post("/r/test:b/report?lang=es", data={"reason": "phone"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Demasiados avisos desde aquí" in refused.get_data(as_text=True)
    assert len(public_reports.listing(app.extensions["availability"])[1]) == 1
    app.extensions["store"].close()

"""Staff sessions, CSRF and roles (issue 14): the cookie, its timeouts, and who sees what."""
import base64
import json
import time

import pytest

from tests.staff_client import make_key, page_token, sign_in


@pytest.fixture
def facility_key(app):
    return make_key(app, "facility", "seed:fac-001")


def _cookie(response):
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("staff_session=")]
    assert headers, "no session cookie was set"
    return headers[-1]


def _payload(cookie_header):
    """The session cookie's readable part (Flask signs it; it is not encrypted)."""
    value = cookie_header.split(";")[0].split("=", 1)[1]
    body = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if value.startswith("."):
        import zlib
        raw = zlib.decompress(raw)
    return json.loads(raw)


def test_public_pages_set_no_cookie_even_after_a_staff_sign_in(client, app, facility_key):
    for path in ("/", "/?near=60540&start=detox_now", "/r/seed:fac-001", "/?lang=es"):
        assert "Set-Cookie" not in client.get(path).headers, path
    sign_in(client, facility_key)
    response = client.get("/?near=60540&start=detox_now")
    assert "Set-Cookie" not in response.headers
    assert "Staff sign in" in response.get_data(as_text=True)


def test_no_cookie_until_sign_in_succeeds(client, facility_key):
    for response in (client.get("/staff/sign-in"), client.get("/staff/sign-in?lang=es"),
                     client.get("/staff/admin"),  # 401 with the sign-in form
                     client.post("/staff/sign-in", data={"key": facility_key + "x"})):
        assert response.status_code in (200, 401)
        assert "Set-Cookie" not in response.headers
        assert 'name="csrf_token"' not in response.get_data(as_text=True)
    assert "Set-Cookie" in sign_in(client, facility_key).headers


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"}, {"Origin": "null"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "cross-site"}, {"Referer": "https://evil.example/page"}])
def test_sign_in_from_another_site_is_refused_without_a_cookie(client, facility_key, headers):
    response = client.post("/staff/sign-in", data={"key": facility_key}, headers=headers)
    assert response.status_code == 400 and "could not be accepted" in response.get_data(
        as_text=True)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("headers", [
    {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"},
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    {"Referer": "http://localhost/staff/sign-in"}])
def test_sign_in_from_this_site_is_accepted(client, facility_key, headers):
    response = client.post("/staff/sign-in", data={"key": facility_key}, headers=headers)
    assert response.status_code == 303 and "Set-Cookie" in response.headers


def test_session_cookie_flags_and_it_never_holds_the_key(client, facility_key):
    response = sign_in(client, facility_key)
    assert response.status_code == 303 and response.headers["Location"] == "/staff/facility"
    cookie = _cookie(response)
    flags = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/staff" in flags
    assert "Secure" not in flags  # plain HTTP in this test
    key_id, secret = facility_key.split(".", 1)
    data = _payload(cookie)
    assert set(data["staff"]) == {"s"}  # only the server-side session's random token
    assert key_id not in json.dumps(data)
    assert secret not in cookie and secret not in json.dumps(data)


def test_cookie_is_secure_over_https(app, facility_key):
    client = app.test_client()
    client.get("/staff/sign-in", base_url="https://localhost")
    response = client.post("/staff/sign-in", base_url="https://localhost",
                           headers={"Referer": "https://localhost/staff/sign-in"},
                           data={"key": facility_key})
    assert response.status_code == 303
    assert "Secure" in [p.strip() for p in _cookie(response).split(";")]


def test_a_wrong_key_is_401_with_the_form_in_the_visitors_language(client, facility_key):
    response = client.post("/staff/sign-in?lang=es", data={"key": facility_key + "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert '<html lang="es">' in html and 'name="key"' in html and 'aria-invalid="true"' in html


def test_anonymous_staff_page_is_401_sign_in_then_returns_there(client, app):
    response = client.get("/staff/admin")
    assert response.status_code == 401 and 'value="/staff/admin"' in response.get_data(as_text=True)
    key = make_key(app, "admin")
    done = client.post("/staff/sign-in", data={"key": key, "next": "/staff/admin"})
    assert done.headers["Location"] == "/staff/admin"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff/",
                                    "/staff//evil.example", "/\\evil.example"])
def test_next_never_leaves_the_staff_pages(client, facility_key, target):
    done = client.post("/staff/sign-in", data={"key": facility_key, "next": target})
    assert done.headers["Location"] == "/staff/facility"


def test_idle_session_returns_to_sign_in(client, app, facility_key):
    clock = [time.time()]
    app.config["STAFF_CLOCK"] = lambda: clock[0]
    sign_in(client, facility_key)
    assert client.get("/staff/facilities/seed:fac-001").status_code == 200
    clock[0] += app.config["STAFF_IDLE_SECONDS"] - 5   # still active: the clock restarts
    assert client.get("/staff/facilities/seed:fac-001").status_code == 200
    clock[0] += app.config["STAFF_IDLE_SECONDS"] - 5
    assert client.get("/staff/facilities/seed:fac-001").status_code == 200
    clock[0] += app.config["STAFF_IDLE_SECONDS"] + 1
    response = client.get("/staff/facilities/seed:fac-001")
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and "idle too long" in html and 'name="key"' in html
    # The session is gone, not just refused once.
    clock[0] += 1
    assert "idle too long" not in client.get("/staff/facility").get_data(as_text=True)


def test_a_session_ends_after_its_maximum_age_however_busy(client, app, facility_key):
    clock = [time.time()]
    app.config["STAFF_CLOCK"] = lambda: clock[0]
    sign_in(client, facility_key)
    step = app.config["STAFF_IDLE_SECONDS"] - 1
    for _ in range(int(app.config["STAFF_MAX_SECONDS"] // step)):
        clock[0] += step
        assert client.get("/staff/facility").status_code in (303, 401)
    clock[0] += step
    assert client.get("/staff/facilities/seed:fac-001").status_code == 401


def test_a_revoked_key_ends_its_session_at_once(client, app):
    from directory_service.availability import keys

    key = make_key(app, "coach")
    sign_in(client, key)
    assert client.get("/staff/coach").status_code == 200
    keys.revoke(app.extensions["availability"], key.split(".")[0])
    response = client.get("/staff/coach")
    assert response.status_code == 401 and "revoked" in response.get_data(as_text=True)


def test_sign_out_ends_the_session(client, facility_key):
    sign_in(client, facility_key)
    _html, csrf = page_token(client, "/staff/facilities/seed:fac-001")
    response = client.post("/staff/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 303 and "signed_out=1" in response.headers["Location"]
    assert client.get("/staff/facilities/seed:fac-001").status_code == 401


def _report(client, csrf, version, **fields):
    data = {"csrf_token": csrf, "version": version, "level_of_care": "3.7-WM",
            "population": "adult_men", "capacity": "12", "available": "2", "status": "open",
            "action": "save", **fields}
    if csrf is None:
        data.pop("csrf_token")
    return client.post("/staff/facilities/seed:fac-001/rows", data=data)


def _version(client):
    return client.get("/v1/facilities/seed:fac-001/beds").get_json()["version"]


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, facility_key, csrf):
    sign_in(client, facility_key)
    response = _report(client, csrf, _version(client))
    assert response.status_code == 400
    assert "could not be accepted" in response.get_data(as_text=True)
    assert _version(client) == 0


def test_a_token_from_another_session_is_refused(app, facility_key):
    first, second = app.test_client(), app.test_client()
    sign_in(first, facility_key)
    sign_in(second, facility_key)
    _html, theirs = page_token(first, "/staff/facilities/seed:fac-001")
    assert _report(second, theirs, 0).status_code == 400
    _html, mine = page_token(second, "/staff/facilities/seed:fac-001")
    assert _report(second, mine, 0).status_code == 303


def test_csrf_refusal_page_speaks_spanish(client, facility_key):
    sign_in(client, facility_key)
    response = client.post("/staff/facilities/seed:fac-001/rows?lang=es", data={"version": 0})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and '<html lang="es">' in html
    assert "could not be accepted" not in html


def test_the_api_is_not_held_to_csrf(client, app):
    key = make_key(app, "coach")
    response = client.post("/v1/facilities/seed:fac-001/holds",
                           headers={"Authorization": f"Bearer {key}"},
                           json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert response.status_code == 201


ROLE_PAGES = {
    # role: {path: status}
    "facility": {"/staff/facilities/seed:fac-001": 200, "/staff/facilities/seed:fac-002": 403,
                 "/staff/coach": 403, "/staff/admin": 403},
    "coach": {"/staff/facilities/seed:fac-001": 403, "/staff/coach": 200,
              "/staff/admin": 403},
    "admin": {"/staff/facilities/seed:fac-001": 200, "/staff/facilities/seed:fac-002": 200,
              "/staff/facilities/seed:nope": 404, "/staff/coach": 200, "/staff/admin": 200},
}


@pytest.mark.parametrize("role", ROLE_PAGES)
def test_each_role_sees_its_pages_only(app, role):
    client = app.test_client()
    sign_in(client, make_key(app, role, "seed:fac-001" if role == "facility" else None))
    for path, status in ROLE_PAGES[role].items():
        response = client.get(path, headers={"Accept-Language": "es"})
        assert response.status_code == status, (role, path)
        if status in (403, 404):
            assert '<html lang="es">' in response.get_data(as_text=True)


def test_a_facility_key_cannot_act_on_another_facilitys_rows_or_holds(app):
    owner, other = app.test_client(), app.test_client()
    sign_in(other, make_key(app, "facility", "seed:fac-002"))
    coach = make_key(app, "coach")
    hold = app.test_client().post(
        "/v1/facilities/seed:fac-001/holds", headers={"Authorization": f"Bearer {coach}"},
        json={"level_of_care": "3.7-WM", "population": "adult_men"}).get_json()
    _html, csrf = page_token(other, "/staff/facilities/seed:fac-002")
    assert _report(other, csrf, _version(owner)).status_code == 403
    response = other.post(f"/staff/holds/{hold['id']}/confirm", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert owner.get(f"/v1/holds/{hold['id']}",
                     headers={"Authorization": f"Bearer {coach}"}).get_json()["state"] == "active"


def test_a_coach_cannot_decide_and_a_facility_cannot_cancel(app):
    coach_client, facility_client = app.test_client(), app.test_client()
    coach_key = make_key(app, "coach")
    sign_in(coach_client, coach_key)
    sign_in(facility_client, make_key(app, "facility", "seed:fac-001"))
    hold = coach_client.post(
        "/v1/facilities/seed:fac-001/holds", headers={"Authorization": f"Bearer {coach_key}"},
        json={"level_of_care": "3.7-WM", "population": "adult_men"}).get_json()
    _html, coach_csrf = page_token(coach_client, "/staff/coach")
    _html, facility_csrf = page_token(facility_client, "/staff/facilities/seed:fac-001")
    assert coach_client.post(f"/staff/holds/{hold['id']}/confirm",
                             data={"csrf_token": coach_csrf}).status_code == 403
    assert facility_client.post(f"/staff/holds/{hold['id']}/cancel",
                                data={"csrf_token": facility_csrf}).status_code == 403
    assert facility_client.post(f"/staff/holds/{hold['id']}/explode",
                                data={"csrf_token": facility_csrf}).status_code == 404


def test_staff_pages_are_never_stored_and_keep_the_page_headers(client, facility_key):
    sign_in(client, facility_key)
    response = client.get("/staff/facilities/seed:fac-001")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/").headers["Referrer-Policy"] == "no-referrer"


def test_session_secret_is_shared_through_a_file_beside_the_database(seed_app_factory, tmp_path):
    first = seed_app_factory()
    second = seed_app_factory()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64
    secret_file = tmp_path / "staff-session.secret"
    assert secret_file.exists() and oct(secret_file.stat().st_mode)[-3:] == "600"
    for app in (first, second):
        app.extensions["store"].close()


def test_session_secret_setting_wins(seed_app_factory):
    app = seed_app_factory(session_secret="s" * 64)
    assert app.config["SECRET_KEY"] == "s" * 64
    app.extensions["store"].close()


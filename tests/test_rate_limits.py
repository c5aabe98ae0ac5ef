"""Rate limits per route class (Flask-Limiter): anonymous reads per client address,
writes per API key, failed authentication per client address. Each answers 429
application/problem+json with Retry-After, and no client address reaches a log.
"""
import logging

import pytest

from directory_service.availability import keys
from directory_service.config import ConfigError, Settings

PROBLEM = "application/problem+json"
ALICE, BOB = "203.0.113.77", "198.51.100.23"
ROW = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 38, "available": 2}


@pytest.fixture
def make_app(seed_app_factory):
    return seed_app_factory


def _from(address):
    return {"REMOTE_ADDR": address}


def _key(app, role, facility_id=None):
    return "Bearer " + keys.create(app.extensions["availability"], role, facility_id)[1]


def _assert_429(response):
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    body = response.get_json()
    assert body["status"] == 429 and "rate limit" in body["detail"]


def _assert_429_page(response):
    """The public page's URLs: the same limit, told as a page in the visitor's language."""
    assert response.status_code == 429
    assert response.content_type.startswith("text/html")
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert "Too many searches at once" in response.get_data(as_text=True)


def test_anonymous_searches_are_limited_per_client_address(make_app):
    client = make_app(rate_limit_read="5 per minute").test_client()
    for _ in range(5):
        assert client.get("/v1/search?near=60540", environ_base=_from(ALICE)).status_code == 200
    _assert_429(client.get("/v1/search?near=60540", environ_base=_from(ALICE)))
    # All reads share one budget: another route is refused too; another client is not.
    _assert_429(client.get("/v1/vocabularies", environ_base=_from(ALICE)))
    _assert_429(client.post("/v1/match", json={"near": "60540", "level_of_care": "3.7-WM"},
                            environ_base=_from(ALICE)))
    _assert_429_page(client.get("/", query_string={"near": "60540"}, environ_base=_from(ALICE)))
    assert client.get("/v1/search?near=60540", environ_base=_from(BOB)).status_code == 200
    # Scanning for URLs no route answers spends the same budget.
    _assert_429_page(client.get("/wp-login.php", environ_base=_from(ALICE)))
    _assert_429(client.delete("/v1/vocabularies", environ_base=_from(ALICE)))
    # Probes and our own static files are never limited.
    assert client.get("/healthz", environ_base=_from(ALICE)).status_code == 200
    assert client.get("/readyz", environ_base=_from(ALICE)).status_code == 200
    with client.get("/static/site.css", environ_base=_from(ALICE)) as css:
        assert css.status_code == 200


def test_unrouted_requests_count_as_reads(make_app):
    client = make_app(rate_limit_read="2 per minute").test_client()
    assert [client.get("/no/such/page", environ_base=_from(ALICE)).status_code
            for _ in range(2)] == [404, 404]
    _assert_429(client.get("/v1/vocabularies", environ_base=_from(ALICE)))


def test_writes_are_limited_per_key_not_per_address(make_app):
    app = make_app(rate_limit_write="3 per minute")
    client = app.test_client()
    first, second = _key(app, "facility", "seed:fac-001"), _key(app, "facility", "seed:fac-001")

    def put(key, address=ALICE):
        etag = client.get("/v1/facilities/seed:fac-001/beds", environ_base=_from(BOB)).headers["ETag"]
        return client.put("/v1/facilities/seed:fac-001/beds", json={"rows": [ROW]},
                          headers={"Authorization": key, "If-Match": etag},
                          environ_base=_from(address))

    assert [put(first).status_code for _ in range(3)] == [200, 200, 200]
    _assert_429(put(first))
    _assert_429(put(first, address=BOB))         # the key's budget, wherever it calls from
    assert put(second).status_code == 200       # another key has its own
    # Reads from the same address are not writes: they still answer.
    assert client.get("/v1/search?near=60540", environ_base=_from(ALICE)).status_code == 200


def test_a_write_refused_for_its_key_leaves_the_data_alone(make_app):
    app = make_app(rate_limit_write="1 per minute")
    client = app.test_client()
    admin = {"Authorization": _key(app, "admin")}
    coach = {"Authorization": _key(app, "coach")}
    beds = "/v1/facilities/seed:fac-005/beds"
    fresh = client.put(beds, json={"rows": [{**ROW, "available": 3}]},
                       headers={**admin, "If-Match": client.get(beds).headers["ETag"]})
    assert fresh.status_code == 200, fresh.get_data(as_text=True)
    hold = {"level_of_care": "3.7-WM", "population": "adult_men"}
    created = client.post("/v1/facilities/seed:fac-005/holds", json=hold, headers=coach)
    assert created.status_code == 201, created.get_data(as_text=True)
    _assert_429(client.post("/v1/facilities/seed:fac-005/holds", json=hold, headers=coach))
    active = client.get("/v1/facilities/seed:fac-005/holds", headers=admin).get_json()["holds"]
    assert [h["id"] for h in active] == [created.get_json()["id"]]


def test_failed_authentication_is_limited_per_client(make_app):
    app = make_app(rate_limit_auth_failures="3 per minute")
    client = app.test_client()
    good = _key(app, "facility", "seed:fac-001")
    wrong = {"Authorization": "Bearer k_000000000000.guessed"}
    for _ in range(3):
        response = client.put("/v1/facilities/seed:fac-001/beds", json={"rows": [ROW]},
                              headers=wrong, environ_base=_from(ALICE))
        assert response.status_code == 401
    _assert_429(client.put("/v1/facilities/seed:fac-001/beds", json={"rows": [ROW]},
                           headers=wrong, environ_base=_from(ALICE)))
    # Locked out: even a good key from that client waits; the key itself is not burned.
    _assert_429(client.get("/v1/facilities/seed:fac-001/beds/history",
                           headers={"Authorization": good}, environ_base=_from(ALICE)))
    assert client.get("/v1/facilities/seed:fac-001/beds/history", headers={"Authorization": good},
                      environ_base=_from(BOB)).status_code == 200
    # Anonymous reads from the locked-out client still answer.
    assert client.get("/v1/search?near=60540", environ_base=_from(ALICE)).status_code == 200


def test_successful_authentication_does_not_count_as_a_failure(make_app):
    app = make_app(rate_limit_auth_failures="2 per minute")
    client = app.test_client()
    good = {"Authorization": _key(app, "admin")}
    for _ in range(6):
        response = client.get("/v1/facilities/seed:fac-001/beds/history", headers=good)
        assert response.status_code == 200


def test_limits_are_off_when_disabled_or_empty(make_app):
    for overrides in ({"rate_limit_enabled": False, "rate_limit_read": "1 per minute"},
                      {"rate_limit_read": ""}):
        client = make_app(**overrides).test_client()
        assert [client.get("/v1/vocabularies").status_code for _ in range(4)] == [200] * 4


def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for(make_app):
    client = make_app(rate_limit_read="2 per minute", proxy_hops=1).test_client()
    proxy = _from("10.0.0.2")

    def get(forwarded):
        return client.get("/v1/vocabularies", environ_base=proxy,
                          headers={"X-Forwarded-For": forwarded})

    assert [get(ALICE).status_code for _ in range(2)] == [200, 200]
    _assert_429(get(ALICE))
    assert get(BOB).status_code == 200
    # A client cannot pose as another by prepending its own X-Forwarded-For: only the
    # address the trusted proxy appended counts.
    _assert_429(get(f"{BOB}, {ALICE}"))


def test_behind_a_tls_proxy_links_handed_out_say_https(make_app):
    # nginx (deploy/nginx.conf) terminates TLS and says so in X-Forwarded-Proto.
    behind = make_app(proxy_hops=1).test_client()
    page = behind.get("/r/seed:fac-001", environ_base=_from("10.0.0.2"),
                      headers={"X-Forwarded-For": ALICE, "X-Forwarded-Proto": "https"})
    html = page.get_data(as_text=True)
    assert "https://localhost/r/seed:fac-001" in html
    assert "http://localhost/r/" not in html
    # Without a trusted proxy the header is anyone's to send: ignored.
    direct = make_app().test_client()
    html = direct.get("/r/seed:fac-001", headers={"X-Forwarded-Proto": "https"}).get_data(
        as_text=True)
    assert "http://localhost/r/seed:fac-001" in html and "https://localhost/r/" not in html


def test_without_proxy_hops_x_forwarded_for_is_ignored(make_app):
    client = make_app(rate_limit_read="1 per minute").test_client()
    assert client.get("/v1/vocabularies", headers={"X-Forwarded-For": ALICE}).status_code == 200
    _assert_429(client.get("/v1/vocabularies", headers={"X-Forwarded-For": BOB}))


def test_no_client_address_or_key_reaches_a_log(make_app, caplog):
    app = make_app(rate_limit_read="1 per minute", rate_limit_auth_failures="1 per minute")
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    secret = "k_0123456789ab.not-a-real-secret"
    for _ in range(3):
        client.get("/v1/search?near=60540", environ_base=_from(ALICE))
        client.put("/v1/facilities/seed:fac-001/beds", json={"rows": [ROW]},
                   headers={"Authorization": f"Bearer {secret}"}, environ_base=_from(BOB))
    assert "exceeded" in caplog.text            # the breach is logged, by a hashed key
    for text in (ALICE, BOB, secret, "k_0123456789ab"):
        assert text not in caplog.text


def test_the_defaults_leave_room_for_people_and_are_documented():
    settings = Settings()
    assert settings.rate_limit_enabled
    assert (settings.rate_limit_read, settings.rate_limit_write,
            settings.rate_limit_auth_failures) == ("600 per minute", "60 per minute",
                                                   "10 per minute")
    assert settings.rate_limit_storage_uri == "memory://"


@pytest.mark.parametrize("overrides, message", [
    ({"rate_limit_read": "lots"}, "RATE_LIMIT_READ"),
    ({"rate_limit_write": "5 per fortnight"}, "RATE_LIMIT_WRITE"),
    ({"rate_limit_storage_uri": "redis://cache:6379"}, "RATE_LIMIT_KEY_SECRET"),
    ({"proxy_hops": -1}, "PROXY_HOPS"),
])
def test_bad_rate_limit_settings_stop_the_start(overrides, message):
    with pytest.raises(ConfigError, match=message):
        Settings(**overrides).check()


def test_rate_limit_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_READ", "100 per minute; 10 per second")
    monkeypatch.setenv("RATE_LIMIT_WRITE", "")
    monkeypatch.setenv("RATE_LIMIT_ENABLED", "false")
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URI", "redis://cache:6379")
    monkeypatch.setenv("RATE_LIMIT_KEY_SECRET", "s3cret")
    monkeypatch.setenv("PROXY_HOPS", "1")
    monkeypatch.setenv("MAX_BODY_BYTES", "65536")
    settings = Settings.from_env()
    assert settings.rate_limit_read == "100 per minute; 10 per second"
    assert settings.rate_limit_write == ""
    assert settings.rate_limit_enabled is False
    assert settings.rate_limit_storage_uri == "redis://cache:6379"
    assert (settings.proxy_hops, settings.max_body_bytes) == (1, 65536)
    monkeypatch.setenv("RATE_LIMIT_ENABLED", "maybe")
    with pytest.raises(ConfigError, match="RATE_LIMIT_ENABLED"):
        Settings.from_env()


def test_public_reports_have_their_own_limit_per_client(make_app):
    """"Something wrong?" reports: RATE_LIMIT_PUBLIC_REPORTS per client address, the API
    and the page's form sharing one budget, far below the read limit."""
    client = make_app(rate_limit_public_reports="2 per hour").test_client()
    report = {"reason": "phone"}
    for _ in range(2):
        sent = client.post("/v1/resources/seed:fac-001/reports", json=report,
                           environ_base=_from(ALICE))
        assert sent.status_code == 201, sent.get_json()
    refused = client.post("/v1/resources/seed:fac-001/reports", json=report,
                          environ_base=_from(ALICE))
    assert refused.status_code == 429 and refused.content_type == PROBLEM
    assert 1 <= int(refused.headers["Retry-After"]) <= 3601
    assert "rate limit" in refused.get_json()["detail"]
    # Reading goes on; another client may still report.
    assert client.get("/v1/resources/seed:fac-001", environ_base=_from(ALICE)).status_code == 200
    assert client.post("/v1/resources/seed:fac-001/reports", json=report,
                       environ_base=_from(BOB)).status_code == 201

"""Server-side staff sessions (issue 24, item 5) on both availability backends: sign-out,
revocation and expiry end a session for every copy of its cookie; failed sign-ins are
rate-limited per client address."""
import base64
import json
import time
import types

import pytest
from sqlalchemy import select

from directory_service.availability import keys, migrate, staff_sessions
from directory_service.availability.schema import staff_sessions as sessions_table
from tests.staff_client import make_key, page_token, sign_in

ALICE, BOB = "203.0.113.77", "198.51.100.23"
PAGE = "/staff/facilities/seed:fac-001"


@pytest.fixture
def staff_app(availability_backend, seed_app_factory):
    """The seed app on this test's backend (AVAILABILITY_URL is set before it is made)."""
    app = seed_app_factory()
    yield app
    app.extensions["availability"].close()
    app.extensions["store"].close()


def _copy(app, source):
    """A second browser holding a copy of `source`'s session cookie."""
    cookie = source.get_cookie("staff_session", path="/staff")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("staff_session", cookie.value, path="/staff")
    return thief


def _sessions(app, key):
    return staff_sessions.count_for_key(app.extensions["availability"], key.split(".")[0])


def test_a_copied_cookie_is_refused_once_its_owner_signs_out(staff_app):
    key = make_key(staff_app, "facility", "seed:fac-001")
    owner = staff_app.test_client()
    sign_in(owner, key)
    thief = _copy(staff_app, owner)
    assert thief.get(PAGE).status_code == 200  # a copy works while the session lives
    _html, csrf = page_token(owner, PAGE)
    assert owner.post("/staff/sign-out", data={"csrf_token": csrf}).status_code == 303
    response = thief.get(PAGE)
    assert response.status_code == 401 and 'name="key"' in response.get_data(as_text=True)
    assert thief.get("/staff/").status_code == 401
    assert _sessions(staff_app, key) == 0


def test_the_cookie_holds_neither_the_key_nor_its_id(staff_app):
    key = make_key(staff_app, "facility", "seed:fac-001")
    owner = staff_app.test_client()
    sign_in(owner, key)
    value = owner.get_cookie("staff_session", path="/staff").value
    body = value.split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    key_id, secret = key.split(".")
    assert key_id not in raw and secret not in raw
    # The database keeps only the token's hash: the cookie's token is not in it.
    token = json.loads(raw)["staff"]["s"]
    assert _sessions(staff_app, key) == 1
    with staff_app.extensions["availability"].read() as db:
        ids = db.execute(select(sessions_table.c.id)).scalars().all()
    assert token not in ids and len(ids) == 1


def test_signing_in_again_starts_a_new_session_not_the_old_one(staff_app):
    key = make_key(staff_app, "coach")
    first = staff_app.test_client()
    sign_in(first, key)
    before = first.get_cookie("staff_session", path="/staff").value
    sign_in(first, key)
    assert first.get_cookie("staff_session", path="/staff").value != before


def test_revoking_a_key_ends_every_session_it_has(staff_app):
    key = make_key(staff_app, "coach")
    other = make_key(staff_app, "coach")
    phone, desk, colleague = (staff_app.test_client() for _ in range(3))
    sign_in(phone, key)
    sign_in(desk, key)
    sign_in(colleague, other)
    thief = _copy(staff_app, phone)
    assert keys.revoke(staff_app.extensions["availability"], key.split(".")[0])
    for browser in (phone, desk):
        response = browser.get("/staff/coach")
        assert response.status_code == 401 and "revoked" in response.get_data(as_text=True)
    assert thief.get("/staff/coach").status_code == 401  # the phone's session, ended
    assert colleague.get("/staff/coach").status_code == 200
    assert _sessions(staff_app, key) == 0


def test_idle_and_too_old_sessions_end_server_side_for_every_copy(staff_app):
    clock = [time.time()]
    staff_app.config["STAFF_CLOCK"] = lambda: clock[0]
    idle = staff_app.config["STAFF_IDLE_SECONDS"]
    key = make_key(staff_app, "facility", "seed:fac-001")
    owner = staff_app.test_client()
    sign_in(owner, key)
    thief = _copy(staff_app, owner)
    # The owner's activity keeps the one session alive, for the copy too: one session.
    for _ in range(3):
        clock[0] += idle - 5
        assert owner.get(PAGE).status_code == 200
    assert thief.get(PAGE).status_code == 200
    clock[0] += idle + 1
    response = thief.get(PAGE)
    assert response.status_code == 401 and "idle too long" in response.get_data(as_text=True)
    assert _sessions(staff_app, key) == 0
    assert owner.get(PAGE).status_code == 401

    # However busy, a session ends after STAFF_SESSION_MAX_HOURS.
    sign_in(owner, key)
    step = idle - 1
    started = clock[0]
    while clock[0] + step - started <= staff_app.config["STAFF_MAX_SECONDS"]:
        clock[0] += step
        assert owner.get(PAGE).status_code == 200
    clock[0] += step
    response = owner.get(PAGE)
    assert response.status_code == 401 and _sessions(staff_app, key) == 0


def _last_seen(app):
    with app.extensions["availability"].read() as db:
        return db.execute(select(sessions_table.c.last_seen_at)).scalar_one()


def test_last_seen_is_written_at_most_once_a_minute(staff_app):
    clock = [1_800_000_000.0]  # 2027-01-15T08:00:00Z
    staff_app.config["STAFF_CLOCK"] = lambda: clock[0]
    owner = staff_app.test_client()
    sign_in(owner, make_key(staff_app, "coach"))
    assert _last_seen(staff_app) == "2027-01-15T08:00:00Z"
    clock[0] += 59
    assert owner.get("/staff/coach").status_code == 200
    assert _last_seen(staff_app) == "2027-01-15T08:00:00Z"  # a read, no write
    clock[0] += 1
    assert owner.get("/staff/coach").status_code == 200
    assert _last_seen(staff_app) == "2027-01-15T08:01:00Z"


def test_expired_sessions_are_pruned_when_someone_signs_in(staff_app):
    clock = [time.time()]
    staff_app.config["STAFF_CLOCK"] = lambda: clock[0]
    left, revoked, fresh = (make_key(staff_app, "coach") for _ in range(3))
    sign_in(staff_app.test_client(), left)
    sign_in(staff_app.test_client(), revoked)
    keys.revoke(staff_app.extensions["availability"], revoked.split(".")[0])
    assert _sessions(staff_app, left) == 1 and _sessions(staff_app, revoked) == 1
    clock[0] += staff_app.config["STAFF_IDLE_SECONDS"] + 1
    sign_in(staff_app.test_client(), fresh)
    assert (_sessions(staff_app, left), _sessions(staff_app, revoked),
            _sessions(staff_app, fresh)) == (0, 0, 1)


def test_sessions_are_copied_by_migrate_availability_and_counted(staff_app):
    sign_in(staff_app.test_client(), make_key(staff_app, "coach"))
    assert migrate.counts(staff_app.extensions["availability"])["staff_sessions"] == 1


# Failed sign-ins: RATE_LIMIT_AUTH_FAILURES per client address (default 10 per minute).

@pytest.fixture
def limiter_clock(monkeypatch):
    """The limiter's clock (limits' memory storage), moved forward by the test."""
    import limits.storage.memory as memory

    offset = [0.0]
    monkeypatch.setattr(memory, "time", types.SimpleNamespace(
        time=lambda: time.time() + offset[0]))
    return offset


def _try(client, key, address=ALICE, lang=None):
    return client.post("/staff/sign-in" + (f"?lang={lang}" if lang else ""),
                       data={"key": key}, environ_base={"REMOTE_ADDR": address})


def test_forty_wrong_keys_are_refused_after_the_tenth(staff_app, limiter_clock):
    assert staff_app.config["SETTINGS"].rate_limit_auth_failures == "10 per minute"
    key = make_key(staff_app, "facility", "seed:fac-001")
    client = staff_app.test_client()
    wrong = key[:-3] + "xyz"
    statuses = [_try(client, wrong).status_code for _ in range(40)]
    assert statuses == [401] * 10 + [429] * 30
    # Even the right key waits, told so in the visitor's language, with no cookie.
    refused = _try(client, key, lang="es")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61
    assert '<html lang="es">' in html and 'name="key"' in html
    assert "Too many failed sign-ins" not in html and "Set-Cookie" not in refused.headers
    english = _try(client, key)
    assert "Too many failed sign-ins from here. Please wait 1 minute" in english.get_data(
        as_text=True)
    # Another address is not held back, nor is the sign-in form itself or the public page.
    assert _try(client, key, address=BOB).status_code == 303
    assert client.get("/staff/sign-in", environ_base={"REMOTE_ADDR": ALICE}).status_code == 200
    # Once the window has passed, the right key signs in.
    limiter_clock[0] += 61
    done = _try(staff_app.test_client(), key)
    assert done.status_code == 303 and "Set-Cookie" in done.headers


def test_successful_sign_ins_do_not_count_and_api_failures_share_the_budget(
        staff_app, limiter_clock):
    key = make_key(staff_app, "coach")
    client = staff_app.test_client()
    for _ in range(15):
        assert _try(client, key).status_code == 303
    for _ in range(5):
        assert client.get("/v1/holds", headers={"Authorization": "Bearer k_x.y"},
                          environ_base={"REMOTE_ADDR": ALICE}).status_code == 401
    for _ in range(5):
        assert _try(client, "k_x.y").status_code == 401
    assert _try(client, key).status_code == 429


@pytest.mark.parametrize("old", [
    {"k": "k_0123456789ab", "since": 1.0e12, "seen": 1.0e12},  # a cookie from before 0005
    {"s": ["not", "a", "token"]}, {"s": ""}, {"s": "x" * 4000}, "staff"])
def test_a_cookie_from_before_or_with_a_strange_token_just_signs_in_again(staff_app, old):
    client = staff_app.test_client()
    with client.session_transaction() as session:
        session["staff"] = old
    response = client.get("/staff/coach")
    assert response.status_code == 401 and 'name="key"' in response.get_data(as_text=True)

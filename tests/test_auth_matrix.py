"""Every write endpoint × no key, a revoked key, the wrong role, another facility's key,
and the right key: only the owner passes (DESIGN §9)."""
from datetime import datetime, timezone

import pytest

from directory_service.availability import holds, keys, public_reports
from directory_service.watches import store as watch_store
from directory_service.webhooks import store as webhook_store
from tests.test_live_support import make_app

BEDS = {"rows": [{"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
                  "available": 2}]}
FEED = [{"facility_id": "test:b", "level_of_care": "3.7-WM", "population": "adult_men",
         "capacity": 10, "available": 2}]
HOLD = {"level_of_care": "3.7-WM", "population": "adult_men"}
WATCH = {"level_of_care": "3.7-WM", "lat": 41.7508, "lon": -88.1535, "hours": 2}
SUB = {"url": "https://93.184.215.14/hook", "events": ["beds.updated"]}
SUBS = "/v1/subscriptions"

# (name, method, path, body, roles that pass, who owns it: "facility" / "coach" / None)
ENDPOINTS = [
    ("put beds", "put", "/v1/facilities/test:b/beds", BEDS, ("facility", "admin"), "facility"),
    ("bed history", "get", "/v1/facilities/test:b/beds/history", None, ("facility", "admin"),
     "facility"),
    ("batch feed", "post", "/v1/availability", FEED, ("facility", "admin"), "facility"),
    ("create hold", "post", "/v1/facilities/test:b/holds", HOLD, ("coach", "admin"), None),
    ("my holds", "get", "/v1/holds", None, ("coach", "admin"), None),
    ("list holds", "get", "/v1/facilities/test:b/holds", None, ("facility", "admin"), "facility"),
    ("confirm", "post", "/v1/holds/{hold}/confirm", None, ("facility", "admin"), "facility"),
    ("decline", "post", "/v1/holds/{hold}/decline", None, ("facility", "admin"), "facility"),
    ("cancel", "post", "/v1/holds/{hold}/cancel", None, ("coach", "admin"), "coach"),
    ("delete", "delete", "/v1/holds/{hold}", None, ("coach", "admin"), "coach"),
    ("report queue", "get", "/v1/reports", None, ("admin", "facility"), None),
    ("one report", "get", "/v1/reports/{report}", None, ("facility", "admin"), "facility"),
    ("record reports", "get", "/v1/resources/test:b/reports", None, ("facility", "admin"),
     "facility"),
    ("confirm report", "post", "/v1/reports/{report}/confirm", None, ("admin",), None),
    ("dismiss report", "post", "/v1/reports/{report}/dismiss", None, ("admin",), None),
    ("resolve report", "post", "/v1/reports/{report}/resolve", None, ("admin",), None),
    ("create watch", "post", "/v1/watches", WATCH, ("coach", "admin"), None),
    ("my watches", "get", "/v1/watches", None, ("coach", "admin"), None),
    ("one watch", "get", "/v1/watches/{watch}", None, ("coach", "admin"), "coach"),
    ("cancel watch", "delete", "/v1/watches/{watch}", None, ("coach", "admin"), "coach"),
    ("outcomes", "get", "/v1/outcomes", None, ("admin",), None),
    ("outcomes csv", "get", "/v1/outcomes.csv", None, ("admin",), None),
    ("subscribe", "post", SUBS, SUB, ("admin",), None),
    ("subscriptions", "get", SUBS, None, ("admin",), None),
    ("subscription", "get", SUBS + "/{sub}", None, ("admin",), None),
    ("pause subscription", "patch", SUBS + "/{sub}", {"state": "paused"}, ("admin",), None),
    ("delete subscription", "delete", SUBS + "/{sub}", None, ("admin",), None),
    ("deliveries", "get", SUBS + "/{sub}/deliveries", None, ("admin",), None),
    ("redeliver", "post", SUBS + "/{sub}/deliveries/{delivery}/redeliver", None, ("admin",),
     None),
    ("all deliveries", "get", "/v1/deliveries", None, ("admin",), None),
    ("redeliver any", "post", "/v1/deliveries/{delivery}/redeliver", None, ("admin",), None),
]
# Another key's watch is not found at all (404), not refused: its id tells nothing.
OTHER_OWNER_STATUS = {"one watch": 404, "cancel watch": 404}
CASES = ("no key", "bad key", "revoked", "wrong role", "other owner", "right key")


@pytest.fixture
def world(tmp_path, availability_backend):
    app = make_app(tmp_path)
    adb = app.extensions["availability"]
    ids = {}
    for who, role, facility in (("admin", "admin", None), ("coach", "coach", None),
                                ("other_coach", "coach", None),
                                ("facility", "facility", "test:b"),
                                ("other_facility", "facility", "test:a"),
                                ("revoked", "admin", None)):
        ids[who] = keys.create(adb, role, facility)
    keys.revoke(adb, ids["revoked"][0])
    yield app, ids
    app.extensions["store"].close()


def _key_for(case, passing, owner, ids):
    if case == "no key":
        return None
    if case == "bad key":
        return ids["admin"][0] + ".not-the-secret"
    if case == "revoked":
        return ids["revoked"][1]
    if case == "wrong role":
        wrong = next(r for r in ("coach", "facility") if r not in passing)
        return ids[wrong][1]
    if case == "other owner":
        return ids[{"facility": "other_facility", "coach": "other_coach"}[owner]][1]
    return ids[owner or passing[0]][1]


# Every endpoint × every case, except "other owner" where nobody owns the endpoint
# (any coach may create a hold).
MATRIX = [pytest.param(case, *endpoint, id=f"{endpoint[0]}-{case}")
          for endpoint in ENDPOINTS for case in CASES
          if not (case == "other owner" and endpoint[5] is None)]


@pytest.mark.parametrize("case, name, method, path, body, passing, owner", MATRIX)
def test_only_the_owner_passes(world, case, name, method, path, body, passing, owner):
    app, ids = world
    record = app.extensions["store"].get("test:b")
    # A fresh hold by "coach" per call, so every case acts on an active hold.
    made = holds.create(app.extensions["availability"], "test:b", "3.7-WM", "adult_men",
                        ids["coach"][0], None, 30, record["beds"])
    key = _key_for(case, passing, owner, ids)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if method == "put":
        # A well-formed, current condition: only the key decides the outcome.
        headers["If-Match"] = client.get("/v1/facilities/test:b/beds").headers["ETag"]
    # And a fresh open public report about the facility, for the report endpoints.
    report = public_reports.create(app.extensions["availability"], "test:b", "phone")
    # And a fresh watch by "coach", for the watch endpoints, and a subscription with a
    # dead letter, for the webhook endpoints.
    watch = watch_store.create(app.extensions["availability"], ids["coach"][0],
                               {"level_of_care": "3.7-WM"}, None, 2, datetime.now(timezone.utc))
    sub, delivery = dead_letter(app)
    response = getattr(client, method)(path.format(hold=made["id"], report=report["id"],
                                                   watch=watch["id"], sub=sub,
                                                   delivery=delivery),
                                       json=body, headers=headers)
    expected = {"no key": 401, "bad key": 401, "revoked": 401, "wrong role": 403,
                "other owner": OTHER_OWNER_STATUS.get(name, 403)}.get(case)
    if expected:
        assert response.status_code == expected, response.get_json()
        assert response.mimetype == "application/problem+json"
        if expected == 401:
            assert response.headers["WWW-Authenticate"] == "Bearer"
    else:
        assert 200 <= response.status_code < 300, response.get_json()


def dead_letter(app):
    """(subscription id, id of a dead delivery of it), made directly in the database."""
    adb, now = app.extensions["availability"], datetime.now(timezone.utc)
    with adb.write() as db:
        sub = webhook_store.create_subscription(db, SUB["url"], SUB["events"], None, "test",
                                                0, now)
        delivery = webhook_store.add_delivery(db, "beds.updated", "{}", "lane", now,
                                              subscription_id=sub["id"], outbox_seq=1)
        webhook_store.record(db, delivery, now, "dead", 500, "HTTP 500")
    return sub["id"], delivery


def test_my_holds_lists_only_the_callers_own(world):
    app, ids = world
    adb, record = app.extensions["availability"], app.extensions["store"].get("test:b")
    mine = holds.create(adb, "test:b", "3.7-WM", "adult_men", ids["coach"][0], None, 30,
                        record["beds"])
    theirs = holds.create(adb, "test:b", "3.7-WM", "adult_men", ids["other_coach"][0], None,
                          30, record["beds"])
    client = app.test_client()
    for who, own, other in (("coach", mine, theirs), ("other_coach", theirs, mine)):
        listed = client.get("/v1/holds", headers={"Authorization": f"Bearer {ids[who][1]}"})
        assert listed.status_code == 200
        assert [h["id"] for h in listed.get_json()["holds"]] == [own["id"]]
        assert other["id"] not in listed.get_data(as_text=True)
    admin = client.get("/v1/holds", headers={"Authorization": f"Bearer {ids['admin'][1]}"})
    assert admin.get_json()["holds"] == []

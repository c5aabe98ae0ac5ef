"""The app the fuzzer calls, and the valid requests it mixes in.

The seed directory, a fresh availability database in a temp directory, keys made with the
real `flask keys create` command, and a few holds. A generator left alone meets mostly
422s and 404s (a random facility id, lat/lon *and* near, a level the facility does not
offer); `valid_variant` turns some of its cases into requests a real client would send,
so the fuzzer also reaches the code behind the validation: reports, holds, matches.
`reset` puts the live data back as it was after `build` before every case and scenario:
hypothesis replays a scenario to shrink it, and a replay that meets another database
(a bed already held, a coach at the hold cap) would take another path.
"""
import atexit
import random
import shutil
import sqlite3
import tempfile

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests.conftest import SEED

REQUESTS = []  # (method, path template, status, stateful) of every generated request
# Thousands of requests from one address would meet the rate limits (a documented 429)
# instead of the code behind them: the fuzzer tests the API, so the limits are off.
NO_RATE_LIMITS = ({"rate_limit_enabled": False}
                  if "rate_limit_enabled" in Settings.__dataclass_fields__ else {})
PLACES = ["60540", "Naperville, IL", "Elgin, IL", "60432"]
WATCH = {"near": "60540", "level_of_care": "detox", "hours": 2}
STATE = {}


def create_key(app, *args):
    result = app.test_cli_runner().invoke(args=["keys", "create", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def build():
    """(app, keys by role, known ids by path parameter name)."""
    base = tempfile.mkdtemp(prefix="fuzz-")
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    pipeline.run([SEED], SqliteIndexWriter(f"{base}/directory.sqlite"))
    app = create_app(Settings(store_path=f"{base}/directory.sqlite",
                              availability_path=f"{base}/availability.sqlite",
                              **NO_RATE_LIMITS))
    store = app.extensions["store"]
    facilities = {r["id"]: r for r in store.scan(("treatment_facility",))
                  if any((b.get("available") or 0) > 0 for b in r.get("beds") or ())}
    ids = sorted(facilities)[:4]
    keys = {"admin": create_key(app, "--role", "admin"),
            "coach": create_key(app, "--role", "coach"),
            "facility": create_key(app, "--role", "facility", "--facility", ids[0])}
    client = app.test_client()
    holds = []
    for facility_id in ids:
        response = client.post(f"/v1/facilities/{facility_id}/holds",
                               json=hold_body(facilities[facility_id]),
                               headers={"Authorization": f"Bearer {keys['coach']}"})
        if response.status_code == 201:
            holds.append(response.get_json()["id"])
    # A coach watch the admin key (the fuzzer's key for /v1/watches) owns.
    watch = client.post("/v1/watches", json=WATCH,
                        headers={"Authorization": f"Bearer {keys['admin']}"})
    assert watch.status_code == 201, watch.get_json()
    subscriptions, deliveries = partner_webhooks(app, client, keys["admin"])
    snapshot = sqlite3.connect(":memory:")
    sqlite3.connect(f"{base}/availability.sqlite").backup(snapshot)
    STATE.update(app=app, client=client, facilities=facilities, keys=keys, snapshot=snapshot,
                 availability=f"{base}/availability.sqlite")
    records = [r["id"] for r in store.scan()][::25]
    return app, keys, {"facility_id": ids, "hold_id": holds, "record_id": records,
                       "watch_id": [watch.get_json()["id"]],
                       "sub_id": subscriptions, "delivery_id": deliveries}


def partner_webhooks(app, client, admin_key):
    """A subscription (on a public literal address, never called) with one dead letter,
    so the webhook operations meet ids that exist."""
    from directory_service.webhooks import store

    made = client.post("/v1/subscriptions", headers={"Authorization": f"Bearer {admin_key}"},
                       json={"url": "https://93.184.215.14/hook", "events": ["beds.updated"]})
    assert made.status_code == 201, made.get_json()
    sub_id = made.get_json()["id"]
    adb = app.extensions["availability"]
    from directory_service.availability.db import utcnow
    with adb.write() as db:
        delivery_id = store.add_delivery(db, "beds.updated", "{}", f"{sub_id}|x", utcnow(),
                                         subscription_id=sub_id, outbox_seq=0)
        store.record(db, delivery_id, utcnow(), "dead", 500, "HTTP 500")
    return [sub_id], [delivery_id]


def reset():
    """The availability database as `build` left it. Every facility touched since is then
    marked changed with a sequence above any seen, so the search workers' live overlay
    (search/live_overlay.py) re-reads it instead of keeping figures the reset undid."""
    live = sqlite3.connect(STATE["availability"], timeout=10)
    try:
        touched = {f for (f,) in live.execute("SELECT facility_id FROM facility_changes")}
        top = live.execute("SELECT COALESCE(MAX(seq), 0) FROM facility_changes").fetchone()[0]
        STATE["snapshot"].backup(live)
        touched |= {f for (f,) in live.execute("SELECT facility_id FROM facility_changes")}
        live.executemany(
            "INSERT INTO facility_changes (facility_id, seq) VALUES (?, ?) "
            "ON CONFLICT (facility_id) DO UPDATE SET seq = excluded.seq",
            [(f, top + 1 + i) for i, f in enumerate(sorted(touched))])
        live.commit()
    finally:
        live.close()


def open_row(record):
    rows = [b for b in record.get("beds") or () if (b.get("available") or 0) > 0]
    return rows[0] if rows else record["beds"][0]


def hold_body(record):
    row = open_row(record)
    return {"level_of_care": row["level_of_care"], "population": row.get("population")
            or "adult_any", "expires_in_minutes": 30, "note": "arriving in 20 minutes"}


def report_rows(record, rng):
    row = open_row(record)
    capacity = row.get("capacity") or 10
    available = rng.randint(0, capacity)
    return [{"level_of_care": row["level_of_care"],
             "population": row.get("population") or "adult_any",
             "capacity": capacity, "available": available}]


def current_etag(facility_id):
    response = STATE["client"].get(f"/v1/facilities/{facility_id}/beds",
                                   headers={"Accept-Encoding": "identity"})
    return response.headers.get("ETag")


def valid_variant(case, seed):
    """Make `case` a request a real client would send (its operation's happy path)."""
    rng = random.Random(seed)
    path, method = case.operation.path, case.operation.method.lower()
    facilities = STATE["facilities"]
    facility_id = (case.path_parameters or {}).get("facility_id")
    if facility_id not in facilities:
        facility_id = rng.choice(sorted(facilities)[:4])
    record = facilities[facility_id]
    if path == "/v1/search":
        query = {k: v for k, v in (case.query or {}).items()
                 if k in ("kind", "radius", "unit", "page", "per_page", "q") and rng.random() < 0.3}
        query.pop("q", None) if rng.random() < 0.5 else None
        query.update({"near": rng.choice(PLACES)} if rng.random() < 0.5
                     else {"lat": 41.7508, "lon": -88.1535})
        case.query = query
    elif path == "/v1/match":
        body = {"near": rng.choice(PLACES), "level_of_care": rng.choice(["detox", "3.7-WM", "3.5"])}
        if rng.random() < 0.5:
            body.update(payer="medicaid", gender=rng.choice(["men", "women"]), age=30)
        case.body = body
    elif path == "/v1/watches" and method == "post":
        body = {"near": rng.choice(PLACES), "level_of_care": rng.choice(["detox", "3.7-WM"]),
                "hours": rng.randint(1, 24)}
        if rng.random() < 0.3:
            body["email"] = "coach@example.org"
        case.body = body
    elif path == "/v1/export":
        case.query = {k: v for k, v in (case.query or {}).items() if k in ("format", "kind")}
    elif path == "/v1/facilities/{facility_id}/beds" and method == "put":
        case.path_parameters = {"facility_id": facility_id}
        case.body = {"rows": report_rows(record, rng)}
        case.headers = {**(case.headers or {}), "If-Match": current_etag(facility_id)}
    elif path == "/v1/facilities/{facility_id}/holds" and method == "post":
        case.path_parameters = {"facility_id": facility_id}
        case.body = hold_body(record)
    elif path == "/v1/subscriptions" and method == "post":
        case.body = {"url": f"https://93.184.215.{rng.randint(1, 254)}/hook",
                     "events": rng.sample(["beds.updated", "hold.created", "hold.decided",
                                           "hold.expired", "record.changed"], 2)}
    elif path == "/v1/availability":
        case.body = [{"facility_id": facility_id, **row} for row in report_rows(record, rng)]
    return case

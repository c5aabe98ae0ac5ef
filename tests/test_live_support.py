"""Helpers for the live-availability tests (no tests of its own): a small directory built
from factory records, an app over it with its own availability file, and keys."""
from datetime import datetime, timedelta, timezone

from directory_service import create_app
from directory_service.availability import keys
from directory_service.config import Settings
from tests import factories
from tests.stores import build_embedded

NAPERVILLE = {"lat": 41.7508, "lon": -88.1535}


def hours_ago(hours):
    moment = datetime.now(timezone.utc) - timedelta(hours=hours)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def row(level="3.7-WM", population="adult_men", available=1, capacity=10, hours_old=1.0,
        status=None):
    if available is None:
        return {"level_of_care": level, "population": population, "capacity": capacity,
                "status": "unknown"}
    return {"level_of_care": level, "population": population, "capacity": capacity,
            "available": available, "status": status or ("open" if available else "full"),
            "reported_at": hours_ago(hours_old)}


def directory():
    """Six facilities near Naperville that differ in one way each."""
    fac = factories.facility
    return [
        fac("a", km=2, payment=["sliding_fee"], beds=[row(available=1),
                                                      row(population="adult_women", available=0)],
            phones={"intake": "(630) 555-0101"}, accepts_clients_on_moud=True),
        fac("b", km=1, payment=["medicaid"], beds=[row(available=3)]),
        fac("c", km=3, payment=["sliding_fee"], populations={"genders": "women"},
            beds=[row(population="adult_women", available=2)]),
        fac("d", km=4, payment=["free"], intake_24_7=True, phones={"main": "(630) 555-0104"},
            beds=[row(available=2, hours_old=30)]),
        fac("e", km=5, payment=["sliding_fee"], intake_24_7=True,
            phones={"intake": "(630) 555-0105"}, beds=[row(available=None)]),
        fac("f", km=1, levels_of_care=["3.5"], payment=["sliding_fee"],
            beds=[row(level="3.5", available=4)]),
    ]


def make_app(tmp_path, records=None, store_path=None):
    store_path = store_path or build_embedded(records or directory(), tmp_path).path
    settings = Settings.from_env(store_path=store_path,
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


def bearer(app, role, facility_id=None):
    _, key = keys.create(app.extensions["availability"], role, facility_id)
    return {"Authorization": f"Bearer {key}"}


def search_open(client, facility_id, level="3.7-WM"):
    """The open-bed figure search shows for one facility (None if not in the results)."""
    body = client.get(f"/v1/search?lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}&radius=20"
                      f"&kind=treatment_facility&level_of_care={level}&per_page=50").get_json()
    for hit in body["results"]:
        if hit["id"] == facility_id:
            return hit["beds_open"]
    return None


def etag(client, facility_id):
    """The facility's current bed version as GET …/beds gives it (for If-Match)."""
    return client.get(f"/v1/facilities/{facility_id}/beds").headers["ETag"]


def report(client, headers, facility_id, rows, **extra):
    """PUT bed rows made against the current version (If-Match from a fresh GET)."""
    headers = {"If-Match": etag(client, facility_id), **headers}
    return client.put(f"/v1/facilities/{facility_id}/beds", json={"rows": rows, **extra},
                      headers=headers)

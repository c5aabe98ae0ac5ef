"""Onboarding from the national list and verification over time (issue 22, items 2, 5).

An administrator invites every facility of a loaded source (one facility key each,
shown once); a facility has claimed its record once it signs in or saves its profile.
`verified_at` moves with a profile save, "Still accurate" and any caller of
`verification.mark_verified`; the onboarding page lists the least verified first, and the
HSDS export carries the date and the facility's own fields in the standard's places.
"""
import json
import os
import re
from datetime import datetime, timezone

import pytest

from directory_service.availability import keys, onboarding, verification
from tests.hsds_schema import problems
from tests.staff_client import VERSION, make_key, notices, page_token, sign_in
from tests.test_facility_profile import (  # noqa: F401 (fixture)
    FACILITY, OTHER, national, put_beds, put_profile,
)
from tests.test_live_support import bearer

ONBOARDING = "/staff/admin/onboarding"
PRINTED_KEY = re.compile(r'<code class="key">([^<]+)</code>')


def invite(client, source="samhsa"):
    html, csrf = page_token(client, ONBOARDING)
    return client.post("/staff/admin/onboarding/invite", data={"csrf_token": csrf,
                                                               "source": source})


def test_an_admin_invites_a_source_and_sees_who_claimed(national):
    app, client, _, _ = national
    adb = app.extensions["availability"]
    sign_in(client, make_key(app, "admin"))
    answer = invite(client)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Prairie Path Recovery" in html and "Fox Valley Clinic" in html
    shown = PRINTED_KEY.findall(html)
    assert len(shown) == 2
    by_facility = {keys.verify(adb, key).facility_id: key for key in shown}
    assert set(by_facility) == {FACILITY, OTHER}
    # Keys are kept hashed: the page's list is the only copy.
    assert not any(key in json.dumps(keys.list_keys(adb)) for key in shown)
    # A second invitation makes no new key for facilities already invited.
    again = invite(client).get_data(as_text=True)
    assert '<code class="key">' not in again and "invited before" in again

    facility_client = app.test_client()
    sign_in(facility_client, by_facility[OTHER])
    key = {"Authorization": f"Bearer {by_facility[FACILITY]}"}
    assert put_profile(app.test_client(), key, {"fields": {
        "levels_of_care": ["3.5"], "beds": [{"level_of_care": "3.5", "capacity": 9}]}}
    ).status_code == 200
    state = {i["facility_id"]: i["claimed_how"] for i in onboarding.invitations(adb)}
    assert state == {FACILITY: "profile", OTHER: "sign_in"}
    page = client.get(ONBOARDING).get_data(as_text=True)
    assert "2 of 2 invited facilities have claimed their record" in page
    # What changed, for the admin: the facility, the field, before → after.
    changed = page[page.index('id="changes-title"'):page.index('id="conflicts-title"')]
    assert "Prairie Path Recovery" in changed
    assert "Levels of care — → Residential (3.5)" in changed
    # Claimed with declared levels: it reports beds like any other facility.
    assert put_beds(app.test_client(), key, [{"level_of_care": "3.5", "available": 1,
                                              "capacity": 9}]).status_code == 200


def test_unknown_source_is_refused_by_name(national):
    app, client, _, _ = national
    sign_in(client, make_key(app, "admin"))
    answer = invite(client, source="nope")
    assert answer.status_code == 422
    assert "Choose a source loaded in the directory." in answer.get_data(as_text=True)
    assert onboarding.invitations(app.extensions["availability"]) == []
    facility_client = app.test_client()
    sign_in(facility_client, make_key(app, "facility", FACILITY))
    assert facility_client.get(ONBOARDING).status_code == 403


def test_verified_at_moves_with_confirmations_and_the_least_verified_come_first(national):
    app, client, _, _ = national
    adb = app.extensions["availability"]
    record = client.get(f"/v1/resources/{FACILITY}").get_json()
    assert record["verified_at"] is None
    verification.mark_verified(adb, OTHER, "report", by="key:admin")
    other = client.get(f"/v1/resources/{OTHER}").get_json()
    assert other["verified_at"] and other["provenance"]["verified_at"]["how"] == "report"

    key = bearer(app, "facility", FACILITY)
    put_profile(client, key, {"fields": {"levels_of_care": ["3.5"], "beds": [
        {"level_of_care": "3.5", "capacity": 4}]}})
    put_beds(client, key, [{"level_of_care": "3.5", "available": 2, "capacity": 4}])
    saved = client.get(f"/v1/resources/{FACILITY}").get_json()["verified_at"]
    assert saved >= other["verified_at"]

    # "Still accurate" on the facility page is a confirmation: it verifies the record.
    staff = app.test_client()
    sign_in(staff, make_key(app, "facility", FACILITY))
    page, csrf = page_token(staff, f"/staff/facilities/{FACILITY}")
    verification.mark_verified(adb, FACILITY, "admin", now=_long_ago())
    assert client.get(f"/v1/resources/{FACILITY}").get_json()["verified_at"] == \
        "2020-01-01T00:00:00Z"
    staff.post(f"/staff/facilities/{FACILITY}/rows", data={
        "csrf_token": csrf, "version": VERSION.search(page).group(1), "level_of_care": "3.5",
        "population": "adult_any", "action": "confirm"})
    confirmed = client.get(f"/v1/resources/{FACILITY}").get_json()
    assert confirmed["verified_at"] > "2020-01-01T00:00:00Z"
    assert confirmed["provenance"]["verified_at"]["how"] == "confirmation"

    verification.mark_verified(adb, OTHER, "admin", now=_long_ago())
    admin = app.test_client()
    sign_in(admin, make_key(app, "admin"))
    html = admin.get(ONBOARDING).get_data(as_text=True)
    least = html[html.index('id="verified-title"'):]
    assert least.index("Fox Valley Clinic") < least.index("Prairie Path Recovery")
    assert notices(html) == []


def _long_ago():
    return datetime(2020, 1, 1, tzinfo=timezone.utc)


def test_the_hsds_export_carries_provenance_in_the_standards_places(national, shared_dir):
    app, client, _, _ = national
    key = bearer(app, "facility", FACILITY)
    put_profile(client, key, {"fields": {"phones": {"intake": "(630) 555-0199"},
                                         "walk_in": True}})
    out = json.loads(client.get("/v1/export?format=hsds").get_data(as_text=True))
    mine = next(o for o in out if o["location"]["external_identifier"] == FACILITY)
    service = mine["service"]
    record = client.get(f"/v1/resources/{FACILITY}").get_json()
    assert service["assured_date"] == record["verified_at"][:10]
    metadata = {m["field_name"]: m for m in service["metadata"]}
    assert set(metadata) == {"phones.intake", "walk_in"}
    assert metadata["phones.intake"]["previous_value"] == '"630-555-0111"'
    assert metadata["phones.intake"]["replacement_value"] == '"(630) 555-0199"'
    assert metadata["phones.intake"]["updated_by"] == "facility"
    other = next(o for o in out if o["location"]["external_identifier"] == OTHER)
    assert "metadata" not in other["service"] or other["service"]["metadata"] == []
    schemas = os.path.join(shared_dir, "reference", "hsds-3-schema")
    if not os.path.isdir(schemas):
        pytest.skip(f"{schemas} is absent: the HSDS 3.0 schemas are read from there")
    assert problems(schemas, out) == []

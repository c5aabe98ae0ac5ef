"""The admin key form in a directory of thousands of facilities: a facility is typed (part
of its name, town or id) and picked among the matches, never listed whole."""
import re

import pytest

from directory_service.availability import keys
from tests.staff_client import make_key, page_token, sign_in


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, make_key(app, "admin"))
    return client


def test_in_a_large_directory_a_facility_is_typed_then_picked_among_the_matches(
        admin, app, monkeypatch):
    from directory_service.web.staff import admin as admin_page

    # The seed's 40-odd facilities stand for a state's thousands: no list of every one.
    monkeypatch.setattr(admin_page, "PICKER_MAX", 5)
    html, csrf = page_token(admin, "/staff/admin")
    assert not re.findall(r'<option value="seed:fac-', html)
    assert 'type="text" id="facility" name="facility"' in html

    def create(**form):
        return admin.post("/staff/admin/keys", data={"csrf_token": csrf, "role": "facility",
                                                     "label": "night desk", **form})

    def made(response):
        found = re.search(r'id="new-key-value" readonly value="([^"]+)"',
                          response.get_data(as_text=True))
        return found and keys.verify(app.extensions["availability"], found.group(1))

    # One match (any case, words in any order, name and town): the key is made.
    assert made(create(facility="naperville crossroads")).facility_id == "seed:fac-001"
    assert made(create(facility="seed:fac-002")).facility_id == "seed:fac-002"  # its id
    # Several: a 422 listing just those to pick from, the role and label kept.
    several = create(facility="Naperville")
    html = several.get_data(as_text=True)
    assert several.status_code == 422 and "facilities match “Naperville”: pick one" in html
    listed = re.findall(r'<option value="(seed:fac-\d+)"[^>]*>([^<]+)</option>', html)
    assert len(listed) >= 2 and all("Naperville" in words for _, words in listed)
    assert '<option value="facility" selected>' in html and 'value="night desk"' in html
    assert made(create(facility_id=listed[1][0])).facility_id == listed[1][0]
    # None: said so, nothing made.
    none = create(facility="Nowhere Such Place")
    assert none.status_code == 422 and not made(none)
    assert "No treatment facility is called “Nowhere Such Place”" in none.get_data(as_text=True)
    # A meeting's id is not a treatment facility.
    assert create(facility="seed:mtg-001").status_code == 422
    # Too many to list: type more.
    monkeypatch.setattr(admin_page, "MATCHES_SHOWN", 1)
    assert "type more of its name" in create(facility="Naperville").get_data(as_text=True)

"""Issue 22 in Debian's chromium: a facility from the national list keeps its own profile.

Each test gets its own server over a directory built from a small FindTreatment file (no
levels of care, as most national-list rows), with JavaScript on and off: the profile page
is a plain form. axe checks every state the page can be in (English, Spanish, a source
conflict, refused input) and the administrator's onboarding page.
"""
import json

import pytest

from directory_service import create_app
from directory_service.config import Settings
from tests.browser.conftest import serve
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_night_page import SMALL_TARGETS
from tests.browser.test_staff_pages import key_for
from tests.test_facility_profile import FACILITY, index, write_samhsa

pytestmark = pytest.mark.browser
PROFILE = f"/staff/facility/{FACILITY}/profile"


@pytest.fixture
def national_server(tmp_path):
    """(URL, app, source folder, store path) over a one-file national list."""
    folder = tmp_path / "source"
    folder.mkdir()
    store_path = tmp_path / "directory.sqlite"
    index(write_samhsa(folder), store_path)
    settings = Settings.from_env(store_path=str(store_path),
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    for url in serve(app):
        yield url, app, folder, store_path


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_facility_declares_its_levels_on_its_profile_then_reports_a_bed(
        new_page, national_server, javascript):
    url, app, _, _ = national_server
    page = new_page(java_script_enabled=javascript)
    sign_in(page, url, key_for(app, "facility", FACILITY), "/staff/sign-in")
    page.get_by_role("link", name="Your profile").click()
    assert page.url.endswith(PROFILE)
    assert "This facility lists no bed rows" not in page.content()

    page.get_by_label("Detox, medically monitored (3.7-WM)").check()
    page.get_by_label("Row 1: level of care").select_option("3.7-WM")
    page.get_by_label("Row 1: population").select_option("adult_men")
    page.get_by_label("Row 1: staffed beds").fill("10")
    page.get_by_label("Intake phone").fill("(630) 555-0199")
    page.get_by_role("button", name="Save profile").click()
    page.locator(".notice-done").wait_for()
    assert "Levels of care" in page.locator(".notice-done").inner_text()
    intake = page.locator("[data-origin='phones.intake']").inner_text()
    assert intake.startswith("Given by the facility")
    assert page.locator("[data-origin='phones.main']").inner_text().startswith("From the source")

    page.get_by_role("link", name="Back to beds").click()
    row = page.locator("#row-3-7-WM-adult_men")
    row.get_by_label("Status").select_option("open")
    row.get_by_label("Open beds").fill("2")
    row.get_by_role("button", name="Save", exact=True).click()
    row.locator(".notice-done").wait_for()
    record = app.test_client().get(f"/v1/resources/{FACILITY}").get_json()
    assert [(r["level_of_care"], r["available"]) for r in record["beds"]] == [("3.7-WM", 2)]
    assert record["phones"]["intake"] == "(630) 555-0199"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_source_now_says_and_the_facility_keeps_its_own(new_page, national_server,
                                                            javascript):
    url, app, folder, store_path = national_server
    page = new_page(java_script_enabled=javascript)
    sign_in(page, url, key_for(app, "facility", FACILITY), PROFILE)
    page.get_by_label("Intake phone").fill("(630) 555-0199")
    page.get_by_role("button", name="Save profile").click()
    page.locator(".notice-done").wait_for()
    write_samhsa(folder, intake="630-555-0777")
    index(folder / "findtreatment.json", store_path)

    page.goto(url + PROFILE)
    conflict = page.locator("#conflict-phones-intake")
    assert "the source now says 630-555-0777" in conflict.inner_text()
    assert page.get_by_label("Intake phone").input_value() == "(630) 555-0199"
    conflict.get_by_role("button", name="Keep mine").click()
    page.locator(".notice-done").wait_for()
    assert page.locator("#conflict-phones-intake").count() == 0
    assert page.get_by_label("Intake phone").input_value() == "(630) 555-0199"


def sign_in(page, url, key, path):
    """Sign in on the form at `path` (a staff page answers with it until signed in)."""
    page.goto(url + path)
    page.locator("#key").fill(key)
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    if not page.url.endswith(path) and path != "/staff/sign-in":
        page.goto(url + path)


def _conflict(app, folder, store_path):
    client = app.test_client()
    headers = {"Authorization": "Bearer " + key_for(app, "facility", FACILITY)}
    path = f"/v1/facilities/{FACILITY}/profile"
    etag = client.get(path, headers=headers).headers["ETag"]
    client.put(path, headers={**headers, "If-Match": etag},
               json={"fields": {"phones": {"intake": "(630) 555-0199"}}})
    write_samhsa(folder, intake="630-555-0777")
    index(folder / "findtreatment.json", store_path)


def _refused(page):
    """A bed row for a level the facility does not offer: the server refuses it."""
    page.get_by_label("Row 1: level of care").select_option("3.7-WM")
    page.get_by_label("Row 1: staffed beds").fill("8")
    page.get_by_role("button", name="Save profile").click()
    page.locator(".error").first.wait_for()
    assert "not among the levels of care" in page.locator("#field-beds").inner_text()


STATES = {"profile": (PROFILE, "facility", None),
          "profile-es": (PROFILE + "?lang=es", "facility", None),
          "profile-conflict": (PROFILE, "facility", "conflict"),
          "profile-refused": (PROFILE, "facility", "refused"),
          "onboarding": ("/staff/admin/onboarding", "admin", "conflict"),
          "onboarding-es": ("/staff/admin/onboarding?lang=es", "admin", None)}


@pytest.mark.parametrize("name", STATES)
def test_axe_on_the_profile_and_onboarding_pages(new_page, national_server, axe_path, name):
    url, app, folder, store_path = national_server
    path, role, state = STATES[name]
    if state == "conflict":
        _conflict(app, folder, store_path)
    page = new_page(bypass_csp=True)
    sign_in(page, url, key_for(app, role, FACILITY if role == "facility" else None), path)
    if state == "refused":
        _refused(page)
        assert "Not saved" in page.content()
    if state == "conflict" and role == "facility":
        assert page.locator("#conflict-phones-intake").count() == 1
    if name.endswith("-es"):
        assert page.locator("html").get_attribute("lang") == "es"
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)
    assert page.evaluate(SMALL_TARGETS) == []

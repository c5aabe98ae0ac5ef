""""Something wrong?" in Debian's chromium, with JavaScript on and off (issue 22, item 3):
a visitor reports a record without an account or cookie, an administrator confirms it on
/staff/reports, and the record, its card and search show it; axe on every new state.
"""
import json

import pytest

from directory_service import create_app
from directory_service.availability import keys, public_reports
from directory_service.config import Settings
from tests.browser.conftest import screenshot, serve
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser
RECORD = "/r/seed:fac-001"
NAME = "Crossroads Recovery Center"
RESULTS = "/?near=60540&start=treatment"


@pytest.fixture
def server(seed_store_path, tmp_path):
    settings = Settings.from_env(store_path=seed_store_path,
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    for url in serve(app):
        yield url, app.extensions["availability"]


def _report_from_the_page(page, url, reason, detail=""):
    page.goto(url + RECORD)
    page.get_by_text("Something wrong?").click()
    page.get_by_label(reason).check()
    if detail:
        page.get_by_label("Anything we should know? (optional)").fill(detail)
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()


def _admin_page(new_page, url, adb, javascript):
    page = new_page(java_script_enabled=javascript)
    page.goto(url + "/staff/sign-in")
    page.get_by_label("Your key").fill(keys.create(adb, "admin")[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.goto(url + "/staff/reports")
    return page


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_report_reaches_the_queue_is_confirmed_and_the_record_shows_it(
        new_page, server, javascript):
    url, adb = server
    page = new_page(java_script_enabled=javascript)
    _report_from_the_page(page, url, "The phone number does not work", "it rings out")
    assert page.get_by_role("heading", name="Thank you").is_visible(), page.inner_text("main")
    assert page.context.cookies() == []
    (report,) = public_reports.listing(adb)[1]
    assert (report["reason"], report["detail"]) == ("phone", "it rings out")
    page.goto(url + RECORD)
    assert page.get_by_text("This information may be out of date — call first.").is_visible()
    page.goto(url + RESULTS)
    card = page.locator("li.card", has_text=NAME)
    assert card.get_by_text("May be out of date — call first.").is_visible()

    admin = _admin_page(new_page, url, adb, javascript)
    admin.get_by_role("button", name=f"Confirm: {NAME}, The phone number does not work").click()
    admin.wait_for_load_state()
    assert admin.get_by_text("Report confirmed.").is_visible()
    assert public_reports.get(adb, report["id"])["state"] == "confirmed"
    screenshot(admin, f"staff-reports-{'js' if javascript else 'nojs'}.png")
    page.goto(url + RECORD)
    assert page.get_by_text("This information may be out of date — call first.").is_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_confirmed_closed_leaves_the_results_until_reopened(new_page, server, javascript):
    url, adb = server
    page = new_page(java_script_enabled=javascript)
    _report_from_the_page(page, url, "It has closed")
    admin = _admin_page(new_page, url, adb, javascript)
    admin.get_by_role("button", name=f"Confirm: {NAME}, It has closed").click()
    admin.wait_for_load_state()
    page.goto(url + RESULTS)
    assert page.locator("li.card", has_text=NAME).count() == 0
    page.goto(url + RECORD)
    assert page.get_by_text("Reported closed. Call before you go.").is_visible()
    admin.get_by_role("button", name=f"Reopened: {NAME}, It has closed").click()
    admin.wait_for_load_state()
    page.goto(url + RESULTS)
    assert page.locator("li.card", has_text=NAME).count() == 1


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_personal_data_is_refused_with_the_fields_words(new_page, server, javascript):
    url, adb = server
    page = new_page(java_script_enabled=javascript)
    _report_from_the_page(page, url, "Something else", "call Ana at 630-555-0199")
    field = page.get_by_label("Anything we should know? (optional)")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.get_by_text("Please leave out names, birth dates", exact=False).first.is_visible()
    assert public_reports.listing(adb)[0] == 0
    assert page.context.cookies() == []


STATES = {"detail-open-es": (RECORD + "?lang=es", None),
          "detail-caution": (RECORD, "report"),
          "card-caution": (RESULTS, "report"),
          "form-error": (RECORD + "/report", "error"),
          "thanks-es": (RECORD + "/report?sent=1&lang=es", None),
          "queue": ("/staff/reports", "admin"),
          "facility-section": ("/staff/facilities/seed:fac-001", "facility")}


@pytest.mark.parametrize("name", STATES)
def test_axe_on_the_report_states(new_page, server, axe_path, name):
    url, adb = server
    path, setup = STATES[name]
    if setup in ("report", "admin", "facility"):
        public_reports.create(adb, "seed:fac-001", "hours", "closes at five")
    page = new_page(bypass_csp=True)
    if setup in ("admin", "facility"):
        page.goto(url + "/staff/sign-in")
        key = keys.create(adb, setup, "seed:fac-001" if setup == "facility" else None)[1]
        page.get_by_label("Your key").fill(key)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
    page.goto(url + path)
    if setup == "error":
        page.get_by_role("button", name="Send").click()
        page.wait_for_load_state()
        assert page.get_by_text("Choose what is wrong.").first.is_visible()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)

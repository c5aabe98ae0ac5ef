"""Issue 21 in chromium on a 360×740 phone: first things in the first screen, the coach's
hold card, and the facility's decision arriving without a reload (JavaScript on and off).
"""
import json
import re

import pytest

from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_staff_pages import (  # noqa: F401 (staff_server is a fixture)
    FAC, hold_beds, key_for, mark_document, signed_in_page, staff_server,
    still_same_document,
)

pytestmark = pytest.mark.browser
BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def in_first_screen(locator):
    """The element's top is within the first phone screen, the page not scrolled."""
    box = locator.bounding_box()
    scrolled = locator.page.evaluate("window.scrollY")
    return box is not None and scrolled == 0 and 0 <= box["y"] < PHONE["height"] - 44


def in_view(locator):
    """The element's top is within the phone's screen as the page now stands."""
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] < PHONE["height"] - 44


def axe_clean(page, axe_path, new_page, javascript=True):
    """axe on the page as it stands. A page without JavaScript cannot run axe itself: its
    markup (scripts left out) is checked in a page of the same origin that can."""
    if not javascript:
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S)
        checker = new_page(bypass_csp=True)
        checker.goto(page.url.split("#")[0].split("/staff/")[0] + "/static/staff.css")
        checker.set_content(html)
        page = checker
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)


def find_beds(page):
    page.get_by_label("Where from (ZIP code or city)").fill("60540")
    page.get_by_label("Level of care").select_option("3.7-WM")
    page.get_by_label("Gender").select_option("men")
    page.get_by_role("button", name="Find open beds").click()
    page.wait_for_load_state()


@BOTH
def test_pending_holds_are_in_the_facility_pages_first_screen(new_page, staff_server,
                                                               axe_path, javascript):
    url, app = staff_server
    hold_beds(app, 1)
    page = signed_in_page(lambda **o: new_page(java_script_enabled=javascript,
                                               bypass_csp=True, **o),
                          url, key_for(app, "facility", "seed:fac-001"), FAC)
    assert in_first_screen(page.get_by_role("button", name="Confirm admission"))
    assert in_first_screen(page.get_by_role("button", name="Decline"))
    axe_clean(page, axe_path, new_page, javascript)


@BOTH
def test_the_coachs_first_result_is_in_the_first_screen(new_page, staff_server, axe_path,
                                                        javascript):
    url, app = staff_server
    page = signed_in_page(lambda **o: new_page(java_script_enabled=javascript,
                                               bypass_csp=True, **o),
                          url, key_for(app, "coach"), "/staff/coach")
    find_beds(page)
    first = page.locator("li.match").first
    assert in_first_screen(first.locator("h3"))
    assert "Crossroads Recovery Center" in first.inner_text()
    assert page.get_by_role("button", name="Search again").is_visible()  # the needs follow
    axe_clean(page, axe_path, new_page, javascript)


@BOTH
def test_a_hold_card_has_the_intake_phone_address_and_directions(new_page, staff_server,
                                                                 axe_path, javascript):
    url, app = staff_server
    page = signed_in_page(lambda **o: new_page(java_script_enabled=javascript,
                                               bypass_csp=True, **o),
                          url, key_for(app, "coach"), "/staff/coach")
    find_beds(page)
    page.locator("li.match", has_text="Crossroads Recovery Center").get_by_role(
        "button", name="Hold").click()
    page.wait_for_load_state()
    assert "/staff/coach/holds" in page.url
    card = page.locator("li.hold-active").first
    call = card.get_by_role("link", name="Call intake (331) 555-0140")
    assert call.get_attribute("href") == "tel:+13315550140"
    assert card.locator(".address").inner_text().endswith("Naperville, IL 60540")
    directions = card.get_by_role("link", name="Directions to Crossroads Recovery Center")
    assert directions.get_attribute("href").startswith("https://maps.apple.com/?daddr=")
    assert in_view(call)  # the page opens at the new hold's card
    axe_clean(page, axe_path, new_page, javascript)


def decide_through_the_api(app, decision):
    from directory_service.availability import holds
    adb = app.extensions["availability"]
    hold = holds.active_for(adb, "seed:fac-001")[0]
    key = key_for(app, "facility", "seed:fac-001")
    response = app.test_client().post(f"/v1/holds/{hold['id']}/{decision}",
                                      headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


@pytest.mark.parametrize("decision, words", [("confirm", "Confirmed: admitted"),
                                             ("decline", "Declined")])
def test_the_facilitys_decision_appears_without_a_reload(new_page, staff_server, axe_path,
                                                         decision, words):
    url, app = staff_server
    app.config["STAFF_HOLD_POLL_SECONDS"] = 1
    page = signed_in_page(lambda **o: new_page(bypass_csp=True, **o), url,
                          key_for(app, "coach"), "/staff/coach")
    find_beds(page)
    page.locator("li.match", has_text="Crossroads Recovery Center").get_by_role(
        "button", name="Hold").click()
    page.wait_for_load_state()
    page.locator("li.hold-active").wait_for()
    mark_document(page)
    decide_through_the_api(app, decision)
    page.locator("li.hold:not(.hold-active)", has_text=words).wait_for()
    assert still_same_document(page), "the decision came with a reload"
    assert words in page.locator("#holds-news").inner_text()
    axe_clean(page, axe_path, new_page)


def test_without_javascript_my_holds_refreshes_itself_while_pending(new_page, staff_server):
    url, app = staff_server
    app.config["STAFF_HOLD_POLL_SECONDS"] = 1  # the page asks again after 2 s
    page = signed_in_page(lambda **o: new_page(java_script_enabled=False, **o), url,
                          key_for(app, "coach"), "/staff/coach")
    find_beds(page)
    page.locator("li.match", has_text="Crossroads Recovery Center").get_by_role(
        "button", name="Hold").click()
    page.locator("li.hold-active").wait_for()
    decide_through_the_api(app, "confirm")
    page.locator("li.hold-confirmed", has_text="Confirmed: admitted").wait_for()
    # Decided: nothing is pending, the page no longer refreshes itself.
    assert 'http-equiv="refresh"' not in page.content()


@BOTH
def test_a_new_key_is_at_the_top_and_its_facility_is_picked_by_name(new_page, staff_server,
                                                                     axe_path, javascript):
    url, app = staff_server
    page = signed_in_page(lambda **o: new_page(java_script_enabled=javascript,
                                               bypass_csp=True, **o),
                          url, key_for(app, "admin"), "/staff/admin")
    page.get_by_label("Role").select_option("facility")
    page.get_by_label("Facility (facility keys only)").select_option(
        label="Crossroads Recovery Center — Naperville")
    page.get_by_role("button", name="Create key").click()
    page.wait_for_load_state()
    value = page.get_by_label("Key", exact=True)
    assert in_first_screen(value)
    key = value.input_value()
    from directory_service.availability import keys
    assert keys.verify(app.extensions["availability"], key).facility_id == "seed:fac-001"
    copy = page.get_by_role("button", name="Copy key")
    if javascript:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        copy.click()
        page.locator(".copy-news", has_text="Copied.").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == key
    else:
        assert copy.count() == 0 or not copy.is_visible()
        assert page.evaluate("getComputedStyle(document.getElementById('new-key-value'))"
                             ".userSelect") != "none"
    axe_clean(page, axe_path, new_page, javascript)


def test_the_sign_in_page_sets_no_cookie_until_sign_in_succeeds(new_page, staff_server):
    url, app = staff_server
    page = new_page()
    page.goto(url + "/staff/sign-in")
    page.get_by_label("Your key").fill("k_nope.wrong")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That key is unknown or revoked").wait_for()
    assert page.context.cookies() == []
    page.get_by_label("Your key").fill(key_for(app, "coach"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Find and hold a bed").wait_for()
    assert [c["name"] for c in page.context.cookies()] == ["staff_session"]


@BOTH
def test_a_tapped_unsaved_figure_says_so_and_passes_axe(new_page, staff_server, axe_path,
                                                        javascript):
    url, app = staff_server
    hold_beds(app, 1)
    page = signed_in_page(lambda **o: new_page(java_script_enabled=javascript,
                                               bypass_csp=True, **o),
                          url, key_for(app, "facility", "seed:fac-001"), FAC)
    row = page.locator("#row-3-7-WM-adult_men")
    assert row.get_by_label("Open beds").input_value() == "3"  # 4 available, 1 held
    row.get_by_role("button", name="One fewer open bed").click()
    page.wait_for_load_state()
    row = page.locator("#row-3-7-WM-adult_men")
    assert row.get_by_label("Open beds").input_value() == "2"
    if not javascript:
        assert "Not saved yet" in row.locator(".notice-draft").inner_text()
        assert in_view(row.get_by_label("Open beds"))  # the answer opens at the row
    assert app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()["version"] == 0
    axe_clean(page, axe_path, new_page, javascript)

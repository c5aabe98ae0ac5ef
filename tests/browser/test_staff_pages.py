"""Issue 14 in Debian's chromium: facility, coach and administrator pages, end to end.

Each test gets its own server over the seed store with an empty availability database,
so reports and holds from one flow never leak into another. Screenshots go to
test-artifacts/; with STAFF_SCREENSHOTS=docs they also replace the README's images in
docs/ (scripts/staff_screenshots.sh).
"""
import json
import os
import re
import shutil
import time
from datetime import datetime, timezone

import pytest

from directory_service import beds, create_app
from directory_service.availability import keys
from directory_service.config import Settings
from tests.browser.conftest import ROOT, screenshot, serve
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_night_page import SMALL_TARGETS

pytestmark = pytest.mark.browser
FAC = "/staff/facilities/seed:fac-001"
ROW = "#row-3-7-WM-adult_men"


@pytest.fixture
def staff_server(seed_store_path, tmp_path):
    settings = Settings.from_env(store_path=seed_store_path,
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    for url in serve(app):
        yield url, app


def key_for(app, role, facility_id=None):
    return keys.create(app.extensions["availability"], role, facility_id)[1]


def signed_in_page(new_page, url, key, path):
    page = new_page()
    page.goto(url + path)
    page.get_by_label("Your key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def keep_for_docs(path, name):
    if os.environ.get("STAFF_SCREENSHOTS") == "docs":
        shutil.copyfile(path, os.path.join(ROOT, "docs", name))


def mark_document(page):
    """A flag that survives only as long as the document: gone after any reload."""
    page.evaluate("window.__noReload = true")


def still_same_document(page):
    return page.evaluate("window.__noReload === true")


def test_facility_reports_and_public_search_shows_it_at_once(new_page, staff_server):
    url, app = staff_server
    page = signed_in_page(new_page, url, key_for(app, "facility", "seed:fac-001"), "/staff/sign-in")
    assert page.url.endswith(FAC)
    mark_document(page)
    row = page.locator(ROW)
    assert row.get_by_label("Open beds").input_value() == "4"
    plus = row.get_by_role("button", name="One more open bed")
    plus.click()
    plus.click()
    assert row.get_by_label("Open beds").input_value() == "6"  # adjusted in place, not sent
    assert app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()["version"] == 0
    row.get_by_role("button", name="Save", exact=True).click()
    page.locator(ROW + " .notice-done").wait_for()
    assert still_same_document(page), "saving reloaded the page"
    assert "6 open now" in page.locator(ROW + " .figure").inner_text()
    shot = screenshot(page, "staff-facility-phone.png", full_page=False)
    keep_for_docs(shot, "staff-facility-phone.png")
    public = new_page()
    public.goto(url + "/?near=60540&start=detox_now&gender=men")
    card = public.locator("ol.cards > li", has_text="Crossroads Recovery Center")
    assert "6 open for men" in card.inner_text()


@pytest.mark.parametrize("javascript", [True, False])
def test_enter_in_a_figure_saves_it_and_never_presses_a_stepper(new_page, staff_server,
                                                                 javascript):
    url, app = staff_server
    page = new_page(java_script_enabled=javascript)
    page.goto(url + "/staff/sign-in")
    page.get_by_label("Your key").fill(key_for(app, "facility", "seed:fac-001"))
    page.get_by_label("Your key").press("Enter")
    page.wait_for_load_state()
    field = page.locator(ROW).get_by_label("Open beds")
    field.fill("7")
    field.press("Enter")
    page.locator(ROW + " .notice-done").wait_for()
    assert page.locator(ROW).get_by_label("Open beds").input_value() == "7"
    rows = app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()["rows"]
    assert [r["available"] for r in rows if r["level_of_care"] == "3.7-WM"
            and r["population"] == "adult_men"] == [7]


def history_total(app):
    from directory_service.availability import reports
    return reports.history(app.extensions["availability"], "seed:fac-001", 1, 1)[0]


def test_steppers_without_javascript_change_the_form_and_publish_nothing(new_page, staff_server):
    url, app = staff_server
    page = new_page(java_script_enabled=False)
    page.goto(url + "/staff/sign-in")
    page.get_by_label("Your key").fill(key_for(app, "facility", "seed:fac-001"))
    page.get_by_role("button", name="Sign in").click()
    page.locator(ROW).get_by_role("button", name="One fewer open bed").click()
    page.locator(ROW + " .notice-draft").wait_for()
    assert page.locator(ROW).get_by_label("Open beds").input_value() == "3"
    page.locator(ROW).get_by_role("button", name="One fewer open bed").click()
    page.wait_for_load_state()
    assert page.locator(ROW).get_by_label("Open beds").input_value() == "2"
    beds = app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()
    assert beds["version"] == 0 and history_total(app) == 0  # no report, no new time
    page.locator(ROW).get_by_role("button", name="Save", exact=True).click()
    page.locator(ROW + " .notice-done").wait_for()
    assert "2 open now" in page.locator(ROW + " .figure").inner_text()
    assert app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()["version"] == 1


def hold_beds(app, n):
    client, key = app.test_client(), key_for(app, "coach")
    for _ in range(n):
        assert client.post("/v1/facilities/seed:fac-001/holds",
                           headers={"Authorization": f"Bearer {key}"},
                           json={"level_of_care": "3.7-WM", "population": "adult_men"}
                           ).status_code == 201


@pytest.mark.parametrize("javascript", [True, False])
def test_the_open_beds_field_leaves_held_beds_out(new_page, staff_server, javascript):
    url, app = staff_server
    hold_beds(app, 2)  # 4 available, 2 held by coaches
    page = new_page(java_script_enabled=javascript)
    page.goto(url + FAC)
    page.get_by_label("Your key").fill(key_for(app, "facility", "seed:fac-001"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    row = page.locator(ROW)
    field = row.get_by_label("Open beds")
    assert field.input_value() == "2"
    assert "2 beds held by coaches" in row.locator(".aside").inner_text()
    row.get_by_role("button", name="One more open bed").click()
    page.wait_for_load_state()
    assert page.locator(ROW).get_by_label("Open beds").input_value() == "3"
    page.locator(ROW).get_by_role("button", name="Save", exact=True).click()
    page.locator(ROW + " .notice-done").wait_for()
    rows = app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()["rows"]
    mine = next(r for r in rows if (r["level_of_care"], r["population"]) == ("3.7-WM", "adult_men"))
    assert (mine["available"], mine["held"], mine["open"]) == (5, 2, 3)
    assert page.locator(ROW).get_by_label("Open beds").input_value() == "3"


def test_coach_holds_facility_confirms_coach_sees_confirmed(new_page, staff_server):
    url, app = staff_server
    coach = signed_in_page(new_page, url, key_for(app, "coach"), "/staff/coach")
    coach.get_by_label("Where from (ZIP code or city)").fill("60540")
    coach.get_by_label("Level of care").select_option("3.7-WM")
    coach.get_by_label("Gender").select_option("men")
    coach.get_by_label("Age", exact=True).fill("30")
    coach.get_by_label("Payment").select_option("uninsured")
    coach.get_by_role("button", name="Find open beds").click()
    result = coach.locator("li.match", has_text="Crossroads Recovery Center")
    text = result.inner_text()
    assert "Detox, medically monitored (3.7-WM): 4 open for men" in text
    assert "An open bed that fits (oldest figure fresh)" in text
    assert result.locator("form.hold-form").count() == 1  # the men's row only
    shot = screenshot(coach, "staff-coach-results.png", full_page=False)  # results first
    keep_for_docs(shot, "staff-coach-results.png")
    result.locator("form.hold-form").scroll_into_view_if_needed()
    result.get_by_label("Hold for").select_option("90")
    result.get_by_role("button", name="Hold").click()
    coach.wait_for_load_state()
    hold = coach.locator("li.hold-active").first
    assert "Crossroads Recovery Center" in hold.inner_text()
    assert "min left" in hold.locator(".countdown").inner_text()
    shot = screenshot(coach, "staff-coach-hold.png", full_page=False)
    keep_for_docs(shot, "staff-coach-hold.png")

    facility = signed_in_page(new_page, url, key_for(app, "facility", "seed:fac-001"), FAC)
    mark_document(facility)
    assert "1 held" in facility.locator(ROW + " .figure").inner_text()
    facility.get_by_role("button", name="Confirm admission").click()
    facility.get_by_text("Admission confirmed.").wait_for()
    assert still_same_document(facility)
    assert "No active holds." in facility.locator("#staff-main").inner_text()
    assert facility.locator(".history li").first.inner_text().count("Admission") == 1

    coach.get_by_role("button", name="Refresh").click()
    coach.wait_for_load_state()
    assert "Confirmed: admitted" in coach.locator("li.hold-confirmed").inner_text()


def stale_row(app):
    """(facility id, level, population, available) of a seed row whose report is stale."""
    now = datetime.now(timezone.utc)
    for record in app.extensions["store"].scan(kinds=("treatment_facility",)):
        for row in beds.annotate_record(record, now, app.config["SETTINGS"]).get("beds", ()):
            if row["freshness"] == "stale" and row["status"] in ("open", "full"):
                return record["id"], row["level_of_care"], row["population"], row["available"]
    pytest.fail("the seed data has no stale bed row")


def test_still_accurate_moves_a_stale_figure_to_fresh(new_page, staff_server):
    url, app = staff_server
    facility_id, level, population, available = stale_row(app)
    row = "#row-" + re.sub(r"[^A-Za-z0-9_-]", "-", f"{level}|{population}")
    page = signed_in_page(new_page, url, key_for(app, "facility", facility_id), "/staff/sign-in")
    assert "stale" in page.locator(row + " .fresh").inner_text()
    mark_document(page)
    page.locator(row).get_by_role("button", name="Still accurate").click()
    page.locator(row + " .notice-done").wait_for()
    assert still_same_document(page)
    assert page.locator(row + " .fresh").inner_text().startswith("fresh")
    assert page.locator(row).get_by_label("Open beds").input_value() == str(available)
    assert "Still accurate" in page.locator(".history li").first.inner_text()
    rows = app.test_client().get(f"/v1/facilities/{facility_id}/beds").get_json()["rows"]
    mine = next(r for r in rows if (r["level_of_care"], r["population"]) == (level, population))
    assert (mine["available"], mine["freshness"]) == (available, "fresh")


def test_a_stale_page_shows_the_new_figure(new_page, staff_server):
    url, app = staff_server
    key = key_for(app, "facility", "seed:fac-001")
    page = signed_in_page(new_page, url, key, FAC)
    app.test_client().put("/v1/facilities/seed:fac-001/beds",
                          headers={"Authorization": f"Bearer {key}", "If-Match": '"0"'},
                          json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                                          "capacity": 12, "available": 8}]})
    page.locator(ROW).get_by_role("button", name="One fewer open bed").click()
    page.locator(ROW).get_by_role("button", name="Save", exact=True).click()
    notice = page.locator(ROW + " .notice-stale")
    notice.wait_for()
    assert "Updated elsewhere meanwhile" in notice.inner_text()
    assert page.locator(ROW).get_by_label("Open beds").input_value() == "8"


def test_another_facilitys_key_cannot_see_or_act_on_the_page(new_page, staff_server):
    url, app = staff_server
    page = signed_in_page(new_page, url, key_for(app, "facility", "seed:fac-002"), "/staff/sign-in")
    assert page.url.endswith("/staff/facilities/seed:fac-002")
    token = page.locator("input[name=csrf_token]").first.input_value()
    response = page.goto(url + FAC)
    assert response.status == 403
    assert page.get_by_role("heading", name="This page is not for your key").is_visible()
    status = page.evaluate("""async ([action, token]) => {
        const body = new FormData();
        for (const [k, v] of Object.entries({csrf_token: token, version: "0",
             level_of_care: "3.7-WM", population: "adult_men", capacity: "12",
             available: "0", status: "full"})) body.append(k, v);
        return (await fetch(action, {method: "POST", body})).status;
    }""", [url + FAC + "/rows", token])
    assert status == 403
    beds = app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()
    assert beds["version"] == 0


def test_a_form_without_its_csrf_token_is_refused(new_page, staff_server):
    url, app = staff_server
    page = signed_in_page(new_page, url, key_for(app, "facility", "seed:fac-001"), FAC)
    page.evaluate("document.querySelectorAll('input[name=csrf_token]')"
                  ".forEach(input => input.remove())")
    page.locator(ROW).get_by_role("button", name="One more open bed").click()
    page.locator(ROW).get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("heading", name="This form could not be accepted").wait_for()
    assert app.test_client().get("/v1/facilities/seed:fac-001/beds").get_json()["version"] == 0


def test_an_expired_session_returns_to_sign_in(new_page, staff_server):
    url, app = staff_server
    page = signed_in_page(new_page, url, key_for(app, "coach"), "/staff/coach")
    assert page.get_by_role("heading", name="Find and hold a bed").is_visible()
    # Leave the page first: a request of its own (a refresh of its figures) sent after
    # the clock moves would meet the expired session before our navigation does, and our
    # navigation would then find no session at all, not an idle one.
    page.goto("about:blank")
    later = time.time() + app.config["STAFF_IDLE_SECONDS"] + 60
    app.config["STAFF_CLOCK"] = lambda: later
    try:
        response = page.goto(url + "/staff/coach")
        assert response.status == 401
        assert page.get_by_label("Your key").is_visible()
        assert "idle too long" in page.locator("main").inner_text()
    finally:
        app.config.pop("STAFF_CLOCK")
    page.get_by_label("Your key").fill(key_for(app, "coach"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url.endswith("/staff/coach")


def test_an_anonymous_visit_sets_no_cookie_and_loads_nothing_elsewhere(new_page, staff_server):
    url, app = staff_server
    page = new_page()
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(url + "/?near=60540&start=detox_now")
    page.locator("ol.cards h2 a").first.click()
    page.wait_for_load_state()
    assert page.context.cookies() == []
    assert page.get_by_role("link", name="Staff sign in").is_visible()
    # A staff member's own pages: one cookie, ours, for /staff only; nothing elsewhere.
    staff = signed_in_page(new_page, url, key_for(app, "admin"), "/staff/sign-in")
    staff.on("request", lambda request: seen.append(request.url))
    for path in ("/staff/admin", FAC, "/staff/coach"):
        staff.goto(url + path)
    cookies = staff.context.cookies()
    assert [(c["name"], c["path"], c["httpOnly"], c["sameSite"]) for c in cookies] == [
        ("staff_session", "/staff", True, "Strict")]
    assert [u for u in seen if not u.startswith(url + "/")] == []
    assert any(u.endswith("/static/staff.js") for u in seen)


STAFF_PAGES = {"sign-in": ("/staff/sign-in", None), "facility": (FAC, "facility"),
               "facility-es": (FAC + "?lang=es", "facility"), "coach": ("/staff/coach", "coach"),
               "admin": ("/staff/admin", "admin"), "forbidden-es": ("/staff/admin?lang=es", "coach"),
               "coach-holds-es": ("/staff/coach/holds?lang=es", "coach"),
               "outcomes": ("/staff/admin/outcomes", "admin"),
               "outcomes-es": ("/staff/admin/outcomes?lang=es", "admin")}


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_axe_on_the_staff_pages(new_page, staff_server, axe_path, name):
    url, app = staff_server
    path, role = STAFF_PAGES[name]
    if role is None:
        page = new_page(bypass_csp=True)
        page.goto(url + path)
    else:
        key = key_for(app, role, "seed:fac-001" if role == "facility" else None)
        page = new_page(bypass_csp=True)
        page.goto(url + "/staff/sign-in")
        page.locator("#key").fill(key)
        page.locator("button[type=submit]").first.click()
        page.wait_for_load_state()
        page.goto(url + path)
    if name == "coach":
        page.get_by_label("Where from (ZIP code or city)").fill("60540")
        page.get_by_role("button", name="Find open beds").click()
        page.wait_for_load_state()
    if name.endswith("-es"):
        assert page.locator("html").get_attribute("lang") == "es"
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate(SMALL_TARGETS) == []

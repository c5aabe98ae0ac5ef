"""A coach's watch fires while the page is open: chromium shows it without a reload
(Server-Sent Events through staff.js), and the page's CSP lets the stream connect."""
from datetime import datetime, timezone

import pytest

from directory_service import create_app, watches
from directory_service.availability import keys, reports
from directory_service.config import Settings
from tests.browser.conftest import screenshot, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def watch_server(seed_store_path, tmp_path):
    settings = Settings.from_env(store_path=seed_store_path,
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config.update(WATCH_EVENTS_POLL_SECONDS=0.2, WATCH_EVENTS_SECONDS=20)
    for url in serve(app):
        yield url, app


def men_detox(app, available):
    record = app.extensions["store"].get("seed:fac-001")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    row = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 12,
           "available": available, "status": "open" if available else "full",
           "reported_at": now.isoformat().replace("+00:00", "Z")}
    reports.apply_report(app.extensions["availability"], "seed:fac-001", [row], "test",
                         record.get("beds"), now=now)
    return now


def test_a_fire_appears_on_the_open_page_without_a_reload(new_page, watch_server):
    url, app = watch_server
    men_detox(app, 0)
    page = new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(url + "/staff/coach")
    page.get_by_label("Your key").fill(keys.create(app.extensions["availability"], "coach")[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Where from (ZIP code or city)").fill("60540")
    page.get_by_label("Level of care").select_option("3.7-WM")
    page.get_by_label("Gender").select_option("men")
    page.get_by_role("button", name="Find open beds").click()
    page.get_by_label("Watch for").select_option("2")
    page.get_by_role("button", name="Tell me when a bed opens").click()
    page.get_by_text("Watching. A bed that opens").wait_for()
    page.evaluate("window.__noReload = true")
    page.wait_for_timeout(500)  # the EventSource is connected
    now = men_detox(app, 3)
    assert watches.check(app, now)["fired"] == 1
    news = page.locator("#watch-news")
    news.get_by_text("A bed opened: Crossroads Recovery Center").wait_for(timeout=10_000)
    assert page.evaluate("window.__noReload === true")  # no reload: the stream did it
    assert page.locator("li.watch .fires li.fresh-fire").count() == 1
    assert not [e for e in errors if "Content Security Policy" in e]
    screenshot(page, "staff-coach-watch-fired.png", full_page=False)

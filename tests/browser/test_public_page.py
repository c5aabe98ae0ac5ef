"""The public page in a real browser: the flows a person uses, with and without JavaScript."""
import re

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
# A figure names its level of care with its code, then who the beds are for, and its age.
BEDS = re.compile(r"Beds:\s[\s\S]*Detox, [a-z ]+ \([\d.]+-WM\): \d+ open for "
                  r"(men|women|any adult|teens) · \d+ (min|h|days?) ago")


def test_search_flow_detox_bed_now_in_naperville(new_page, live_url):
    page = new_page()
    page.goto(live_url + "/")
    page.get_by_label("ZIP code or city").fill("60540")
    page.get_by_role("button", name="Detox bed now").click()
    page.wait_for_load_state()
    assert re.match(r"\d+ places near 60540", page.locator("#results-title").inner_text())
    cards = page.locator("ol.cards > li")
    assert cards.count() > 0
    first = cards.first
    assert BEDS.search(first.inner_text())
    assert first.get_by_role("link", name=re.compile(r"^Call ")).get_attribute("href").startswith("tel:+1")
    screenshot(page, "naperville-detox-phone.png")
    # The picture README shows (docs/screenshot-naperville.png is a copy of it).
    page.set_viewport_size({"width": 1280, "height": 860})
    page.screenshot(path=screenshot(page, "naperville-detox-desktop-full.png").replace(
        "-full.png", ".png"))
    name = first.locator("h2").inner_text()
    first.locator("h2 a").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == name
    screenshot(page, "detail-phone.png")


def test_no_javascript_flow(new_page, live_url):
    page = new_page(java_script_enabled=False)
    page.goto(live_url + "/")
    # The location button needs JavaScript, so without it the page does not offer it.
    assert not page.get_by_role("button", name="Use my location").is_visible()
    page.get_by_label("ZIP code or city").fill("Aurora, IL")
    page.get_by_text("More choices").click()
    page.get_by_label("Looking for").select_option("treatment")
    page.get_by_label("How will you pay?").select_option("uninsured")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert "places near Aurora, IL" in page.locator("#results-title").inner_text()
    assert "payment=uninsured" in page.url
    # A mistake comes back as words beside the field, still without JavaScript.
    page.get_by_label("ZIP code or city").fill("99999")
    page.get_by_role("button", name="Naloxone").click()
    page.wait_for_load_state()
    assert "We could not find that place" in page.locator("#near-error").inner_text()
    screenshot(page, "no-js-error.png")


def test_use_my_location_sends_only_a_coarse_point(new_page, live_url):
    page = new_page(geolocation={"latitude": 41.750834, "longitude": -88.153521},
                    permissions=["geolocation"])
    page.goto(live_url + "/")
    # Naloxone with no place: the page asks for one, and offers the location.
    page.get_by_role("button", name="Naloxone").click()
    page.wait_for_load_state()
    assert "use your location" in page.locator("#near-error").inner_text()
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_url(re.compile(r"lat=\d"))
    assert "need=naloxone" in page.url
    assert "lat=41.75&lon=-88.15" in page.url
    assert "41.7508" not in page.url
    assert "near your location" in page.locator("#results-title").inner_text()


def test_spanish_from_the_browser_and_the_switch(new_page, live_url):
    page = new_page(locale="es-MX")
    page.goto(live_url + "/?near=60540&start=detox_now")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "lugares cerca de 60540" in page.locator("#results-title").inner_text()
    screenshot(page, "spanish-results.png")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "places near 60540" in page.locator("#results-title").inner_text()


def test_print_view_is_plain_paper(new_page, live_url):
    page = new_page()
    page.goto(live_url + "/r/seed:fac-001/print")
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert page.locator("h1").inner_text() == "Crossroads Recovery Center"
    assert page.get_by_text("please call before you go").is_visible()
    screenshot(page, "print-view.png")


def test_no_third_party_requests_and_no_cookies(new_page, live_url):
    page = new_page()
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(live_url + "/")
    page.get_by_label("ZIP code or city").fill("60540")
    page.get_by_role("button", name="Meetings today").click()
    page.wait_for_load_state()
    page.goto(live_url + "/?near=60540&start=naloxone&lang=es")
    page.locator("ol.cards h2 a").first.click()
    page.wait_for_load_state()
    page.goto(live_url + "/r/seed:fac-001/print")
    page.wait_for_load_state("networkidle")
    assert len(seen) >= 5
    assert any(url.endswith("/static/site.css") for url in seen)
    assert [url for url in seen if not url.startswith(live_url + "/")] == []
    assert page.context.cookies() == []

"""Issue 13 in chromium: the page at 11 p.m. on a 360×740 phone, with JavaScript on and
off, on paper, in Spanish and from the keyboard (night scenario: tests/browser/night.py).
"""
import re

import pytest

from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.browser
JS = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]


def names(page):
    return page.locator("ol.cards > li h2").all_inner_texts()


def card(page, name):
    return page.locator("ol.cards > li").filter(
        has=page.get_by_role("heading", name=name, exact=True))


def pdf_pages(pdf):
    """Pages in a PDF chromium wrote: its /Type /Page objects (not /Pages)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def plain(words):
    return re.sub(r"\s+", " ", words.replace("\u202f", " ")).strip()


# 1 and 3: results first, under the active search; Enter runs the search on screen -------

@pytest.mark.parametrize("js", JS)
def test_results_come_first_on_a_phone_under_the_active_search(new_page, night_url, js):
    page = new_page(java_script_enabled=js)
    page.goto(night_url + "/")
    page.get_by_label("ZIP code or city").fill("60540")
    page.get_by_role("button", name="Naloxone").click()
    page.wait_for_load_state()
    summary = page.locator(".search-summary")
    assert plain(summary.locator(".search-words").inner_text()) == \
        "Naloxone · open now first · within 25 mi"
    first = page.locator("ol.cards > li").first.bounding_box()
    assert first["y"] + 100 < PHONE["height"], "the first result starts below the first screen"
    assert summary.bounding_box()["y"] < first["y"]
    pressed = page.locator('.quick-start[aria-current="true"]')
    assert pressed.count() == 1 and pressed.inner_text().endswith("Naloxone")
    page.get_by_role("link", name=re.compile("^Change")).click()
    assert page.get_by_label("ZIP code or city").is_visible()
    if js:
        page.goto(night_url + "/?near=60540&start=naloxone")
        screenshot(page, "phone-naloxone-night.png", full_page=False)


@pytest.mark.parametrize("js", JS)
def test_enter_in_the_place_field_runs_the_search_on_screen(new_page, night_url, js):
    page = new_page(java_script_enabled=js)
    page.goto(night_url + "/?near=60540&start=naloxone")
    field = page.get_by_label("ZIP code or city")
    field.fill("60563")
    field.press("Enter")
    page.wait_for_url(re.compile(r"near=60563"))
    assert "need=naloxone" in page.url and "start=" not in page.url
    assert plain(page.locator(".search-words").inner_text()).startswith("Naloxone ·")
    kinds = page.locator("ol.cards .kind").all_inner_texts()
    assert kinds and set(kinds) == {"Naloxone"}


def test_use_my_location_shows_progress_and_keeps_the_need(new_page, night_url):
    page = new_page(geolocation={"latitude": 41.768912, "longitude": -88.135123},
                    permissions=["geolocation"])
    # The device takes a moment to answer, as a real one does.
    page.add_init_script("""(() => {
        const real = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
        navigator.geolocation.getCurrentPosition = (ok, fail, options) =>
            setTimeout(() => real(ok, fail, options), 700);
    })();""")
    page.goto(night_url + "/?near=60540&start=naloxone")
    button = page.get_by_role("button", name="Use my location")
    button.click()
    busy = page.locator("#use-location")
    assert busy.get_attribute("aria-busy") == "true"
    assert "Finding your location" in busy.inner_text()
    assert "Finding your location" in page.locator("#locate-status").inner_text()
    page.wait_for_url(re.compile(r"lat=41\.77&lon=-88\.14"))
    assert "need=naloxone" in page.url and "41.7689" not in page.url
    assert "near your location" in page.locator("#results-title").inner_text()
    assert set(page.locator("ol.cards .kind").all_inner_texts()) == {"Naloxone"}


def test_use_my_location_on_the_empty_page_asks_for_the_need_next(new_page, night_url):
    page = new_page(geolocation={"latitude": 41.768912, "longitude": -88.135123},
                    permissions=["geolocation"])
    page.goto(night_url + "/")
    page.get_by_role("button", name="Use my location").click()
    status = page.locator("#locate-status")
    status.filter(has_text="Now choose what you need").wait_for()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Detox bed now"
    page.get_by_role("button", name="Meetings today").click()
    page.wait_for_load_state()
    assert "lat=41.77" in page.url
    assert set(page.locator("ol.cards .kind").all_inner_texts()) == {"Meeting"}


# 2: bed figures that tell the truth -------------------------------------------------------

def test_bed_figures_for_whom_and_stale_ones_look_different(new_page, night_url):
    page = new_page()
    page.goto(night_url + "/?near=60540&start=detox_now")
    assert "Old News Detox" not in names(page)
    men_only = plain(card(page, "Men Only Detox").locator(".bed-lines").inner_text())
    assert re.search(r"4 open for men · 1 h ago", men_only)
    page.get_by_role("link", name="a man", exact=True).click()
    page.wait_for_load_state()
    assert "gender=men" in page.url and "Women Only Detox" not in names(page)
    assert "for a man" in page.locator(".search-summary").inner_text()
    screenshot(page, "phone-detox-night.png", full_page=False)
    page.get_by_role("link", name="Show them too").click()
    page.wait_for_load_state()
    stale = card(page, "Old News Detox").locator(".bed-stale")
    fresh = card(page, "Men Only Detox").locator(".bed-fresh").first
    assert plain(stale.inner_text()) == ("Detox, medically monitored (3.7-WM): "
                                         "figure for men is 8 days old — call to check")
    style = "e => [getComputedStyle(e).fontStyle, getComputedStyle(e).borderLeftStyle, " \
            "getComputedStyle(e).color]"
    assert stale.evaluate(style) != fresh.evaluate(style)
    assert stale.evaluate(style)[:2] == ["italic", "dashed"]


# 3 (now means now), 5, 9: meetings by start with Join; naloxone open first ---------------

def test_meetings_today_at_night_by_start_with_join_buttons(new_page, night_url):
    page = new_page()
    page.goto(night_url + "/?near=60540&start=meetings_today")
    assert names(page) == ["Hybrid Late Group", "Night Owls Online", "Grupo Nueva Vida",
                           "Last Call Online"]
    online = card(page, "Night Owls Online")
    assert plain(online.locator(".state").inner_text()).startswith("Online now")
    join = online.get_by_role("link", name="Join online to Night Owls Online")
    assert join.get_attribute("href") == "https://meet.example.org/j/123"
    assert join.bounding_box()["height"] >= 44
    assert "Passcode: 4321" in online.inner_text()
    assert plain(card(page, "Grupo Nueva Vida").locator(".state").inner_text()) == \
        "Starting soon · in 30 min"
    screenshot(page, "phone-meetings-night.png", full_page=False)


def test_naloxone_at_night_open_first_with_facts_and_opening_times(new_page, night_url):
    page = new_page()
    page.goto(night_url + "/?near=60540&start=naloxone")
    assert names(page)[:2] == ["Late Pharmacy", "Transit Center Naloxone Vending Machine"]
    machine = card(page, "Transit Center Naloxone Vending Machine").locator("ul.tags")
    assert machine.locator("li").all_inner_texts() == [
        "Free", "No prescription needed", "Vending machine", "Fentanyl test strips"]
    closed = card(page, "Closed Corner Pharmacy").locator(".state")
    assert plain(closed.inner_text()) == "Closed now · opens tomorrow 9:00 AM"


# 7 (issue item 4): print -------------------------------------------------------------------

@pytest.mark.parametrize("js", JS)
def test_printed_results_are_black_local_and_without_the_form(new_page, night_url, js):
    page = new_page(java_script_enabled=js)
    page.goto(night_url + "/?near=60540&start=detox_now")
    page.emulate_media(media="print")
    assert not page.locator("form.search").is_visible()
    assert not page.locator("header.site").is_visible()
    call = page.locator("ol.cards .button.call").first
    assert call.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    line = card(page, "Men Only Detox").locator(".bed-fresh").first
    assert not line.locator(".when-relative").is_visible()
    assert re.search(r"as of \d+:\d\d [AP]M, Nov \d+", plain(line.inner_text()))


def test_the_printable_list_is_one_page(new_page, night_url):
    page = new_page()
    page.goto(night_url + "/?near=60540&start=detox_now&stale=1")
    page.get_by_role("link", name="Printable list to hand to someone").click()
    page.wait_for_load_state()
    body = plain(page.locator("main").inner_text())
    assert "Printed 11:00 PM, Nov 23." in body and " ago" not in body
    page.emulate_media(media="print")
    phone = page.locator(".paper-list .phone").first
    assert phone.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    page.set_viewport_size({"width": 816, "height": 1056})  # US Letter at 96 dpi
    screenshot(page, "print-list.png")
    assert pdf_pages(page.pdf(format="Letter")) == 1


def test_the_seed_results_print_on_one_page_too(new_page, live_url):
    page = new_page()
    page.goto(live_url + "/?near=60540&start=meetings_today&print=1")
    page.emulate_media(media="print")
    assert pdf_pages(page.pdf(format="Letter")) == 1


# 10: Spanish and the 360 px layout ---------------------------------------------------------

PAGES_360 = ["/?near=60540&start=detox_now&stale=1", "/r/night:fac-02", "/r/night:mtg-03",
             "/?near=60540&start=meetings_today", "/r/night:fac-02/print", "/nope",
             "/?near=60540&start=naloxone&print=1", "/"]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", PAGES_360)
def test_nothing_is_cut_off_at_360_px(new_page, night_url, path, lang):
    page = new_page()
    page.goto(night_url + path + ("&" if "?" in path else "?") + f"lang={lang}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide in {lang}"
    outside = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)
        .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40))""")
    assert outside == []


def test_spanish_detail_page_shows_the_beds_and_local_dates(new_page, night_url):
    page = new_page(locale="es-MX")
    page.goto(night_url + "/r/night:fac-02")
    assert page.locator("html").get_attribute("lang") == "es"
    beds = page.locator(".bed-lines").first
    assert beds.is_visible() and beds.bounding_box()["x"] + beds.bounding_box()["width"] <= 360
    assert "4 libres para hombres" in plain(beds.inner_text())
    screenshot(page, "phone-spanish-detail.png", full_page=False)
    page.goto(night_url + "/r/night:nal-01")
    assert "abre mañana a las 9:00" in plain(page.locator(".state").inner_text())


def test_spanish_language_badge_and_filter(new_page, night_url):
    page = new_page(locale="es-MX")
    page.goto(night_url + "/?near=60540&start=meetings_today")
    assert card(page, "Grupo Nueva Vida").locator(".lang-badge").inner_text() == "En español"
    page.get_by_text("Más opciones").click()
    page.get_by_label("Idioma").select_option("es")
    page.get_by_role("button", name="Mostrar resultados").click()
    page.wait_for_load_state()
    assert names(page) == ["Grupo Nueva Vida"]
    assert "en español" in page.locator(".search-summary").inner_text()


@pytest.mark.parametrize("locale, words", [("es-MX", "No encontramos esa página"),
                                           ("en-US", "We could not find that page")])
def test_a_mistyped_page_url_is_a_page_in_the_visitors_language(new_page, night_url, locale,
                                                                words):
    page = new_page(locale=locale)
    response = page.goto(night_url + "/resultados")
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    assert page.locator("h1").inner_text() == words
    api = page.goto(night_url + "/v1/nope")
    assert api.headers["content-type"].startswith("application/problem+json")


# 11: accessibility beyond axe --------------------------------------------------------------

SMALL_TARGETS = """() => {
  const seen = [];
  for (const e of document.querySelectorAll('a, button, select, input, summary')) {
    if (e.type === 'hidden' || !e.getClientRects().length || e.closest('.skip')
        || e.closest('[aria-hidden="true"]')) continue;  // a honeypot field is no target
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden') continue;
    const box = ((e.type === 'checkbox' || e.type === 'radio') ? e.labels[0] : e).getBoundingClientRect();
    if (box.width < 44 || box.height < 44)
      seen.push(`${e.tagName} "${(e.textContent || e.name || '').trim().slice(0, 30)}" ` +
                `${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return seen;
}"""


@pytest.mark.parametrize("path", ["/", "/?near=60540&start=detox_now&stale=1",
                                  "/?near=60540&start=meetings_today&lang=es",
                                  "/r/night:fac-02?lang=es", "/nope?lang=es",
                                  "/?near=Aurora&start=naloxone",
                                  "/?near=Aurora, CO&start=naloxone"])
def test_every_target_is_at_least_44_px(new_page, night_url, path):
    page = new_page()
    page.goto(night_url + path)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate(SMALL_TARGETS) == []


FOCUS_CONTRAST = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => v / 255).map(
      v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let p = e.parentElement, bg = 'rgb(255, 255, 255)';
  while (p) { const c = getComputedStyle(p).backgroundColor, v = rgb(c);
              if (v.length < 4 || v[3] > 0) { bg = c; break; } p = p.parentElement; }
  const [a, b] = [lum(style.outlineColor), lum(bg)].sort((x, y) => y - x);
  return {name: (e.textContent || e.name || e.id).trim().slice(0, 30), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth), ratio: (a + 0.05) / (b + 0.05)};
}"""


def test_focus_ring_contrast_is_at_least_3_to_1_everywhere(new_page, night_url):
    page = new_page()
    page.goto(night_url + "/?near=60540&start=detox_now")
    rings = []
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break  # past the last control
        rings.append(page.evaluate(FOCUS_CONTRAST))
    names_seen = {r["name"] for r in rings}
    assert {"911", "988", "Español"} <= names_seen  # the header was crossed
    weak = [r for r in rings if r["style"] == "none" or r["width"] < 2 or r["ratio"] < 3]
    assert weak == []


def test_the_skip_link_and_few_controls_before_the_first_result(new_page, night_url):
    page = new_page()
    page.goto(night_url + "/?near=60540&start=detox_now")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = page.locator("ol.cards > li h2 a").first
    assert page.evaluate("document.activeElement.textContent") == first.inner_text()
    # Without the skip link: the header's few links, the summary's Change, then places.
    page.goto(night_url + "/?near=60540&start=detox_now")
    for count in range(1, 16):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('ol.cards')"):
            break
    assert count <= 10, f"{count} tab stops before the first result"


# 8: natural place names ---------------------------------------------------------------------

@pytest.mark.parametrize("typed, place", [("Aurora", "Aurora, IL"), ("joliet", "Joliet, IL"),
                                          ("Naperville, Illinois", "Naperville, IL")])
def test_natural_place_names(new_page, live_url, typed, place):
    page = new_page(java_script_enabled=False)
    page.goto(live_url + "/")
    page.get_by_label("ZIP code or city").fill(typed)
    page.get_by_role("button", name="Naloxone").click()
    page.wait_for_load_state()
    # The seed directory is around Chicago: "Aurora" alone is Aurora, IL.
    assert f"near {place}" in page.locator("#results-title").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_other_aurora_and_back_to_the_one_with_places(new_page, live_url, javascript):
    page = new_page(java_script_enabled=javascript)
    page.goto(live_url + "/")
    page.get_by_label("ZIP code or city").fill("Aurora")
    page.get_by_role("button", name="Naloxone").click()
    page.wait_for_load_state()
    assert "near Aurora, IL" in page.locator("#results-title").inner_text()
    assert page.locator("ol.cards > li").count() > 0
    page.locator("#other-places").get_by_role("link", name="Aurora, CO").click()
    page.wait_for_load_state()
    assert "0 places near Aurora, CO" in page.locator("#results-title").inner_text()
    # The nearer namesake comes before the advice to search farther.
    advice = page.locator("#results p").all_inner_texts()
    nearer = next(i for i, t in enumerate(advice) if "Nothing near Aurora, CO" in t)
    farther = next(i for i, t in enumerate(advice) if "larger distance" in t)
    assert nearer < farther
    page.locator("#nearer-places").get_by_role("link", name="Aurora, IL").click()
    page.wait_for_load_state()
    assert "near Aurora, IL" in page.locator("#results-title").inner_text()
    assert page.locator("ol.cards > li").count() > 0
    assert "start=naloxone" in page.url

"""The public page at 11 p.m. (tests/browser/night.py), through the Flask test client.

Each test names the problem of issue 13 it guards against; the browser suite
(tests/browser/test_night_page.py) checks the same flows in chromium.
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory_service import create_app
from directory_service.config import Settings
from tests.browser import night


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def cards(response):
    """[(name, card html)] in page order."""
    html = response.get_data(as_text=True)
    out = []
    for chunk in html.split('<li class="card">')[1:]:
        name = re.search(r'<h2 id="h-\d+"><a href="[^"]+">([^<]+)</a>', chunk).group(1)
        out.append((name, chunk.split("</article>")[0]))
    return out


def names(response):
    return [name for name, _ in cards(response)]


def card_text(response, name):
    chunk = dict(cards(response))[name]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", chunk))


@pytest.fixture(scope="module")
def night_app(tmp_path_factory):
    directory = tmp_path_factory.mktemp("night")
    settings = Settings.from_env(store_path=night.build_store(directory),
                                 availability_path=str(directory / "availability.sqlite"))
    app = create_app(settings)
    app.config.update(TESTING=True, PAGE_NOW=night.NIGHT)
    yield app
    app.extensions["store"].close()


@pytest.fixture
def night_client(night_app):
    night_app.config["PAGE_NOW"] = night.NIGHT
    return night_app.test_client()


# 1. Beds without regard to whom they are for ----------------------------------------

def test_bed_figures_say_whom_they_are_for(night_client):
    page = night_client.get("/?near=60540&start=detox_now")
    men_only = card_text(page, "Men Only Detox")
    assert re.search(r"4 open for men · 1 h ago", men_only)
    assert "Full for women" in men_only
    assert re.search(r"2 open for women · 2 h ago", card_text(page, "Women Only Detox"))
    assert "3 open for any adult" in card_text(page, "Anyone Detox")
    # Never a bare sum of men's and women's beds.
    assert not re.search(r"Beds: \d+ open ·", text(page))


@pytest.mark.parametrize("query, shown, absent", [
    ("gender=men", {"Men Only Detox", "Anyone Detox"}, {"Women Only Detox"}),
    ("gender=women", {"Women Only Detox", "Anyone Detox"}, {"Men Only Detox"}),
    ("gender=men&age=30", {"Men Only Detox", "Anyone Detox"}, {"Teen Detox", "Women Only Detox"}),
    ("age=15", {"Teen Detox"}, {"Men Only Detox", "Women Only Detox", "Anyone Detox"}),
])
def test_detox_bed_now_counts_beds_for_the_person(night_client, query, shown, absent):
    page = night_client.get(f"/?near=60540&start=detox_now&{query}")
    listed = set(names(page))
    assert shown <= listed and not (absent & listed)
    if "gender=men" in query:
        men_only = card_text(page, "Men Only Detox")
        assert "4 open for men" in men_only and "women" not in men_only


def test_gender_and_age_are_in_the_filters_and_the_summary(night_client):
    page = night_client.get("/?near=60540&start=detox_now&gender=men&age=30")
    html = page.get_data(as_text=True)
    assert '<option value="men" selected>A man</option>' in html
    assert 'id="age" name="age"' in html and 'value="30"' in html
    assert "Detox bed now · for a man, age 30" in text(page)
    # One tap changes whom beds are counted for, the rest of the search kept.
    link = re.search(r'<a class="chip" href="([^"]+)">a woman</a>', html).group(1)
    assert "gender=women" in link and "need=detox" in link and "beds=1" in link
    assert '<span class="chip active" aria-current="true">a man</span>' in html


def test_a_mistyped_age_is_an_error_beside_the_field(night_client):
    page = night_client.get("/?near=60540&start=detox_now&age=thirty")
    assert page.status_code == 422
    assert '<p class="error" id="age-error">Enter an age in years' in page.get_data(as_text=True)


# 2. Old figures look fresh -------------------------------------------------------------

def test_stale_figures_are_not_open_beds_unless_asked(night_client):
    page = night_client.get("/?near=60540&start=detox_now")
    assert "Old News Detox" not in names(page)
    body = text(page)
    assert "1 place has open beds counted more than a day ago; it is not shown." in body
    link = re.search(r'<a href="([^"]+)">Show them too</a>', page.get_data(as_text=True)).group(1)
    assert "stale=1" in link
    included = night_client.get(link.replace("&amp;", "&"))
    chunk = dict(cards(included))["Old News Detox"]
    assert ('class="bed bed-stale"><span class="bed-level-name">Detox, medically monitored '
            '(3.7-WM):</span> figure for men is 8 days old — call to check') in chunk
    assert "bed-fresh" not in chunk and "1 open" not in chunk


def test_the_include_older_box_survives_a_quick_start(night_client):
    page = night_client.get("/?near=60540&stale=1&start=detox_now")
    assert "Old News Detox" in names(page)


# 3. Results hide below the form; nothing shows which search is active -----------------

def test_results_come_before_the_form_under_a_summary(night_client):
    html = night_client.get("/?near=60540&start=naloxone").get_data(as_text=True)
    assert html.index('id="results"') < html.index('<form class="search"')
    summary = re.search(r'<p class="search-summary">(.*?)</p>', html, re.S).group(1)
    assert "Naloxone · open now first · within 25 mi" in re.sub(r"<[^>]+>", "", summary)
    assert 'href="#search-form"' in summary
    assert re.search(r'value="naloxone" class="button quick-start active" aria-current="true"', html)
    assert html.count('aria-current="true"') == 1
    assert '<a class="skip" href="#places">Skip to results</a>' in html
    assert '<ol class="cards" id="places" tabindex="-1"' in html


# 4. Enter runs the wrong search ---------------------------------------------------------

def test_the_first_submit_button_is_the_plain_search(night_client):
    html = night_client.get("/?near=60540&start=naloxone").get_data(as_text=True)
    form = html[html.index('<form class="search"'):]
    first = re.search(r"<button[^>]*type=\"submit\"[^>]*>", form).group(0)
    assert "name=" not in first  # Enter sends the fields on screen, not a quick start
    # ...and those fields are the naloxone search itself.
    assert '<option value="naloxone" selected>' in form


def test_the_search_button_keeps_the_need_on_screen(night_client):
    page = night_client.get("/?near=60563&need=naloxone&radius=25&beds=&open_now=")
    assert set(names(page)) and all("Naloxone" in card_text(page, n) for n in names(page))


# 5. Online meetings cannot be joined ----------------------------------------------------

def test_online_meetings_have_a_join_button_and_passcode(night_client):
    page = night_client.get("/?near=60540&start=meetings_today")
    online = dict(cards(page))["Night Owls Online"]
    assert '<a class="button join" href="https://meet.example.org/j/123"' in online
    assert "Passcode: 4321" in online and 'href="tel:+13125550199"' in online
    assert "maps.apple.com" not in online  # nowhere to go for an online-only meeting
    hybrid = dict(cards(page))["Hybrid Late Group"]
    assert 'href="https://meet.example.org/j/222"' in hybrid and "maps.apple.com" in hybrid


def test_a_link_that_is_not_a_web_link_never_becomes_a_button(night_client):
    page = night_client.get("/?near=60540&start=meetings_today")
    chunk = dict(cards(page))["Last Call Online"]
    assert "javascript:" not in page.get_data(as_text=True)
    assert 'class="button join"' not in chunk and 'href="tel:+13125550188"' in chunk


# 6. Meetings today lists ended meetings, sorted by distance ----------------------------

def test_meetings_today_by_next_start_without_the_ended(night_client):
    page = night_client.get("/?near=60540&start=meetings_today")
    assert names(page) == ["Hybrid Late Group", "Night Owls Online", "Grupo Nueva Vida",
                           "Last Call Online"]
    assert "Online now · until 11:30 PM" in card_text(page, "Night Owls Online")
    assert "Starting soon · in 30 min" in card_text(page, "Grupo Nueva Vida")


def test_today_is_the_searchers_day_in_their_own_zone(night_client, night_app):
    # 00:30 Tuesday in Chicago is 23:30 Monday in Aurora, CO.
    night_app.config["PAGE_NOW"] = datetime(2026, 11, 24, 0, 30,
                                            tzinfo=ZoneInfo("America/Chicago"))
    denver = night_client.get("/?near=Aurora, CO&start=meetings_today")
    assert names(denver) == ["Mountain Time Monday Group"]
    chicago = night_client.get("/?near=60540&start=meetings_today")
    assert names(chicago) == ["Early Birds Tuesday"]  # already Tuesday there


def test_no_more_meetings_today_offers_tomorrow(night_client, night_app):
    night_app.config["PAGE_NOW"] = datetime(2026, 11, 24, 1, 30,
                                            tzinfo=ZoneInfo("America/Chicago"))
    page = night_client.get("/?near=60540&start=meetings_today&radius=5")
    assert names(page) == ["Early Birds Tuesday"]
    night_app.config["PAGE_NOW"] = datetime(2026, 11, 24, 9, 0,
                                            tzinfo=ZoneInfo("America/Chicago"))
    later = night_client.get("/?near=60540&start=meetings_today&radius=5")
    assert names(later) == [] and "No more meetings today" in text(later)
    link = re.search(r'<a href="([^"]+)">See tomorrow', later.get_data(as_text=True)).group(1)
    assert "day=3" in link and "need=meetings" in link


# 9. Naloxone cards: facts, "opens 9:00 AM", open ones first -----------------------------

def test_at_night_open_naloxone_sites_come_first(night_client):
    page = night_client.get("/?near=60540&start=naloxone")
    assert names(page)[:2] == ["Late Pharmacy", "Transit Center Naloxone Vending Machine"]
    assert names(page)[-2:] == ["Closed Corner Pharmacy", "Day Clinic Naloxone"]
    assert "Closed now · opens tomorrow 9:00 AM" in card_text(page, "Closed Corner Pharmacy")
    assert "Open now · until tomorrow 2:00 AM" in card_text(page, "Late Pharmacy")


def test_a_list_too_long_to_order_says_so(night_client, monkeypatch):
    from directory_service.web import results

    monkeypatch.setattr(results, "FETCH_LIMIT", 2)
    page = night_client.get("/?near=60540&start=naloxone")
    assert len(names(page)) == 2
    assert "Showing the first 2 of 5 places found." in text(page)


def test_naloxone_cards_carry_the_facts(night_client):
    page = night_client.get("/?near=60540&start=naloxone")
    machine = card_text(page, "Transit Center Naloxone Vending Machine")
    for fact in ("Free", "No prescription needed", "Vending machine", "Fentanyl test strips"):
        assert fact in machine
    assert "For a price" in card_text(page, "Closed Corner Pharmacy")


# 7. Print ---------------------------------------------------------------------------------

def test_printable_list_is_one_short_list_with_local_absolute_times(night_client):
    html_page = night_client.get("/?near=60540&start=detox_now")
    link = re.search(r'<a class="button" href="([^"]+)">Printable list',
                     html_page.get_data(as_text=True)).group(1).replace("&amp;", "&")
    page = night_client.get(link)
    html = page.get_data(as_text=True)
    assert "<form" not in html and 'class="print-view print-list"' in html
    body = text(page)
    # 11 p.m. on the 23rd in Chicago is already the 24th in UTC.
    assert "Printed 11:00 PM, Nov 23." in body and "Nov 24" not in body
    assert re.search(r"4 open for men \(as of \d+:\d\d [AP]M, Nov \d+\)", body)
    assert " ago" not in body
    assert len(re.findall(r"<li>", html)) <= 10


def test_print_view_of_one_place_uses_its_local_date(night_client):
    body = text(night_client.get("/r/night:fac-02/print"))
    assert "Printed 11:00 PM, Nov 23." in body
    assert re.search(r"4 open for men · as of \d+:\d\d [AP]M, Nov \d+", body)


# 10. Spanish --------------------------------------------------------------------------------

def test_language_badge_and_filter(night_client):
    page = night_client.get("/?near=60540&start=meetings_today")
    assert '<span class="badge lang-badge">In Spanish</span>' in dict(cards(page))["Grupo Nueva Vida"]
    spanish = night_client.get("/?near=60540&start=meetings_today&language=es")
    assert names(spanish) == ["Grupo Nueva Vida"]
    assert "Meetings today · in Spanish" in text(spanish)
    es = night_client.get("/?near=60540&start=meetings_today&lang=es")
    assert '<span class="badge lang-badge">En español</span>' in es.get_data(as_text=True)


def test_spanish_dates_and_times_are_localised(night_client):
    body = text(night_client.get("/r/night:nal-01?lang=es"))
    assert "Cerrado ahora · abre mañana a las 9:00" in body
    printed = text(night_client.get("/r/night:fac-02/print?lang=es"))
    assert "Impreso: 23:00, 23 nov." in printed


@pytest.mark.parametrize("path", ["/nope", "/r/", "/buscar?x=1", "/static/nope.css"])
def test_a_mistyped_page_url_is_a_page_in_the_visitors_language(night_client, path):
    response = night_client.get(path, headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html and "No encontramos esa página" in html
    english = night_client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert "We could not find that page" in english.get_data(as_text=True)


def test_api_paths_keep_problem_json(night_client):
    for path in ("/v1/nope", "/v1/resources/night:nope"):
        response = night_client.get(path, headers={"Accept-Language": "es"})
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert night_client.post("/v1/search").mimetype == "application/problem+json"


def test_a_wrong_method_on_the_page_is_a_page(night_client):
    response = night_client.post("/?lang=es")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "GET" in response.headers["Allow"]


def test_a_store_outage_on_the_page_is_a_page_not_json(night_client, night_app, monkeypatch):
    from directory_service.search.store import StoreUnavailable

    def down(query):
        raise StoreUnavailable("no index")

    monkeypatch.setattr(night_app.extensions["store"], "search", down)
    response = night_client.get("/?near=60540&start=naloxone&lang=es")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "El directorio no está disponible" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "5"

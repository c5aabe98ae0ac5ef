"""The public page through the Flask test client: no JavaScript, plain words, no cookies."""
import logging
import re

import pytest


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_empty_page_is_a_form_with_five_quick_starts(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    for words in ("Detox bed now", "Treatment", "Meetings today", "Naloxone", "Drop off medicines"):
        assert f">{words}</button>" in html
    assert 'for="near"' in html and 'id="near"' in html


def test_detox_bed_now_in_naperville_lists_open_beds_with_their_age(client):
    response = client.get("/?near=60540&start=detox_now")
    assert response.status_code == 200
    body = text(response)
    assert "places near 60540" in body
    # Each figure names its level of care and code, and who the beds are for.
    assert re.search(r"Beds: Detox, [a-z ]+ \((3\.2|3\.7|4)-WM\): \d+ open for "
                     r"(men|women|any adult) · \d+ (min|h|days?) ago", body)
    html = response.get_data(as_text=True)
    # has_open_beds keeps only places with a known open bed: every card names one.
    cards = html.split('<li class="card">')[1:]
    assert cards and all(re.search(r'class="bed bed-(fresh|aging)"><span class="bed-level-name">'
                                   r'[^<]+-WM\):</span> \d+ open', c) for c in cards)
    assert re.search(r'href="tel:\+1\d{10}"', html)
    assert "https://maps.apple.com/?daddr=" in html
    # The quick start shows up as the filters a person would have set by hand.
    assert '<option value="detox" selected>' in html
    assert 'id="beds" name="beds" value="1" checked' in html


def test_unknown_beds_read_as_unknown_never_zero(client):
    body = text(client.get("/?near=60540&need=treatment&radius=50"))
    assert "Beds: unknown — call" in body
    assert "Beds: 0 open" not in body


def test_meetings_today_filters_to_todays_meetings(client, app):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # Wednesday 9 a.m. in Chicago: the seed has meetings left that day.
    app.config["PAGE_NOW"] = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    body = text(client.get("/?near=Chicago, IL&start=meetings_today&radius=50"))
    shown = re.findall(r"(Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday) · ", body)
    assert shown and set(shown) == {"Wednesday"}


def test_no_insurance_means_uninsured_payment(client):
    html = client.get("/?near=60540&need=treatment&payment=uninsured").get_data(as_text=True)
    assert '<option value="uninsured" selected>No insurance</option>' in html


@pytest.mark.parametrize("query, field, words", [
    ("near=z", "near", "Enter a 5-digit ZIP code"),
    ("near=zz", "near", "We could not find that place"),
    ("near=99999", "near", "We could not find that place"),
    ("need=detox", "near", "Enter a 5-digit ZIP code"),
    ("near=60540&payment=gold", "payment", "Please choose one of the options"),
    ("near=60540&radius=7", "radius", "Please choose one of the options"),
])
def test_bad_input_rerenders_the_form_with_the_error_beside_the_field(client, query, field, words):
    response = client.get("/?" + query)
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error">{words}' in html
    assert f'aria-describedby="{field}-error' in html


def test_unknown_parameter_is_refused_in_plain_words(client):
    response = client.get("/?near=60540&ditance=5")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "parts we do not understand" in text(response)


def test_detail_and_print_pages(client):
    detail = client.get("/r/seed:fac-001")
    assert detail.status_code == 200
    assert "Crossroads Recovery Center" in text(detail)
    assert 'href="/r/seed:fac-001/print"' in detail.get_data(as_text=True)
    printed = client.get("/r/seed:fac-001/print")
    assert printed.status_code == 200 and 'class="print-view"' in printed.get_data(as_text=True)
    assert "please call before you go" in text(printed)
    assert 'class="print-view"' in client.get("/r/seed:fac-001?print=1").get_data(as_text=True)


def test_unknown_resource_is_a_page_not_json(client):
    response = client.get("/r/seed:nope")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_page_sets_no_cookie_and_forbids_third_party_loads(client):
    response = client.get("/?near=60540&start=naloxone")
    assert "Set-Cookie" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "https:" not in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    # Every stylesheet, script and image is ours; outbound links are plain links only.
    for attr in re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html):
        assert attr.startswith("/"), attr


def test_precise_location_never_reaches_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    precise = ("41.750834", "-88.153521")
    client.get(f"/?lat={precise[0]}&lon={precise[1]}&start=naloxone")
    client.get(f"/v1/search?lat={precise[0]}&lon={precise[1]}&kind=naloxone_site")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "search kinds=" in logged  # the searches were logged, coarsely
    for digits in ("41.75083", "41.7508", "88.15352", "88.1535"):
        assert digits not in logged


def test_a_point_search_is_coarsened_before_it_is_used(client):
    response = client.get("/?lat=41.750834&lon=-88.153521&start=naloxone")
    assert "places near your location" in text(response)
    html = response.get_data(as_text=True)
    assert 'name="lat" id="lat" value="41.75"' in html
    assert "41.750834" not in html


def test_a_city_alone_offers_the_other_places_of_that_name(client):
    response = client.get("/?near=Aurora&start=naloxone")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The seed directory is around Chicago: Aurora, IL first (tests/test_service_region.py).
    assert "places near Aurora, IL" in text(response)
    link = re.search(r'<a href="([^"]+)">Aurora, CO</a>', html)
    assert link and "start=naloxone" in link.group(1)
    chosen = client.get(link.group(1).replace("&amp;", "&"))
    assert "places near Aurora, CO" in text(chosen) and "Aurora, CO</a>" not in chosen.get_data(
        as_text=True)


def test_a_misspelt_or_ambiguous_place_offers_choices_in_spanish_too(client):
    response = client.get("/?near=Napervile%2C+IL&lang=es")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "¿Quiso decir:" in html and ">Naperville, IL</a>" in html
    assert "Springfield, MO</a>" in client.get("/?near=Springfield").get_data(as_text=True)


def test_readme_shows_the_phone_and_print_screenshots():
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    shown = re.findall(r"\]\((docs/screenshot-[\w-]+\.png)\)", readme)
    assert {"docs/screenshot-phone-detox.png", "docs/screenshot-print-list.png"} <= set(shown)
    for path in shown:
        assert os.path.getsize(os.path.join(root, path)) > 10_000, path


def test_call_links_dial_the_number_written_with_its_extension(tmp_path):
    # The page's tel: links read a phone as the compact view does (phones.py): the
    # extension is kept apart, the helpline's letters are dialled, and a text that holds
    # no number is shown without a link — never a "number" made of all its digits.
    from tests import factories
    from tests.test_live_support import make_app

    records = [factories.facility("x", km=1, phones={
        "intake": "(630) 555-0100 ext. 12", "hotline": "1-800-662-HELP (4357)",
        "main": "call the front desk"})]
    client = make_app(tmp_path, records).test_client()
    html = client.get("/r/" + records[0]["id"]).get_data(as_text=True)
    assert 'href="tel:+16305550100;ext=12"' in html
    assert 'href="tel:+18006624357"' in html
    assert "call the front desk" in html
    assert not re.search(r'href="tel:\+?6305550100(12)', html)
    # The record's own: those two (911 and 988 are the page's crisis line, on every page).
    assert len(re.findall(r'class="button call" href="tel:', html)) == 2

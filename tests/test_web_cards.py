"""Issue 21 through the Flask test client: what a person needs to choose is on each card
(payment, meeting types, take-back receptacle), "Send" hands over only the public link,
and a search without insurance lists free and reduced-cost care before self-pay only."""
import re
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

from zoneinfo import ZoneInfo

import pytest

from directory_service import vocab

CHICAGO = ZoneInfo("America/Chicago")
REDUCED = {"free", "sliding_fee", "payment_assistance", "state_funded"}


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def cards(html):
    return html.split('<li class="card">')[1:]


def self_pay_only(record):
    return not (set(record["payment"]) & REDUCED)


@pytest.mark.parametrize("near", ["60540", "Aurora, IL", "Joliet, IL", "Chicago, IL"])
def test_api_uninsured_lists_reduced_cost_before_self_pay_only(client, near):
    body = client.get("/v1/search", query_string={
        "near": near, "kind": "treatment_facility", "payment": "uninsured",
        "per_page": 50}).get_json()
    tiers = [self_pay_only(hit["record"]) for hit in body["results"]]
    assert True in tiers and False in tiers, "the seed has both kinds near " + near
    assert tiers == sorted(tiers), [hit["name"] for hit in body["results"]]
    # Inside each tier the order is still the documented score order.
    scores = [hit["score"] for hit in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_page_no_insurance_lists_reduced_cost_first_with_the_words(client):
    warned = []
    for page in range(1, 6):
        html = client.get(f"/?near=60540&need=treatment&payment=uninsured&page={page}"
                          ).get_data(as_text=True)
        pays = [text(re.search(r'<p class="pay">(.*?)</p>', c).group(1)) for c in cards(html)]
        assert all(re.search(r"Free|Sliding scale fee|Payment help|State funded", p)
                   for p in pays if "Without insurance: full price only" not in p)
        warned += ["Without insurance: full price only" in p for p in pays]
    assert warned == sorted(warned) and True in warned and False in warned


def test_payment_words_on_cards_and_detail(client):
    html = client.get("/?near=60540&need=treatment&radius=50").get_data(as_text=True)
    pays = [text(m) for m in re.findall(r'<p class="pay">(.*?)</p>', html)]
    assert any(p.startswith(" Payment: Free") or "Payment: Free" in p for p in pays)
    assert any("Sliding scale fee" in p for p in pays)
    # A facility that also takes Medicaid but has no reduced-cost care for the uninsured
    # still says plainly that without insurance it is full price.
    assert any("Medicaid" in p and "Without insurance: full price only" in p for p in pays)
    detail = text(client.get("/r/seed:fac-001").get_data(as_text=True))
    assert re.search(r"Payment: [A-Z]", detail)


def test_spanish_payment_words(client):
    html = client.get("/?near=60540&need=treatment&radius=50&lang=es").get_data(as_text=True)
    body = text(html)
    assert "Pago:" in body and "Sin seguro: solo a precio completo" in body
    assert "Without insurance" not in body


def test_meeting_cards_show_fellowship_and_types_in_words(client, app):
    # "Meetings" lists by next start: the page's clock decides which ten come first.
    app.config["PAGE_NOW"] = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    html = client.get("/?near=Joliet, IL&need=meetings&radius=50").get_data(as_text=True)
    tags = [text(t) for t in re.findall(r'<ul class="tags meeting-types">(.*?)</ul>', html)]
    assert len(tags) == len(cards(html)) > 0
    joined = " | ".join(tags)
    assert "Alcoholics Anonymous (AA)" in joined
    assert re.search(r"Open: anyone may attend|Closed: for people", joined)
    assert "Women" in joined and "Wheelchair access" in joined


def test_meeting_type_filter_on_the_page_keeps_only_that_type(client, app):
    html = client.get("/?near=Joliet, IL&need=meetings&radius=50&type=W").get_data(as_text=True)
    store = app.extensions["store"]
    ids = re.findall(r'href="/r/([^"?]+)"', html)
    assert ids
    assert all("W" in store.get(unquote(i))["types"] for i in dict.fromkeys(ids))
    assert "Women" in text(re.search(r'class="search-words">(.*?)</span>', html).group(1))
    # The filter alone asks for meetings, and pages keep it.
    alone = client.get("/?near=Joliet, IL&radius=50&type=X").get_data(as_text=True)
    assert set(re.findall(r'<span class="kind">(.*?)</span>', alone)) == {"Meeting"}
    refused = client.get("/?near=60540&type=Q")
    assert refused.status_code == 422
    assert '<a href="#type">Please choose one of the options in the list.</a>' in \
        refused.get_data(as_text=True)


def test_takeback_cards_show_receptacle_and_what_is_taken(client):
    html = client.get("/?near=60563&start=takeback&radius=5").get_data(as_text=True)
    facts = [text(f) for f in re.findall(r'<ul class="tags takeback-facts">(.*?)</ul>', html)]
    assert len(facts) == len(cards(html)) > 0
    joined = " | ".join(facts)
    assert "Free mail-back envelope" in joined
    assert re.search(r"Drop-off box \(kiosk\)|Hand in at the counter|Only on take-back days",
                     joined)
    assert "Takes: Pills" in joined
    detail = text(client.get("/r/seed:tkb-001").get_data(as_text=True))
    assert "How: Free mail-back envelope" in detail


def test_online_meetings_have_no_distance_and_meetings_are_counted_as_meetings(client):
    html = client.get("/?near=Joliet, IL&need=meetings&attendance=online").get_data(as_text=True)
    assert re.search(r'id="results-title">\d+ meetings near Joliet, IL<', html)
    for card in cards(html):
        if "Online</p>" in card or " · Online" in card:
            assert " mi away" not in card
    online = [c for c in cards(html) if re.search(r'class="meta">.*? · Online', c)]
    assert online
    es = client.get("/?near=Joliet, IL&need=meetings&lang=es").get_data(as_text=True)
    assert re.search(r'id="results-title">\d+ reuniones cerca de Joliet, IL<', es)


@pytest.mark.parametrize("path", ["/?near=60540&start=naloxone", "/r/seed:fac-001",
                                  "/?near=Joliet, IL&need=meetings&lat=41.5&lon=-88.08"])
def test_send_links_carry_only_the_public_link(client, path):
    html = client.get(path).get_data(as_text=True)
    links = re.findall(r'href="((?:sms|mailto):[^"]+)"', html)
    # Every card (or the one record) has its own Send.
    assert html.count('<details class="send') == max(1, len(cards(html))) == len(links) / 2
    for link in links:
        link = link.replace("&amp;", "&")
        sent = " ".join(v for values in parse_qs(urlsplit(link).query).values() for v in values)
        urls = re.findall(r"https?://\S+", sent)
        assert len(urls) == 1 and re.fullmatch(r"http://localhost/r/[^?#\s]+", urls[0]), sent
        assert "60540" not in sent and "41.5" not in sent and "lat" not in sent
    copied = re.findall(r'class="send-link" id="[^"]+" type="text" readonly value="([^"]+)"', html)
    assert copied and all(re.fullmatch(r"http://localhost/r/[^?#]+", u) for u in copied)


def test_time_filters_use_the_results_clock_format(client):
    es = client.get("/?near=60540&start=meetings_today&lang=es").get_data(as_text=True)
    assert '<option value="17:00">Después de las 17:00</option>' in es
    assert "p. m." not in es
    en = client.get("/?near=60540&start=meetings_today").get_data(as_text=True)
    assert '<option value="17:00">After 5:00\u202fPM</option>' in en or \
        '<option value="17:00">After 5:00 PM</option>' in en


def test_every_meeting_type_filter_is_a_meeting_guide_code():
    from directory_service.web import labels, search_form
    assert set(search_form.MEETING_TYPES) == set(labels.TYPE_FILTERS)
    assert set(search_form.MEETING_TYPES) <= set(vocab.MEETING_TYPES)
    assert set(labels.MEETING_TYPES) <= set(vocab.MEETING_TYPES)


@pytest.mark.parametrize("now, expected", [
    (datetime(2026, 11, 23, 23, 0, tzinfo=CHICAGO), "Next: April 24, 2027"),
    (datetime(2027, 4, 24, 23, 30, tzinfo=CHICAGO), "Next: April 24, 2027"),
    (datetime(2027, 5, 1, 9, 0, tzinfo=CHICAGO), "Next: October 30, 2027"),
    (datetime(2027, 11, 1, 9, 0, tzinfo=CHICAGO), None)])
def test_event_only_sites_name_their_next_take_back_day(client, app, now, expected):
    app.config["PAGE_NOW"] = now
    detail = text(client.get("/r/seed:tkb-002").get_data(as_text=True))
    assert "How: Only on take-back days" in detail
    html = client.get("/?near=60173&start=takeback&radius=5").get_data(as_text=True)
    site = next(c for c in cards(html) if "Hope Springs Senior Center" in c)
    facts = text(re.search(r'<ul class="tags takeback-facts">(.*?)</ul>', site).group(1))
    if expected:
        assert expected in detail and expected in facts
    else:
        assert "Next:" not in detail and "Next:" not in facts

"""Issue 21, items 2, 3 and 10: a bed figure is always for one level of care and one
population, and one freshness rule judges a facility on every surface.

Two Levels Detox (tests/mixed_ages.py) has 1 open 3.7-WM bed for men reported 20 min ago
and 4 open 3.2-WM beds for men reported 14 h ago. Every surface must name both figures
apart, never show "5" to a person, and judge the facility as old as its 14-hour figure.
"""
import re

import pytest

from directory_service import create_app
from directory_service.api import http_cache
from directory_service.config import Settings
from tests import mixed_ages as mix
from tests.staff_client import make_key, page_token, sign_in
from tests.test_web_night import card_text, cards

FOURTEEN_H = 14 * 3600
NEAR = "near=60540&radius=25&unit=mi"
NEEDS = {"near": "60540", "level_of_care": "detox", "gender": "men", "age": 30,
         "max_distance": 25}


@pytest.fixture(scope="module")
def mixed_app(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mixed")
    settings = Settings.from_env(store_path=mix.build_store(directory),
                                 availability_path=str(directory / "availability.sqlite"))
    app = create_app(settings)
    app.config.update(TESTING=True, PAGE_NOW=mix.NOW)
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(mixed_app, monkeypatch):
    # The API's clock (search and match answers) at the scenario's moment.
    monkeypatch.setattr(http_cache, "utcnow", lambda: mix.NOW)
    return mixed_app.test_client()


def staff(app, role):
    client = app.test_client()
    sign_in(client, make_key(app, role))
    return client


def plain(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def by_id(results, rid):
    return next(r for r in results if r["id"] == rid)


def test_a_search_hit_is_as_fresh_as_its_oldest_figure_and_keeps_each_row_apart(client):
    body = client.get(f"/v1/search?{NEAR}&level_of_care=detox&gender=men").get_json()
    hit = by_id(body["results"], mix.TWO_LEVELS)
    assert hit["beds_open"]["freshness"] == "aging"
    assert FOURTEEN_H <= hit["beds_open"]["age_seconds"] < FOURTEEN_H + 60
    rows = {r["level_of_care"]: r for r in hit["record"]["beds"]}
    assert (rows["3.7-WM"]["freshness"], rows["3.2-WM"]["freshness"]) == ("fresh", "aging")


def test_the_compact_view_keeps_levels_apart_and_judges_by_the_oldest(client):
    body = client.get(f"/v1/search?{NEAR}&level_of_care=detox&view=compact").get_json()
    hit = by_id(body["results"], mix.TWO_LEVELS)
    assert hit["beds_open"]["freshness"] == "aging"
    assert sorted((b["level_of_care"], b["population"], b["open"], b["freshness"])
                  for b in hit["beds"]) == [("3.2-WM", "adult_men", 4, "aging"),
                                            ("3.7-WM", "adult_men", 1, "fresh")]


def test_a_match_lists_the_figures_it_adds_up_and_is_as_old_as_the_oldest(client):
    body = client.post("/v1/match", json=NEEDS).get_json()
    result = by_id(body["results"], mix.TWO_LEVELS)
    assert result["beds_open"]["freshness"] == "aging"
    assert FOURTEEN_H <= result["beds_open"]["age_seconds"] < FOURTEEN_H + 60
    assert sorted((b["level_of_care"], b["open"], b["freshness"]) for b in result["beds"]) == [
        ("3.2-WM", 4, "aging"), ("3.7-WM", 1, "fresh")]
    # One distance for one place: the reason says what distance_mi says.
    assert f"distance: {result['distance_mi']:.1f} mi" in " ".join(result["met"])


def test_a_fresh_open_bed_is_not_hidden_by_a_stale_figure_beside_it(client):
    result = by_id(client.post("/v1/match", json=NEEDS).get_json()["results"], mix.HALF_STALE)
    # The facility is as old as its oldest figure, yet its fresh bed is a bed.
    assert result["beds_open"]["freshness"] == "stale"
    assert "open_beds: 5 open, stale" in result["met"]
    assert sorted((b["level_of_care"], b["freshness"]) for b in result["beds"]) == [
        ("3.2-WM", "stale"), ("3.7-WM", "fresh")]
    # The public page's "Detox bed now" keeps it too, and says which figure is old.
    card = card_text(client.get("/?near=60540&start=detox_now"), "Half Stale Detox")
    assert "Detox, medically monitored (3.7-WM): 1 open for men · 30 min ago" in card
    assert ("Detox, residential (3.2-WM): figure for men is 30 h old — call to check"
            in card)


def test_the_public_card_names_each_level_and_never_adds_them_up(client):
    page = client.get("/?near=60540&need=detox&radius=25")
    card = card_text(page, "Two Levels Detox")
    assert f"{mix.MONITORED} · 20 min ago" in card
    assert f"{mix.RESIDENTIAL} · 14 h ago" in card
    assert "5 open" not in card
    html = dict(cards(page))["Two Levels Detox"]
    # Each line keeps its own age: the fresh one looks fresh, the old one does not.
    assert re.search(r'class="bed bed-fresh"><span class="bed-level-name">Detox, medically '
                     r'monitored \(3\.7-WM\):</span> 1 open', html)
    assert re.search(r'class="bed bed-aging"><span class="bed-level-name">Detox, '
                     r'residential \(3\.2-WM\):</span> 4 open', html)


def test_an_unknown_mens_row_does_not_contradict_an_any_adult_figure(client):
    card = card_text(client.get("/?near=60540&need=detox&radius=25"), "Any Adult Detox")
    adults = "Detox, medically monitored (3.7-WM): 5 open for any adult"
    men = "Detox, medically monitored (3.7-WM): men-only beds not reported — call"
    assert adults in card and men in card and card.index(adults) < card.index(men)
    assert "unknown — call" not in card


def test_the_print_list_names_each_level(client):
    body = plain(client.get("/?near=60540&need=detox&radius=25&print=1")
                 .get_data(as_text=True))
    start = body.index("Two Levels Detox (630)")
    entry = body[start:body.index("Private:", start)]
    assert re.search(re.escape(mix.MONITORED) + r" \(as of 10:10\W?PM, Nov 23\)", entry)
    assert re.search(re.escape(mix.RESIDENTIAL) + r" \(as of 8:30\W?AM, Nov 23\)", entry)
    assert "5 open" not in entry


def test_the_print_view_names_each_level_with_its_code(client):
    body = plain(client.get(f"/r/{mix.TWO_LEVELS}/print").get_data(as_text=True))
    assert "Detox, medically monitored (3.7-WM) 1 open for men" in body
    assert "Detox, residential (3.2-WM) 4 open for men" in body


def test_the_coach_list_names_each_level_and_the_oldest_figure(mixed_app, client):
    coach = staff(mixed_app, "coach")
    _html, csrf = page_token(coach, "/staff/coach")
    form = {**{k: str(v) for k, v in NEEDS.items()}, "csrf_token": csrf}
    html = coach.post("/staff/coach", data=form).get_data(as_text=True)
    match = re.search(r'<li class="match"[^>]*>\s*<h3><a href="/r/mix:fac-01">.*?</li>\s*'
                      r'(?=<li class="match|</ol>)', html, re.S).group(0)
    text = plain(match)
    assert f"{mix.MONITORED} · 20 min ago" in text
    assert f"{mix.RESIDENTIAL} · 14 h ago" in text
    assert "oldest figure: aging · 14 h ago" in text
    assert not re.search(r"\b5 (beds )?open", text)
    # The hold forms name the figure they hold from the same way.
    assert re.findall(r'<p class="hold-what">([^<]+)</p>', match) == [
        "Detox, medically monitored (3.7-WM) · Adult men: 1 open",
        "Detox, residential (3.2-WM) · Adult men: 4 open"]


def test_a_coach_card_gives_one_distance(mixed_app, client):
    coach = staff(mixed_app, "coach")
    _html, csrf = page_token(coach, "/staff/coach")
    form = {**{k: str(v) for k, v in NEEDS.items()}, "csrf_token": csrf}
    html = coach.post("/staff/coach", data=form).get_data(as_text=True)
    matches = html.split('<li class="match')[1:]
    assert len(matches) == 5
    for match in matches:
        # The figure line and the "Meets" reason print the same number.
        assert len(set(re.findall(r"(\d+\.\d) mi\b", plain(match)))) == 1, plain(match)
    edge = next(m for m in matches if "Edge Detox" in m)
    assert "1.5 mi" in plain(edge) and "1.6" not in plain(edge)


def test_the_admin_board_puts_a_facility_with_one_old_row_on_top(mixed_app, client):
    html = staff(mixed_app, "admin").get("/staff/admin").get_data(as_text=True)
    rows = re.findall(r'<tr class="row-(\w+)">\s*<th scope="row"><a href="/staff/facilities/'
                      r'([^"]+)">.*?<td>(.*?)</td>', html, re.S)
    assert [(rid, state) for state, rid, _ in rows] == [
        (mix.HALF_STALE, "stale"), (mix.TWO_LEVELS, "aging"), (mix.ANY_ADULT, "fresh"),
        (mix.FRESH, "fresh"), (mix.EDGE, "fresh")]
    assert "aging · 14 h ago" in plain(rows[1][2])
    # A row never reported does not make the facility "never reported", but is counted.
    assert "1 row never reported" in plain(rows[2][2])


def test_in_spanish_each_level_is_named_too(client):
    card = card_text(client.get("/?near=60540&need=detox&radius=25&lang=es"),
                     "Two Levels Detox")
    assert "Desintoxicación con supervisión médica (3.7-WM): 1 libre para hombres" in card
    assert "Desintoxicación residencial (3.2-WM): 4 libres para hombres" in card
    other = card_text(client.get("/?near=60540&need=detox&radius=25&lang=es"), "Any Adult Detox")
    assert "(3.7-WM): camas solo para hombres sin datos — llame" in other

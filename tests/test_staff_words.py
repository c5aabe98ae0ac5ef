"""The staff pages say the API's reasons as sentences in the page's language.

One source, two renderings: match.reasons / availability.hold_reasons carry the data, the
API's `met` / `unmet` and hold `reason` text stays exactly as it was (its contract), and
the coach and facility pages translate the same data (web/staff/words.py).
"""
import re
from types import SimpleNamespace

import pytest

from directory_service.availability import hold_reasons, match
from directory_service.web.staff import words
from tests.staff_client import notices, page_token, VERSION
# The signed-in clients of the staff page tests.
from tests.test_staff_pages import coach, facility  # noqa: F401

FAC = "/staff/facilities/seed:fac-001"
API_PREFIX = re.compile(r"\b(level_of_care|payment|gender|age|moud|veterans|"
                        r"pregnant_postpartum|language|distance|open_beds|intake_24_7):")
EXPLAIN = re.compile(r'<div class="explain">(.*?)</div>', re.S)

NEEDS = {"level_of_care": "detox", "payer": "uninsured", "gender": "men", "age": 30,
         "moud": "methadone", "veteran": True, "pregnant": True, "language": "vi",
         "max_distance": 25, "unit": "mi", "include_stale": False}
RECORD = {"levels_of_care": ["3.7-WM", "3.5"], "payment": ["sliding_fee", "medicaid"],
          "medications": ["buprenorphine"], "languages": ["en", "es"],
          "populations": {"genders": "any", "min_age": 18, "veterans": True}}
QUERY = SimpleNamespace(levels=("3.7-WM", "3.2-WM"), payment=("sliding_fee", "free"))
HIT = SimpleNamespace(record=RECORD, distance_m=3380.0)


def test_the_api_sentences_are_exactly_as_before():
    met, unmet = match.explain(NEEDS, QUERY, HIT, {"open": 3, "freshness": "fresh"})
    assert met == ["level_of_care: offers 3.7-WM",
                   "payment: accepts sliding_fee (uninsured)",
                   "gender: serves men (any)",
                   "age: 18-any includes 30",
                   "moud: accepts clients on methadone",
                   "veterans: has veterans programme",
                   "distance: 2.1 mi (within 25 mi)",
                   "open_beds: 3 open, fresh"]
    assert unmet == ["moud: methadone not dispensed on site",
                     "pregnant_postpartum: no pregnancy/postpartum programme",
                     "language: does not list vi"]
    _met, unmet = match.explain({**NEEDS, "include_stale": True}, QUERY, HIT,
                                {"open": 0, "freshness": "stale"})
    assert unmet[-1] == "open_beds: none known open (stale)"
    assert match.api_line(match.FALLBACK_ITEM) == ("intake_24_7: takes people around the "
                                                  "clock; call first")


def _every_item():
    items = match.reasons(NEEDS, QUERY, HIT, {"open": 3, "freshness": "fresh"})
    items += match.reasons({**NEEDS, "age": 15}, QUERY,
                           SimpleNamespace(record={**RECORD, "populations": {"max_age": 17}},
                                           distance_m=100.0), {"open": None,
                                                               "freshness": "unknown"})
    return items + [dict(match.FALLBACK_ITEM)]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_reason_has_a_sentence_of_its_own(app, lang):
    items = _every_item()
    assert {i["field"] for i in items} >= {"level_of_care", "payment", "gender", "age", "moud",
                                           "veterans", "pregnant_postpartum", "language",
                                           "distance", "open_beds", "intake_24_7"}
    with app.test_request_context(f"/staff/coach?lang={lang}"):
        said = [words.match_reason(i) for i in items]
    for item, sentence in zip(items, said):
        assert sentence != match.api_line(item)
        assert not API_PREFIX.search(sentence), sentence
    if lang == "es":
        assert said[0] == "Ofrece Desintoxicación con supervisión médica (3.7-WM)"
        assert "A 2,1 millas (pidió hasta 25 millas)" in said
        assert "Una cama libre que le sirve (dato más antiguo: reciente)" in said
        assert "No indica que hablen vietnamita" in said
        assert "Recibe a cualquier hora: llame antes" in said
    else:
        assert "2.1 mi away (you asked within 25 mi)" in said
        assert "Ages 18 and up, so 30 fits" in said and "Ages 0 to 17, so 15 fits" in said


def test_hold_reasons_read_back_what_they_wrote():
    fewer = hold_reasons.fewer_than_held(1, "3.7-WM", "adult_men", "2026-11-23T22:00:00Z", 3)
    assert fewer == ("released: the facility reported 1 open 3.7-WM bed for adult_men at "
                     "2026-11-23T22:00:00Z, fewer than the 3 held; the newest holds were "
                     "released first. Call intake or hold a bed elsewhere.")
    assert hold_reasons.parse(fewer) == {"kind": "fewer_than_held", "open": 1,
                                         "level": "3.7-WM", "population": "adult_men",
                                         "at": "2026-11-23T22:00:00Z", "held": 3}
    gone = hold_reasons.bed_gone("3.5", "adult_any", "full", None, "2026-11-23T22:00:00Z")
    assert hold_reasons.parse(gone)["kind"] == "bed_gone"
    assert hold_reasons.parse(hold_reasons.already("h_1", "released", gone)) == {
        "kind": "already", "hold": "h_1", "state": "released", "reason": gone}
    assert hold_reasons.parse(hold_reasons.not_confirmed("h_1", gone))["reason"] == gone
    assert hold_reasons.parse(hold_reasons.expired("h_1", "x"))["kind"] == "expired"
    assert hold_reasons.parse("something else") is None


def test_an_unknown_reason_is_shown_as_it_is(app):
    with app.test_request_context("/staff/coach?lang=es"):
        assert words.hold_reason("the facility closed") == "the facility closed"




def _match_page(client, lang, **extra):
    _html, csrf = page_token(client, f"/staff/coach?lang={lang}")
    needs = {"csrf_token": csrf, "near": "60540", "level_of_care": "3.7-WM",
             "payer": "uninsured", "gender": "men", "age": "30", "max_distance": "25",
             "moud": "methadone", "veteran": "1", "language": "vi", **extra}
    response = client.post(f"/staff/coach?lang={lang}", data=needs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_coach_page_shows_no_api_sentences(coach, lang):
    html = _match_page(coach, lang)
    explained = EXPLAIN.findall(html)
    assert explained and not any(API_PREFIX.search(part) for part in explained)


def test_the_spanish_coach_page_gives_spanish_reasons(coach, app):
    html = _match_page(coach, "es")
    assert '<html lang="es">' in html
    assert "Recibe hombres" in html and "Recibe a personas que toman metadona" in html
    assert "Una cama libre que le sirve (dato más antiguo: reciente)" in html
    assert "Desintoxicación con supervisión médica (3.7-WM):</span> 4 libres para hombres" in html
    assert "No indica que hablen vietnamita" in html  # an unmet preference
    assert "dispensed on site" not in html and "open, fresh" not in html
    # ... while the API answers the same needs with its own text, unchanged.
    api = app.test_client().post("/v1/match", json={
        "near": "60540", "level_of_care": "3.7-WM", "payer": "uninsured", "gender": "men",
        "age": 30, "max_distance": 25, "moud": "methadone", "veteran": True,
        "language": "vi"}).get_json()
    hit = next(r for r in api["results"] if r["id"] == "seed:fac-001")
    assert "open_beds: 4 open, fresh" in hit["met"]
    assert "language: does not list vi" in hit["unmet"]
    assert "reasons" not in hit  # the data behind the page is not part of the API


def _report(client, lang, **fields):
    html, csrf = page_token(client, f"{FAC}?lang={lang}")
    data = {"csrf_token": csrf, "version": VERSION.search(html).group(1),
            "level_of_care": "3.7-WM", "population": "adult_men", "capacity": "12",
            "available": "4", "status": "open", **fields}
    response = client.post(f"{FAC}/rows?lang={lang}", data=data)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_released_hold_says_why_in_spanish(coach, facility, app):
    _html, csrf = page_token(coach, "/staff/coach?lang=es")
    coach.post("/staff/coach/holds?lang=es", data={
        "csrf_token": csrf, "facility_id": "seed:fac-001", "level_of_care": "3.7-WM",
        "population": "adult_men", "minutes": "60"})
    hold_id = re.search(r'id="hold-(h_[0-9a-f]+)"',
                        coach.get("/staff/coach").get_data(as_text=True)).group(1)
    _report(facility, "es", available="0", status="full")
    html = coach.get("/staff/coach?lang=es").get_data(as_text=True)
    reason = re.search(r'<p class="reason">([^<]+)</p>', html).group(1)
    assert reason.startswith("Liberada: el centro informó 0 camas libres (camas de "
                             "Desintoxicación")
    assert "released:" not in html and "adult_men" not in reason
    english = coach.get("/staff/coach").get_data(as_text=True)
    assert "Released: the facility reported 0 open beds (Detox, medically monitored beds "\
           "for adult men)" in english
    # The API answers the same hold with its own sentence, unchanged.
    api = app.test_client().get("/v1/holds", headers={"Authorization": f"Bearer {coach.key}"})
    [hold] = [h for h in api.get_json()["holds"] if h["id"] == hold_id]
    assert hold["reason"].startswith("released: the facility reported 0 open 3.7-WM beds "
                                     "for adult_men at ")


def test_a_decision_on_a_released_hold_is_explained(coach, facility):
    _html, csrf = page_token(coach, "/staff/coach")
    coach.post("/staff/coach/holds", data={
        "csrf_token": csrf, "facility_id": "seed:fac-001", "level_of_care": "3.7-WM",
        "population": "adult_men", "minutes": "60"})
    hold_id = re.search(r'id="hold-(h_[0-9a-f]+)"',
                        coach.get("/staff/coach").get_data(as_text=True)).group(1)
    _report(facility, "es", available="0", status="full")
    _html, fcsrf = page_token(facility, f"{FAC}?lang=es")
    done = facility.post(f"/staff/holds/{hold_id}/confirm?lang=es",
                         data={"csrf_token": fcsrf, "next": FAC})
    html = facility.get(done.headers["Location"] + "?lang=es").get_data(as_text=True)
    said = dict((k, t) for k, t in notices(html)).get("error", "")
    assert said.startswith("No se pudo cambiar esta reserva. Esta reserva ya está: "
                           "Liberada. Liberada: el centro informó 0 camas libres")


@pytest.mark.parametrize("fields, sentence", [
    ({"available": "13"}, "Camas libres: No puede haber más camas libres que la capacidad."),
    ({"available": "2.5"}, "Camas libres: Escriba un número entero (escribió &#39;2.5&#39;)."),
    ({"note": "call Maria at 630-555-0199"}, "Nota: La nota parece contener datos personales"),
    ({"capacity": "20000"}, "Capacidad: Escriba un número de 0 a 10000."),
])
def test_a_refused_report_names_the_row_and_field_in_spanish(facility, fields, sentence):
    html = _report(facility, "es", **fields)
    [(kind, text)] = notices(html)
    assert kind == "error"
    assert text.startswith("No se guardó (Desintoxicación con supervisión médica · "
                           "Hombres adultos). ")
    assert sentence in text and "available" not in text


def test_a_refused_report_in_english_reads_as_words(facility):
    [(_kind, text)] = notices(_report(facility, "en", available="13"))
    assert text == ("Not saved (Detox, medically monitored · Adult men). Open beds: There "
                    "cannot be more open beds than the capacity.")

"""Codes from the fixed lists (kind, payment, attendance, fellowship, levels of care…) are
read in any case and with any word separator, as coaches' apps and hand-edited URLs send
them; anything that is not one of the codes is still refused with the list."""
from datetime import datetime, timezone

import pytest

from directory_service import vocab
from directory_service.api import http_cache
from directory_service.schemas.codes import Code, code_key, spellings


@pytest.fixture(autouse=True)
def _one_moment(request, monkeypatch):
    """Two answers compared are made at one moment: ranking fades bed figures with the
    clock, so on a busy machine seconds between them could reorder close scores."""
    if "client" not in request.fixturenames:
        return
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    monkeypatch.setattr(http_cache, "utcnow", lambda: moment)
    request.getfixturevalue("app").config["PAGE_NOW"] = moment


def _ids(answer):
    assert answer.status_code == 200, answer.get_json()
    return [r["id"] for r in answer.get_json()["results"]]


@pytest.mark.parametrize("typed, code", [
    ("Meeting", "meeting"), ("MEETING", "meeting"), (" meeting ", "meeting"),
    ("Treatment Facility", "treatment_facility"), ("treatment-facility", "treatment_facility"),
    ("NALOXONE_SITE", "naloxone_site"), ("takeback  site", "takeback_site"),
])
def test_a_kind_as_typed_is_the_listed_code(typed, code):
    field = Code(vocab.KINDS)
    assert field.deserialize(typed) == code


@pytest.mark.parametrize("typed", ["meetings", "treatmentfacility", "meet", "", "naloxone"])
def test_what_is_no_code_is_still_refused(typed):
    with pytest.raises(Exception) as refused:
        Code(vocab.KINDS).deserialize(typed)
    assert "Must be one of: treatment_facility, meeting" in str(refused.value)


def test_no_two_codes_of_any_list_read_alike():
    # spellings() raises when two codes share a key: every list the API reads is checked.
    for codes in (vocab.KINDS, vocab.PAYMENT, vocab.SETTINGS, vocab.MEDICATIONS,
                  vocab.POPULATION_PROGRAMS, vocab.FELLOWSHIPS, vocab.ATTENDANCE,
                  tuple(vocab.MEETING_TYPES), vocab.SITE_TYPES):
        assert len(spellings(codes)) == len(codes)
    with pytest.raises(ValueError, match="read alike"):
        spellings(("in_person", "In-Person"))
    assert code_key("Al-Anon") == code_key("al anon") == "al_anon"


@pytest.mark.parametrize("param, typed, listed", [
    ("kind", "MEETING", "meeting"),
    ("kind", "Treatment-Facility", "treatment_facility"),
    ("payment", "Medicaid", "medicaid"),
    ("payment", "Sliding Fee", "sliding_fee"),
    ("payment", "UNINSURED", "uninsured"),
    ("attendance", "In-Person", "in_person"),
    ("fellowship", "aa", "AA"),
    ("fellowship", "al anon", "Al-Anon"),
    ("types", "o,d", "O,D"),
    ("medication", "Buprenorphine", "buprenorphine"),
    ("level_of_care", "3.7-wm", "3.7-WM"),
    ("level_of_care", "3.7 WM", "3.7-WM"),
    ("level_of_care", "otp", "OTP"),
    ("level_of_care", "DETOX", "detox"),
    ("unit", "KM", "km"),
    ("view", "Compact", "compact"),
])
def test_search_gives_the_same_answer_for_a_code_as_typed(client, param, typed, listed):
    base = "/v1/search?near=60540&radius=100&per_page=50&"
    listed_ids = _ids(client.get(f"{base}{param}={listed}"))
    assert _ids(client.get(f"{base}{param}={typed}")) == listed_ids


def test_a_filter_as_typed_really_filters(client):
    # Not an ignored parameter: the kind as typed narrows the answer to that kind.
    answer = client.get("/v1/search?near=60540&radius=100&per_page=50&kind=MEETING")
    kinds = {hit["kind"] for hit in answer.get_json()["results"]}
    assert kinds == {"meeting"}


@pytest.mark.parametrize("query, field", [
    ("kind=meetings", "kind"), ("payment=Medicare%20Advantage", "payment"),
    ("level_of_care=3.9-WM", "level_of_care"), ("unit=miles", "unit"),
])
def test_search_still_refuses_what_names_no_code(client, query, field):
    answer = client.get(f"/v1/search?near=60540&{query}")
    assert answer.status_code == 422
    assert field in answer.get_json()["errors"]


def test_match_reads_codes_as_typed(client):
    body = {"level_of_care": "detox", "near": "60540", "limit": 50, "payer": "medicaid",
            "moud": "methadone", "unit": "mi"}
    listed = _ids(client.post("/v1/match", json=body))
    typed = {**body, "level_of_care": "DETOX", "payer": "Medicaid", "moud": "Methadone",
             "unit": "MI"}
    assert _ids(client.post("/v1/match", json=typed)) == listed
    refused = client.post("/v1/match", json={**body, "payer": "Blue Cross"})
    assert refused.status_code == 422 and "payer" in refused.get_json()["errors"]


def test_the_page_reads_a_choice_as_typed(client):
    listed = client.get("/?near=60540&need=meetings&payment=medicaid")
    typed = client.get("/?near=60540&need=Meetings&payment=MEDICAID")
    assert listed.status_code == typed.status_code == 200
    cards = listed.data.count(b'<li class="card">')
    assert cards and typed.data.count(b'<li class="card">') == cards
    refused = client.get("/?near=60540&need=beds")
    assert refused.status_code == 422 and b'<li class="card">' not in refused.data

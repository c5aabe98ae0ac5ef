"""`language` in searches and matches: codes in any case and names are read; nothing that
names no language is ever a silent empty answer."""
import pytest

from directory_service.schemas.language import code_for


@pytest.mark.parametrize("typed, code", [
    ("es", "es"), ("ES", "es"), ("Es", "es"), ("Spanish", "es"), ("spanish ", "es"),
    ("español", "es"), ("ESPAÑOL", "es"), ("Polish", "pl"), ("polski", "pl"),
    ("Chinese", "zh"), ("中文", "zh"), ("Vietnamese", "vi"), ("Tiếng Việt", "vi"),
    ("Filipino", "tl"), ("Tagalog", "tl"), ("Arabic", "ar"), ("العربية", "ar"),
    # Language tags as browsers and phones send them (navigator.language, Accept-Language).
    ("es-MX", "es"), ("es-419", "es"), ("ES_us", "es"), ("zh-Hant-TW", "zh"), ("en-US", "en"),
    ("pt-BR", "pt"), ("vi-VN", "vi"),
])
def test_codes_and_names_of_languages(typed, code):
    assert code_for(typed) == code


@pytest.mark.parametrize("typed", ["xx", "Klingon", "e", "spa", "", "es,en", "xx-MX", "es-",
                                   "-MX", "es--MX", "es-MX-toolongsubtag"])
def test_what_names_no_language(typed):
    assert code_for(typed) is None


def _ids(answer):
    assert answer.status_code == 200, answer.get_json()
    return [r["id"] for r in answer.get_json()["results"]]


def test_search_reads_a_language_as_people_send_it(client):
    base = "/v1/search?near=60540&kind=treatment_facility&per_page=50&language="
    spanish = _ids(client.get(base + "es"))
    assert spanish  # the seed has Spanish-speaking programmes
    for typed in ("ES", "Spanish", "espa%C3%B1ol", "SPANISH", "es-MX", "es_US"):
        assert _ids(client.get(base + typed)) == spanish, typed
    # A list mixes the forms.
    both = _ids(client.get(base + "Spanish,pl"))
    assert set(spanish) <= set(both)


@pytest.mark.parametrize("typed", ["xx", "Klingon", "e"])
def test_search_refuses_what_names_no_language_with_what_to_send(client, typed):
    answer = client.get(f"/v1/search?near=60540&language={typed}")
    assert answer.status_code == 422
    (message,) = answer.get_json()["errors"]["language"]["0"]
    assert "ISO 639-1" in message and "'es' for Spanish" in message


def test_match_reads_a_language_as_people_send_it(client):
    body = {"level_of_care": "detox", "near": "60540", "language": "es", "limit": 50}
    spanish = _ids(client.post("/v1/match", json=body))
    assert spanish
    for typed in ("ES", "Spanish", "español"):
        assert _ids(client.post("/v1/match", json={**body, "language": typed})) == spanish
    refused = client.post("/v1/match", json={**body, "language": "Klingon"})
    assert refused.status_code == 422
    assert "'Klingon' names no language" in refused.get_json()["errors"]["language"][0]


def test_the_shipped_table_of_names_is_what_babel_says():
    # The server reads language_names.json (babel's locales cost ~120 MB to read at run
    # time); after a babel upgrade, scripts/write_language_names.py writes it again.
    from directory_service.schemas import language
    assert language._names() == language.build_names(), (
        "language_names.json is stale: run python scripts/write_language_names.py")

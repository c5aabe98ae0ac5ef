"""Spanish: chosen by Accept-Language or ?lang=es, complete, and compiled."""
import os

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import directory_service

PACKAGE = os.path.dirname(directory_service.__file__)
TRANSLATIONS = os.path.join(PACKAGE, "translations")
PO = os.path.join(TRANSLATIONS, "es", "LC_MESSAGES", "messages.po")


def test_accept_language_chooses_spanish(client):
    html = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(as_text=True)
    assert '<html lang="es">' in html and "Encuentre ayuda cerca de usted" in html


def test_lang_switch_wins_and_stays_in_the_links(client):
    html = client.get("/?near=60540&start=detox_now&lang=es",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in html and "Cama de desintoxicación ya" in html
    assert 'href="/r/seed:fac-' in html and "?lang=es" in html
    assert '<input type="hidden" name="lang" value="es">' in html
    assert 'lang="en" hreflang="en">English</a>' in html


def test_spanish_page_sets_no_cookie(client):
    assert "Set-Cookie" not in client.get("/?lang=es").headers


def test_every_interface_string_is_translated():
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="es")
    mapping = [("**/web/**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)}
    extracted = {m[2] if isinstance(m[2], str) else m[2][0]
                 for m in extract_from_dir(PACKAGE, mapping, keywords=keywords)}
    assert extracted, "no strings were extracted: the extraction map is wrong"
    missing = sorted(msgid for msgid in extracted
                     if catalog.get(msgid) is None or not catalog.get(msgid).string)
    assert missing == []


def _plain(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_compiled_catalog_matches_the_po():
    with open(PO, "rb") as handle:
        po = {_plain(m.id): _plain(m.string) for m in read_po(handle, locale="es") if m.id}
    with open(PO[:-3] + ".mo", "rb") as handle:
        mo = {_plain(m.id): _plain(m.string) for m in read_mo(handle) if m.id}
    assert mo == po


@pytest.mark.parametrize("lang", ["es", "ES", "es-MX", "es_US", "es-419"])
def test_a_partner_s_link_naming_spanish_as_a_tag_opens_the_spanish_page(client, lang):
    for path in (f"/?lang={lang}", f"/?near=60540&lang={lang}", f"/r/seed:fac-001?lang={lang}"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert '<html lang="es"' in html, path
        # The page's own links and forms keep the language, written as the page writes it.
        assert "lang=es" in html or 'name="lang" value="es"' in html, path


def test_a_lang_that_names_no_page_language_is_still_refused_on_a_search(client):
    assert client.get("/?near=60540&lang=fr").status_code == 422

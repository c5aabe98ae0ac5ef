"""Issue 21 in chromium, JavaScript on and off: the facts a person chooses by on each card,
"Send" that hands over only the public link, the meeting-type filter, and dark mode."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_night_page import FOCUS_CONTRAST

pytestmark = pytest.mark.browser
JS = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]
# The phone's share sheet, as a test double: it records what the page hands it.
SHARE_SHEET = """(() => {
  window.__shared = [];
  navigator.share = data => { window.__shared.push(data); return Promise.resolve(); };
})();"""


def card(page, name):
    return page.locator("ol.cards > li").filter(
        has=page.get_by_role("heading", name=name, exact=True))


def plain(words):
    return re.sub(r"\s+", " ", words.replace("\u202f", " ")).strip()


def sent_text(link):
    """The words an sms: or mailto: link would put in the message."""
    query = parse_qs(urlsplit(link).query)
    return " ".join(v for values in query.values() for v in values)


@pytest.mark.parametrize("js", JS)
def test_payment_words_on_detox_cards(new_page, night_url, js):
    page = new_page(java_script_enabled=js)
    page.goto(night_url + "/?near=60540&start=detox_now")
    pay = card(page, "Men Only Detox").locator(".pay")
    assert plain(pay.inner_text()) == "Payment: Sliding scale fee · Medicaid"


@pytest.mark.parametrize("js", JS)
def test_meeting_cards_show_fellowship_types_and_the_type_filter_works(new_page, night_url, js):
    page = new_page(java_script_enabled=js)
    page.goto(night_url + "/?near=60540&start=meetings_today")
    tags = card(page, "Grupo Nueva Vida").locator("ul.meeting-types li").all_inner_texts()
    assert tags == ["Narcotics Anonymous (NA)", "Open: anyone may attend"]
    online = card(page, "Night Owls Online").locator(".meta")
    assert plain(online.inner_text()) == "Meeting · Online"
    assert "4 meetings near 60540" == page.locator("#results-title").inner_text()
    page.get_by_text("More choices").click()
    page.get_by_label("Kind of meeting").select_option("S")
    page.get_by_role("button", name="Show results").click()
    page.wait_for_load_state()
    assert "type=S" in page.url
    assert page.locator("ol.cards > li h2").all_inner_texts() == ["Grupo Nueva Vida"]
    assert "In Spanish" in page.locator(".search-summary").inner_text()


@pytest.mark.parametrize("js", JS)
def test_takeback_cards_show_the_receptacle(new_page, live_url, js):
    page = new_page(java_script_enabled=js)
    page.goto(live_url + "/?near=60563&start=takeback&radius=5")
    facts = card(page, "New Horizons Family Pharmacy").locator("ul.takeback-facts li")
    assert facts.all_inner_texts() == ["Free mail-back envelope", "Takes: Pills, Patches"]
    if js:
        screenshot(page, "phone-takeback.png", full_page=False)


def test_send_without_javascript_is_text_email_and_the_link(new_page, night_url):
    page = new_page(java_script_enabled=False)
    page.goto(night_url + "/?near=60540&start=detox_now&gender=men")
    first = card(page, "Men Only Detox")
    first.locator("summary", has_text="Send").click()
    sms = first.get_by_role("link", name="Text message").get_attribute("href")
    mail = first.get_by_role("link", name="E-mail").get_attribute("href")
    expected = night_url + "/r/night:fac-02"
    assert sms.startswith("sms:") and mail.startswith("mailto:")
    for link in (sms, mail):
        assert sent_text(link).endswith(": " + expected)
        assert "60540" not in link and "gender" not in link and "lat" not in link
    assert first.get_by_label("Link to copy").input_value() == expected
    assert not first.get_by_role("button", name="Copy link").is_visible()


def test_send_with_the_phones_share_sheet(new_page, night_url):
    page = new_page()
    page.add_init_script(SHARE_SHEET)
    page.goto(night_url + "/?near=60540&lat=41.7689&lon=-88.1351&start=naloxone")
    first = page.locator("ol.cards > li").first
    name = first.locator("h2").inner_text()
    first.locator("summary", has_text="Send").click()
    shared = page.evaluate("window.__shared")
    assert len(shared) == 1
    assert re.fullmatch(re.escape(night_url) + r"/r/night:nal-\d\d", shared[0]["url"])
    assert shared[0]["title"] == name and "41.7" not in str(shared[0])
    # The sheet replaced the links: nothing opened on the page.
    assert not first.get_by_role("link", name="Text message").is_visible()


def test_send_copy_link_where_there_is_no_share_sheet(new_page, night_url):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.add_init_script("delete Navigator.prototype.share;")
    page.goto(night_url + "/r/night:fac-02?lang=es")
    page.locator("summary", has_text="Enviar").click()
    page.get_by_role("button", name="Copiar enlace").click()
    from playwright.sync_api import expect

    # The copy is asynchronous (navigator.clipboard): wait for the status, do not race it.
    expect(page.locator(".send-status")).to_have_text("Enlace copiado")
    assert page.evaluate("navigator.clipboard.readText()") == night_url + "/r/night:fac-02"
    screenshot(page, "phone-send-spanish.png", full_page=False)


@pytest.mark.parametrize("js", JS)
def test_dark_mode_on_screen_and_black_on_white_on_paper(new_page, night_url, js):
    page = new_page(java_script_enabled=js, color_scheme="dark")
    page.goto(night_url + "/?near=60540&start=detox_now")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    luminance = sum(int(v) for v in re.findall(r"\d+", background)[:3])
    assert luminance < 150, background
    if js:
        screenshot(page, "phone-dark-detox.png", full_page=False)
    page.emulate_media(media="print", color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in (
        "rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    call = page.locator("ol.cards .button.call").first
    assert call.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    # The print view on screen is plain paper in dark mode too.
    page.emulate_media(media="screen", color_scheme="dark")
    page.goto(night_url + "/r/night:fac-02/print")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
        "rgb(255, 255, 255)"


def test_dark_focus_rings_keep_3_to_1(new_page, night_url):
    page = new_page(color_scheme="dark")
    page.goto(night_url + "/?near=60540&start=detox_now")
    rings = []
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        rings.append(page.evaluate(FOCUS_CONTRAST))
    assert any(r["name"].startswith("Send") for r in rings)
    weak = [r for r in rings if r["style"] == "none" or r["width"] < 2 or r["ratio"] < 3]
    assert weak == []

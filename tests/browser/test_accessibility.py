"""axe-core on every page of the public site: no serious or critical violation."""
import json

import pytest

from directory_service.availability import keys

pytestmark = pytest.mark.browser
PAGES = {
    "search": "/",
    "results": "/?near=60540&start=detox_now",
    "meetings": "/?near=Naperville, IL&start=meetings_today",
    "error": "/?near=99999&start=naloxone",
    "detail": "/r/seed:fac-001",
    "print": "/r/seed:fac-001/print",
    "spanish": "/?near=60540&start=treatment&lang=es",
    "spanish-detail": "/r/seed:fac-001?lang=es",
    # Nothing near Aurora, CO: the page offers Aurora, IL before a larger distance.
    "nearer-place": "/?near=Aurora, CO&start=naloxone",
    "nearer-place-es": "/?near=Aurora, CO&start=naloxone&lang=es",
    "bare-name-alternatives": "/?near=Aurora&start=naloxone",
    # "Something wrong?" (more states in tests/browser/test_public_reports.py)
    "report-form-es": "/r/seed:fac-001/report?lang=es",
}
# The night scenario's pages: beds for a person, stale figures, Join buttons, the paper
# list and the page's own error page.
NIGHT_PAGES = {
    "night-detox": "/?near=60540&start=detox_now&stale=1&gender=men",
    "night-meetings": "/?near=60540&start=meetings_today",
    "night-meetings-es": "/?near=60540&start=meetings_today&lang=es",
    "night-naloxone": "/?near=60540&start=naloxone",
    "print-list": "/?near=60540&start=detox_now&print=1",
    "not-found-es": "/nope?lang=es",
    "meeting-detail": "/r/night:mtg-03",
}
# Issue 21: the cards' new facts and Send, the meeting-type filter, and dark mode. Each is
# (path, server, colour scheme, open every "Send"?).
CARD_PAGES = {
    "takeback-cards": ("/?near=60563&start=takeback&radius=5", "seed", "light", False),
    "meetings-type-women": ("/?near=Joliet, IL&need=meetings&radius=50&type=W", "seed",
                            "light", False),
    "send-open-results": ("/?near=60540&start=detox_now", "night", "light", True),
    "send-open-detail-es": ("/r/night:fac-02?lang=es", "night", "light", True),
    "dark-search": ("/", "seed", "dark", False),
    "dark-results": ("/?near=60540&start=detox_now&stale=1", "night", "dark", False),
    "dark-meetings": ("/?near=60540&start=meetings_today", "night", "dark", True),
    "dark-naloxone-es": ("/?near=60540&start=naloxone&lang=es", "night", "dark", False),
    "dark-error": ("/?near=99999&start=naloxone", "seed", "dark", False),
    "dark-detail": ("/r/seed:fac-001", "seed", "dark", True),
    "dark-takeback": ("/?near=60563&start=takeback&radius=5", "seed", "dark", False),
    "dark-print": ("/r/seed:fac-001/print", "seed", "dark", False),
    "dark-print-list": ("/?near=60540&start=detox_now&print=1", "night", "dark", False),
}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def serious_violations(page, axe_path):
    page.add_script_tag(path=axe_path)
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    assert result["passes"], "axe ran no rule"
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("name", NIGHT_PAGES)
def test_axe_on_the_night_pages(new_page, night_url, axe_path, name):
    page = new_page(bypass_csp=True)
    page.goto(night_url + NIGHT_PAGES[name])
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)


@pytest.mark.parametrize("name", CARD_PAGES)
def test_axe_on_the_card_send_and_dark_pages(new_page, live_url, night_url, axe_path, name):
    path, server, scheme, open_send = CARD_PAGES[name]
    page = new_page(bypass_csp=True, color_scheme=scheme)
    page.goto((live_url if server == "seed" else night_url) + path)
    if open_send:
        page.evaluate("document.querySelectorAll('details.send').forEach(d => d.open = true)")
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_violation(new_page, live_url, axe_path, name):
    # The page's Content-Security-Policy forbids injected scripts; axe is ours, so the
    # test context alone bypasses it.
    page = new_page(bypass_csp=True)
    page.goto(live_url + PAGES[name])
    page.add_script_tag(path=axe_path)
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    bad = [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)
    assert result["passes"], "axe ran no rule"


def test_keyboard_reaches_the_skip_link_with_a_visible_focus(new_page, live_url):
    page = new_page()
    page.goto(live_url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    assert page.locator("a.skip").is_visible()


# Issue 21: bed figures named by level of care, of two ages in one facility
# (tests/mixed_ages.py), on the public pages and on the coach's and administrator's.
MIXED_PAGES = {
    "mixed-detox": "/?near=60540&need=detox&radius=25",
    "mixed-detox-es": "/?near=60540&need=detox&radius=25&lang=es",
    "mixed-print-list": "/?near=60540&need=detox&radius=25&print=1",
    "mixed-detail": "/r/mix:fac-01",
    "mixed-print": "/r/mix:fac-01/print",
}


@pytest.mark.parametrize("name", MIXED_PAGES)
def test_axe_on_the_mixed_age_pages(new_page, mixed_server, axe_path, name):
    url, _app = mixed_server
    page = new_page(bypass_csp=True)
    page.goto(url + MIXED_PAGES[name])
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)


@pytest.mark.parametrize("role, lang", [("coach", "en"), ("coach", "es"), ("admin", "en")])
def test_axe_on_the_mixed_age_staff_pages(new_page, mixed_server, axe_path, role, lang):
    url, app = mixed_server
    page = new_page(bypass_csp=True)
    page.goto(url + "/staff/sign-in")
    page.locator("#key").fill(keys.create(app.extensions["availability"], role)[1])
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"{url}/staff/{role}?lang={lang}")
    if role == "coach":
        page.locator("#near").fill("60540")
        page.locator("#gender").select_option("men")
        page.locator("form.needs button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("li.match ul.bed-lines").count() >= 4
    bad = serious_violations(page, axe_path)
    assert bad == [], json.dumps(bad, indent=1)

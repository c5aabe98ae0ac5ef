"""axe-core on every page of the public site: no serious or critical violation."""
import json

import pytest

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

"""Issue 21, items 2, 3 and 10 in Debian's chromium, JavaScript on and off: each bed figure
is one level of care and one population, named with its code, and the coach list judges a
facility by its oldest figure (tests/mixed_ages.py; the test client checks every other
surface in tests/test_bed_figures_named.py)."""
import pytest

from directory_service.availability import keys
from tests import mixed_ages as mix
from tests.browser.conftest import screenshot
from tests.browser.test_night_page import card, plain

pytestmark = pytest.mark.browser
DETOX = "/?near=60540&need=detox&radius=25"


def bed_lines(locator):
    return [plain(line) for line in locator.locator("ul.bed-lines > li").all_inner_texts()]


@pytest.mark.parametrize("js", [True, False])
def test_the_card_names_each_level_and_never_adds_them_up(new_page, mixed_server, js):
    url, _app = mixed_server
    page = new_page(java_script_enabled=js)
    page.goto(url + DETOX)
    two = card(page, "Two Levels Detox")
    assert bed_lines(two) == [f"{mix.MONITORED} · 20 min ago", f"{mix.RESIDENTIAL} · 14 h ago"]
    assert "5 open" not in two.inner_text()
    two.scroll_into_view_if_needed()
    screenshot(page, f"beds-by-level-card-js-{js}.png", full_page=False)
    # The 14-hour-old figure does not borrow the fresh one's look.
    weight = "e => getComputedStyle(e).fontWeight"
    fresh, aging = two.locator("li.bed-fresh"), two.locator("li.bed-aging")
    assert fresh.evaluate(weight) != aging.evaluate(weight)
    # A men-only row nobody reported sits below, and does not contradict, the adults' 5.
    assert bed_lines(card(page, "Any Adult Detox")) == [
        "Detox, medically monitored (3.7-WM): 5 open for any adult · 1 h ago",
        "Detox, medically monitored (3.7-WM): men-only beds not reported — call"]


def coach_page(new_page, url, app, js):
    page = new_page(java_script_enabled=js)
    page.goto(url + "/staff/coach")
    page.get_by_label("Your key").fill(keys.create(app.extensions["availability"], "coach")[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.get_by_label("Where from (ZIP code or city)").fill("60540")
    page.get_by_label("Gender").select_option("men")
    page.get_by_label("Age", exact=True).fill("30")
    page.get_by_label("How far").select_option("25")
    page.get_by_role("button", name="Find open beds").click()
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("js", [True, False])
def test_the_coach_list_names_each_level_and_its_oldest_figure(new_page, mixed_server, js):
    url, app = mixed_server
    page = coach_page(new_page, url, app, js)
    result = page.locator("li.match", has_text="Two Levels Detox")
    assert bed_lines(result) == [f"{mix.MONITORED} · 20 min ago",
                                 f"{mix.RESIDENTIAL} · 14 h ago"]
    assert plain(result.locator("p.figure").inner_text()) == (
        "1.2 mi · oldest figure: aging · 14 h ago")
    assert "5 open" not in result.inner_text()
    result.scroll_into_view_if_needed()
    screenshot(page, f"beds-by-level-coach-js-{js}.png", full_page=False)
    edge = page.locator("li.match", has_text="Edge Detox").inner_text()
    assert "1.5 mi ·" in edge and "1.5 mi away" in edge and "1.6" not in edge

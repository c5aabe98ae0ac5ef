"""Issue 21 item 5: after any search, the first result and its Call button are on the first
screen of a 360×740 phone, with JavaScript on and off (night scenario and seed data)."""
import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser
JS = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]
NIGHT_SEARCHES = ["/?near=60540&start=detox_now", "/?near=60540&start=naloxone",
                  "/?near=60540&start=detox_now&gender=men&age=30&payment=uninsured",
                  "/?near=60540&start=detox_now&lang=es", "/?near=60540&start=meetings_today",
                  "/?near=60540&start=meetings_today&lang=es"]
SEED_SEARCHES = ["/?near=60540&start=treatment", "/?near=Aurora, IL&start=naloxone",
                 "/?near=60540&start=takeback", "/?near=60540&need=treatment&payment=uninsured",
                 "/?near=Joliet, IL&start=treatment&lang=es"]


def first_call_bottom(page):
    """The bottom edge (px from the top of the page) of the first card's Call button, or of
    its first action when the place has no phone."""
    first = page.locator("ol.cards > li").first
    call = first.locator(".button.call")
    button = call.first if call.count() else first.locator(".actions .button").first
    box = button.bounding_box(timeout=5000)
    return box["y"] + box["height"]


@pytest.mark.parametrize("js", JS)
@pytest.mark.parametrize("path", NIGHT_SEARCHES)
def test_first_call_on_the_first_screen_at_night(new_page, night_url, path, js):
    page = new_page(java_script_enabled=js)
    page.goto(night_url + path)
    assert first_call_bottom(page) <= PHONE["height"]


@pytest.mark.parametrize("js", JS)
@pytest.mark.parametrize("path", SEED_SEARCHES)
def test_first_call_on_the_first_screen_over_the_seed(new_page, live_url, path, js):
    page = new_page(java_script_enabled=js)
    page.goto(live_url + path)
    assert first_call_bottom(page) <= PHONE["height"]

"""The outcomes page in chromium after a scripted week: no serious axe violation, light
or dark, and the charts' words and bars stand out from the chart's own background in
both (their colours come from the page's classes, so dark mode reaches them)."""
import pytest

from directory_service import outcomes
from tests import outcomes_week as week
from tests.browser.conftest import screenshot, serve
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_staff_pages import key_for
from tests.test_live_support import make_app

pytestmark = pytest.mark.browser
PATH = "/staff/admin/outcomes?from=2026-10-26&to=2026-11-08&group_by=coach_group"
# WCAG 2 contrast of two computed CSS colours ("rgb(r, g, b)"), in the page.
CONTRAST = """([a, b]) => {
  const lum = c => { const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number)
      .map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05); }"""


@pytest.fixture
def outcomes_server(tmp_path):
    app = make_app(tmp_path, week.directory())
    app.config["PAGE_NOW"] = week.AS_OF
    week.script(app, lambda now: outcomes.record_freshness(app, now))
    for url in serve(app):
        yield url, app


def _colours(page, selector, prop):
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_charts_read_in_light_and_dark(new_page, outcomes_server, axe_path, scheme):
    url, app = outcomes_server
    page = new_page(bypass_csp=True, color_scheme=scheme)  # axe is injected
    page.goto(url + "/staff/sign-in")
    page.get_by_label("Your key").fill(key_for(app, "admin"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.goto(url + PATH)
    assert page.locator("svg.chart-svg").count() == 4
    assert page.get_by_role("img", name="Holds by outcome").is_visible()
    background = _colours(page, "figure.chart", "backgroundColor")
    for selector, prop, least in (("#chart-outcomes .chart-label", "fill", 4.5),
                                  ("#chart-outcomes .chart-value", "fill", 4.5),
                                  ("#chart-outcomes .seg-confirmed", "fill", 3),
                                  ("#chart-outcomes .seg-declined", "fill", 3),
                                  ("#chart-fresh .share-line", "stroke", 3)):
        colour = _colours(page, selector, prop)
        assert page.evaluate(CONTRAST, [colour, background]) >= least, (selector, scheme)
    if scheme == "dark":
        assert background != "rgb(255, 255, 255)"
    bad = serious_violations(page, axe_path)
    assert bad == [], bad
    screenshot(page, f"staff-outcomes-{scheme}.png")

"""Issue 24, item 5 in Debian's chromium: a copied session cookie dies with its session,
and too many failed sign-ins are answered 429 in the visitor's language."""
import json

import pytest

from directory_service import create_app
from directory_service.config import Settings
from tests.browser.conftest import serve
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_staff_pages import FAC, key_for, signed_in_page

pytestmark = pytest.mark.browser


@pytest.fixture
def session_server(seed_store_path, tmp_path):
    """A server of its own (the limiter counts per server): two failures are the limit."""
    settings = Settings.from_env(store_path=seed_store_path,
                                 availability_path=str(tmp_path / "availability.sqlite"),
                                 rate_limit_auth_failures="2 per minute")
    app = create_app(settings)
    for url in serve(app):
        yield url, app


@pytest.mark.parametrize("javascript", [True, False])
def test_a_copied_cookie_is_refused_after_sign_out(new_page, session_server, javascript):
    url, app = session_server
    owner = signed_in_page(new_page, url, key_for(app, "facility", "seed:fac-001"), FAC)
    assert owner.get_by_role("button", name="Sign out").is_visible()
    # Another browser (context) with a copy of the cookie: it is signed in as well.
    thief = new_page(java_script_enabled=javascript)
    thief.context.add_cookies(owner.context.cookies())
    assert thief.goto(url + FAC).status == 200
    owner.get_by_role("button", name="Sign out").click()
    owner.wait_for_load_state()
    assert "You are signed out." in owner.locator("main").inner_text()
    # The copy still holds the very same cookie, and it no longer opens anything.
    assert thief.context.cookies()[0]["value"]
    response = thief.goto(url + FAC)
    assert response.status == 401
    assert thief.get_by_label("Your key").is_visible()
    assert thief.goto(url + "/staff/facility").status == 401


def _fail_sign_in(page, url, lang=None):
    page.goto(url + "/staff/sign-in" + (f"?lang={lang}" if lang else ""))
    page.locator("#key").fill("k_nobody.wrong")
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("javascript", [True, False])
def test_too_many_failed_sign_ins_wait_even_with_the_right_key(new_page, session_server,
                                                                javascript):
    url, app = session_server
    page = new_page(java_script_enabled=javascript)
    for _ in range(2):
        _fail_sign_in(page, url)
        assert "unknown or revoked" in page.locator("main").inner_text()
    page.goto(url + "/staff/sign-in?lang=es")
    page.locator("#key").fill(key_for(app, "coach"))
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("button[type=submit]").first.click()
    assert answer.value.status == 429 and int(answer.value.headers["retry-after"]) >= 1
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Demasiados intentos fallidos" in page.locator("main").inner_text()
    assert page.context.cookies() == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_axe_on_the_sign_in_refusals(new_page, session_server, axe_path, lang):
    """The states this work adds: signed out elsewhere (401) and too many failures (429)."""
    url, app = session_server
    owner = signed_in_page(new_page, url, key_for(app, "coach"), "/staff/coach")
    copy = new_page(bypass_csp=True)
    copy.context.add_cookies(owner.context.cookies())
    owner.get_by_role("button", name="Sign out").click()
    owner.wait_for_load_state()
    assert copy.goto(f"{url}/staff/coach?lang={lang}").status == 401
    bad = serious_violations(copy, axe_path)
    assert bad == [], json.dumps(bad, indent=1)
    for _ in range(3):
        _fail_sign_in(copy, url, lang)
    assert copy.locator("html").get_attribute("lang") == lang
    assert copy.locator("p.notice[role=status]").is_visible()
    bad = serious_violations(copy, axe_path)
    assert bad == [], json.dumps(bad, indent=1)

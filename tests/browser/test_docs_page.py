"""The API's /docs page (Swagger UI, our own origin) renders under its Content-Security-Policy:
its one inline script runs by hash, and the browser reports no refused resource."""


def test_docs_render_with_no_policy_violation(new_page, live_url):
    page = new_page(viewport={"width": 1280, "height": 900})
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(live_url + "/docs")
    page.wait_for_selector("#swagger-ui-container .info .title", timeout=20_000)
    assert "directory-service" in page.locator(".info .title").inner_text()
    assert page.locator(".opblock-summary-path").count() > 10  # operations listed
    assert refused == []

"""Security headers on every response, not only the public page's (directory_service/security_headers.py)."""
import base64
import hashlib
import re

import pytest


@pytest.mark.parametrize("path", [
    "/healthz", "/readyz", "/openapi.json", "/v1/vocabularies", "/v1/resources/nope:1",
    "/v1/search?lat=95&lon=1", "/v1/nope", "/metrics", "/docs", "/no/such/page", "/",
    "/site.css-missing",
])
def test_nosniff_on_every_response(client, path):
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/no/such/page", "/r/nope:1", "/docs", "/staff/nope"])
def test_every_html_response_has_a_policy(client, path):
    answer = client.get(path)
    assert answer.mimetype == "text/html"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert "camera=()" in answer.headers["Permissions-Policy"]


def test_the_docs_page_allows_its_own_inline_script_by_hash_only(client):
    answer = client.get("/docs")
    policy = answer.headers["Content-Security-Policy"]
    scripts = re.findall(rb"<script>(.*?)</script>", answer.get_data(), re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]

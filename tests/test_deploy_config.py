"""The production layout in docker-compose.yml: the API only behind the buffering proxy,
which keeps addresses and query strings out of its logs and sends the client address the
API's rate limits count by; rate-limit counts in Redis shared by all workers. TLS at the
proxy, replicas found again by name, restart policies, a stop grace longer than gunicorn's
graceful timeout, and pools that fit the PostgreSQL server (issue 24)."""
import os
import re
import shutil
import subprocess

import pytest
import yaml

from directory_service.config import Settings
from tests.conftest import ROOT

NGINX_CONF = os.path.join(ROOT, "deploy", "nginx.conf")


@pytest.fixture(scope="module")
def compose():
    with open(os.path.join(ROOT, "docker-compose.yml")) as handle:
        return yaml.safe_load(handle)["services"]


@pytest.fixture(scope="module")
def nginx():
    with open(NGINX_CONF) as handle:
        return handle.read()


def test_the_api_is_reached_only_through_the_proxy(compose):
    assert "ports" not in compose["api"]
    # 443 serves over TLS, 80 only redirects; loopback unless PROXY_ADDR says otherwise.
    assert compose["proxy"]["ports"] == ["${PROXY_ADDR:-127.0.0.1}:80:8080",
                                         "${PROXY_ADDR:-127.0.0.1}:443:8443"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in compose["proxy"]["volumes"]
    assert "./deploy/tls:/etc/nginx/tls:ro" in compose["proxy"]["volumes"]


def test_the_api_trusts_one_proxy_and_shares_its_counts(compose):
    env = compose["api"]["environment"]
    assert env["PROXY_HOPS"] == "1"
    assert env["RATE_LIMIT_STORAGE_URI"].startswith("redis://redis:")
    assert env["RATE_LIMIT_KEY_SECRET"]
    assert "redis" in compose


def test_the_proxy_buffers_and_limits_as_the_api_does(nginx):
    assert "proxy_request_buffering on;" in nginx and "proxy_buffering on;" in nginx
    assert re.search(r"client_header_timeout \d+s;", nginx)
    assert re.search(r"client_body_timeout \d+s;", nginx)
    assert f"client_max_body_size {Settings().max_body_bytes // 1_048_576}m;" in nginx
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx


def test_the_proxy_logs_no_address_and_no_query_string(nginx):
    formats = re.findall(r"log_format (\w+) ([^;]+);", nginx)
    assert formats and all("escape=default" in fmt for _, fmt in formats)
    for _, fmt in formats:
        for variable in ("$remote_addr", "$binary_remote_addr", "$http_x_forwarded_for",
                         "$request ", "$request_uri", "$args", "$query_string", "$is_args"):
            assert variable not in fmt + " "
    assert re.search(r"^\s*access_log \S+ privacy;", nginx, re.M)
    # Error messages name the client and the request line: only critical ones are kept.
    assert re.search(r"^error_log \S+ (crit|alert|emerg);", nginx, re.M)


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed here")
def test_nginx_accepts_the_configuration(tmp_path, nginx):
    tls = tmp_path / "tls"
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "make_local_cert.sh"), str(tls)],
                   check=True, capture_output=True, timeout=60)
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx.replace("/etc/nginx/tls/", f"{tls}/")
                         .replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;"))
    result = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr


def _server_blocks(nginx):
    """The top-level `server { … }` blocks of the http block, as text."""
    blocks, depth, start = [], 0, None
    for match in re.finditer(r"\bserver\s*\{|\{|\}", nginx):
        token = match.group(0)
        if token.startswith("server") and depth == 1:
            start = match.start()
        if token.endswith("{"):
            depth += 1
        else:
            depth -= 1
            if depth == 1 and start is not None:
                blocks.append(nginx[start:match.end()])
                start = None
    return blocks


def test_the_proxy_speaks_tls_and_plain_http_only_redirects(nginx):
    blocks = _server_blocks(nginx)
    plain = [b for b in blocks if re.search(r"listen 8080;", b)]
    tls = [b for b in blocks if re.search(r"listen 8443 ssl", b)]
    assert len(plain) == 1 and len(tls) == 1 and len(blocks) == 2
    # Port 80 passes nothing to the API: every request is sent to HTTPS.
    assert "proxy_pass" not in plain[0]
    assert "return 301 https://$host$request_uri;" in plain[0]
    assert "ssl_certificate /etc/nginx/tls/cert.pem;" in tls[0]
    assert "ssl_certificate_key /etc/nginx/tls/key.pem;" in tls[0]
    assert re.search(r"ssl_protocols TLSv1\.2 TLSv1\.3;", tls[0])
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d{7,}[^"]*" always;', tls[0])


def test_the_proxy_finds_replicas_again_and_again(nginx):
    """A name in an `upstream` block is resolved once, at start: a restarted or added
    replica would never get traffic. The API goes through Docker's DNS, re-read often."""
    assert re.search(r"^\s*resolver 127\.0\.0\.11 valid=10s", nginx, re.M)
    assert not re.search(r"^\s*upstream \w+", nginx, re.M)
    assert "set $api_upstream http://api:8000;" in nginx
    passes = re.findall(r"proxy_pass (\S+);", nginx)
    assert passes and set(passes) == {"$api_upstream"}


def test_every_long_running_service_restarts_and_one_shots_do_not(compose):
    one_shot = {"es-certs", "es-users", "indexer"}
    for name, service in compose.items():
        if name in one_shot:
            assert service.get("restart") == "no", name
        else:
            assert service.get("restart") in ("unless-stopped", "always"), name


def _seconds(duration):
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", str(duration))
    assert match and any(match.groups()), duration
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def test_the_api_gets_longer_to_stop_than_gunicorn_waits_for_requests(compose):
    api = compose["api"]
    graceful = int(api["environment"].get("GRACEFUL_TIMEOUT_S", Settings().graceful_timeout_s))
    # Docker's default grace is 10 s, less than gunicorn's graceful timeout.
    assert _seconds(api.get("stop_grace_period", "10s")) >= graceful + 5


def test_the_api_pools_fit_the_postgresql_server(compose):
    from directory_service import connection_budget

    env = compose["api"]["environment"]
    settings = Settings(
        availability_url=env["AVAILABILITY_URL"],
        availability_pool_size=int(env["AVAILABILITY_POOL_SIZE"]),
        availability_max_overflow=int(env["AVAILABILITY_MAX_OVERFLOW"]),
        availability_max_connections=int(env["AVAILABILITY_MAX_CONNECTIONS"]),
        api_replicas=int(env["API_REPLICAS"]), web_concurrency=int(env["WEB_CONCURRENCY"]))
    # Workers are fixed, not the host's CPU count; replicas are the ones compose starts.
    assert settings.web_concurrency > 0
    assert settings.api_replicas == compose["api"]["deploy"]["replicas"]
    connection_budget.check(settings, settings.web_concurrency)
    command = compose["postgres"]["command"]
    max_connections = int(next(c.split("=")[1] for c in command
                               if c.startswith("max_connections=")))
    assert settings.availability_max_connections < max_connections
    # Staff cookies are sent over HTTPS only (the proxy speaks TLS).
    assert env["SESSION_COOKIE_SECURE"] == "true"


def test_the_proxy_keeps_metrics_off_the_public_side(nginx):
    block = re.search(r"location = /metrics \{(.*?)\}", nginx, re.S)
    assert block and "return 404;" in block.group(1)


def test_every_gunicorn_hook_is_defined_once():
    """gunicorn reads hooks as module names: a second `def post_worker_init` (two branches
    merged) silently replaces the first, and one of its jobs stops happening."""
    import ast
    from collections import Counter

    with open(os.path.join(ROOT, "gunicorn.conf.py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    names = Counter(node.name for node in tree.body if isinstance(node, ast.FunctionDef))
    assert [name for name, count in names.items() if count > 1] == []

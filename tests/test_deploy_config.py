"""The production layout in docker-compose.yml: the API only behind the buffering proxy,
which keeps addresses and query strings out of its logs and sends the client address the
API's rate limits count by; rate-limit counts in Redis shared by all workers."""
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
    assert compose["proxy"]["ports"] == ["127.0.0.1:8000:8080"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in compose["proxy"]["volumes"]


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
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx.replace("server api:8000;", "server 127.0.0.1:8000;")
                         .replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;"))
    result = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr


def test_the_proxy_keeps_metrics_off_the_public_side(nginx):
    block = re.search(r"location = /metrics \{(.*?)\}", nginx, re.S)
    assert block and "return 404;" in block.group(1)

"""deploy/nginx.conf run for real on loopback (issue 24): plain HTTP only redirects to
HTTPS, HTTPS reaches the API with HSTS and the forwarded scheme, with the certificate
scripts/make_local_cert.sh makes, and /metrics stays off the public side. Skipped where
nginx or openssl is not installed (`apt-get install nginx-light`)."""
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import http.client

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"),
                       reason="nginx or openssl is not installed here"),
]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Api(http.server.BaseHTTPRequestHandler):
    """Stands in for a replica: says which path and forwarded scheme it was asked for."""

    def do_GET(self):
        body = f"{self.path} {self.headers.get('X-Forwarded-Proto')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proxy")
    tls = tmp / "tls"
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "make_local_cert.sh"), str(tls)],
                   check=True, capture_output=True, timeout=60)
    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    plain, secure = _free_port(), _free_port()
    with open(os.path.join(ROOT, "deploy", "nginx.conf")) as handle:
        conf = handle.read()
    # Only addresses change: the API's name becomes the stand-in (an address needs no
    # resolver), the container ports free loopback ones.
    conf = (conf.replace("set $api_upstream http://api:8000;",
                         f"set $api_upstream http://127.0.0.1:{api.server_port};")
                .replace("listen 8080;", f"listen 127.0.0.1:{plain};")
                .replace("listen 8443 ssl;", f"listen 127.0.0.1:{secure} ssl;")
                .replace("/etc/nginx/tls/", f"{tls}/")
                .replace("pid /tmp/nginx.pid;", f"pid {tmp}/nginx.pid;"))
    (tmp / "nginx.conf").write_text(conf)
    proc = subprocess.Popen(["nginx", "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", secure), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"nginx did not start: {proc.stderr.read().decode()}")
                time.sleep(0.1)
        yield {"plain": plain, "secure": secure, "ca": str(tls / "cert.pem")}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()
        api.shutdown()
        api.server_close()


def _https(proxy, path):
    context = ssl.create_default_context(cafile=proxy["ca"])
    connection = http.client.HTTPSConnection("localhost", proxy["secure"], context=context,
                                             timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response, response.read().decode()
    finally:
        connection.close()


def test_plain_http_redirects_to_https_and_reaches_nothing(proxy):
    connection = http.client.HTTPConnection("127.0.0.1", proxy["plain"], timeout=30)
    try:
        connection.request("GET", "/staff/login?next=/staff", headers={"Host": "example.org"})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 301
    assert response.getheader("Location") == "https://example.org/staff/login?next=/staff"


def test_https_reaches_the_api_with_hsts(proxy):
    response, body = _https(proxy, "/v1/search?near=60540")
    assert response.status == 200
    assert body == "/v1/search?near=60540 https"
    hsts = response.getheader("Strict-Transport-Security")
    assert hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31_536_000


def test_the_local_certificate_is_verified_for_localhost(proxy):
    context = ssl.create_default_context(cafile=proxy["ca"])
    with socket.create_connection(("127.0.0.1", proxy["secure"]), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_metrics_are_not_served_over_the_proxy(proxy):
    response, _ = _https(proxy, "/metrics")
    assert response.status == 404

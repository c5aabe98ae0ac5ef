"""Webhook targets: private, loopback, link-local and other non-public addresses are
refused at registration and again at delivery after DNS resolution (rebinding), unless
WEBHOOK_ALLOW_PRIVATE=true; redirects are not followed."""
import socket
from datetime import datetime, timezone

import pytest

from directory_service import webhooks
from directory_service.webhooks import store, targets
from tests.test_live_support import bearer, make_app
from tests.webhook_receiver import Receiver

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
REFUSED = ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://192.168.0.7/",
           "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/",
           "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/",
           "http://[::1]/hook", "http://[fe80::1]/", "http://[fc00::1]/",
           "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/",
           "http://localhost:8080/hook",
           # IPv4 inside 6to4 and Teredo addresses (once accepted)
           "http://[2002:7f00:1::]/", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/"]


def fake_dns(*addresses):
    def getaddrinfo(host, port, type=0):  # noqa: A002 — socket's own name
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [(family[6 if ":" in a else 4], socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]
    return getaddrinfo


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("WEBHOOK_ALLOW_PRIVATE", raising=False)
    made = make_app(tmp_path)
    yield made
    made.extensions["store"].close()


@pytest.mark.parametrize("url", REFUSED)
def test_a_non_public_target_is_refused_naming_url(app, url):
    answer = app.test_client().post("/v1/subscriptions", headers=bearer(app, "admin"),
                                    json={"url": url, "events": ["beds.updated"]})
    assert answer.status_code == 422, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert "url" in answer.get_json()["errors"]


@pytest.mark.parametrize("url, why", [
    ("ftp://93.184.215.14/x", "http or https"), ("http://user:pw@93.184.215.14/", "password"),
    ("http:///nohost", "host"), ("http://93.184.215.14:99999/", "valid URL"),
    # once accepted: urlsplit drops CR/LF/tab, so another URL than the one typed was called
    ("http://93.184.215.14/a\r\nX-Evil: 1", "line breaks"),
    ("http://93.184.215.14/a b", "spaces"), ("http://93.184.215.14/a\tb", "tabs")])
def test_malformed_targets_are_refused(app, url, why):
    answer = app.test_client().post("/v1/subscriptions", headers=bearer(app, "admin"),
                                    json={"url": url, "events": ["beds.updated"]})
    assert answer.status_code == 422
    assert why in answer.get_json()["errors"]["url"][0]


def test_body_errors_name_the_field(app):
    answer = app.test_client().post("/v1/subscriptions", headers=bearer(app, "admin"), json={
        "url": "https://93.184.215.14/hook", "events": ["beds.updated", "beds.gone"],
        "colour": "red"})
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert "events" in errors.get("json", errors) and "colour" in errors.get("json", errors)


def test_a_public_name_is_accepted_and_one_private_answer_refuses_it():
    assert targets.resolve("https://partner.example/hook", False,
                           fake_dns("93.184.215.14")).address == "93.184.215.14"
    with pytest.raises(targets.TargetRefused, match="loopback"):
        targets.resolve("https://partner.example/hook", False,
                        fake_dns("93.184.215.14", "127.0.0.1"))
    with pytest.raises(targets.TargetRefused, match="cannot be resolved"):
        targets.resolve("https://nowhere.invalid/hook", False)
    assert targets.resolve("http://localhost/x", True, fake_dns("127.0.0.1")).address \
        == "127.0.0.1"


def test_a_name_that_rebinds_to_loopback_is_refused_at_delivery(app):
    """Registered while it resolved to a public address; at delivery it resolves to the
    receiver on 127.0.0.1, and nothing is sent."""
    receiver = Receiver()
    try:
        port = receiver.server.server_address[1]
        url = f"http://rebind.example:{port}/hook"
        targets.check(url, False, fake_dns("93.184.215.14"))
        adb = app.extensions["availability"]
        webhooks.deliver_to_url(adb, url, store.new_secret(), "t.test", {}, "k", now=NOW)
        done = webhooks.deliver_due(app, NOW, getaddrinfo=fake_dns("127.0.0.1"))
        assert (done["sent"], done["failed"]) == (1, 1)
        assert receiver.received == []
        (letter,) = store.list_deliveries(adb.read(), 1, 10)[1]
        assert letter["state"] == "pending" and "refused" in letter["last_error"]
    finally:
        receiver.close()


def test_redirects_are_not_followed(tmp_path):
    """A 302 to anywhere is a failure to retry, and the Location is never requested."""
    receiver = Receiver()
    try:
        receiver.statuses = [302]
        target = targets.resolve(receiver.url, True)
        assert targets.post(target, b"{}", {}, 2.0) == (302, None)
        assert len(receiver.received) == 1
    finally:
        receiver.close()


def test_an_unreachable_target_fails_quickly_with_a_reason():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = targets.resolve(f"http://127.0.0.1:{port}/", True)
    assert targets.post(target, b"{}", {}, 1.0) == (None, "cannot connect")


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0xa9fea9fe"])
def test_other_ipv4_spellings_of_private_addresses_are_refused_without_dns(host):
    with pytest.raises(targets.TargetRefused, match="non-public"):
        targets.check_without_dns(f"http://{host}/hook", allow_private=False)


def test_a_name_that_only_looks_numeric_in_part_is_left_to_dns():
    targets.check_without_dns("https://911.example.org/hook", allow_private=False)


"""directory_service/mail.py against a real SMTP server on loopback (aiosmtpd): STARTTLS
when offered and when required, certificates verified, and SMTP_URL checked at start."""
import subprocess
from dataclasses import replace

import pytest

from directory_service import mail
from tests.smtp_server import SmtpServer


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smtp-tls")
    subprocess.run(["bash", "scripts/make_local_cert.sh", str(folder), "localhost"],
                   check=True, capture_output=True)
    return str(folder)


def test_starttls_is_used_when_offered_and_can_be_required(cert_dir, seed_app_factory):
    server = SmtpServer(cert_dir, require_starttls=True).start()
    try:
        settings = seed_app_factory().config["SETTINGS"]
        tls = replace(settings, smtp_url=server.url + "?starttls=required",
                      smtp_ca_file=f"{cert_dir}/cert.pem", mail_from="n@example.org")
        assert mail.send_mail(tls, ["a@example.org"], "Hi", "Body").startswith("<")
        assert server.inbox.messages[0][1]["Subject"] == "Hi"
        # Without the private CA the certificate is not trusted: no mail in the clear.
        with pytest.raises(mail.MailError, match="TLS"):
            mail.send_mail(replace(tls, smtp_ca_file=""), ["a@example.org"], "Hi", "Body")
    finally:
        server.stop()
    plain = SmtpServer().start()
    try:
        with pytest.raises(mail.MailError, match="STARTTLS"):
            mail.send_mail(replace(tls, smtp_url=plain.url + "?starttls=required"),
                           ["a@example.org"], "Hi", "Body")
        assert plain.inbox.messages == []
    finally:
        plain.stop()


def test_smtp_url_is_checked_at_start(seed_app_factory):
    from directory_service.config import ConfigError

    for bad in ("http://mail.example.org", "smtp://", "smtp://h:x", "smtp://h?tls=1",
                "smtps://h?starttls=required"):
        with pytest.raises(ConfigError, match="SMTP_URL"):
            seed_app_factory(smtp_url=bad, mail_from="n@example.org")
    with pytest.raises(ConfigError, match="MAIL_FROM"):
        seed_app_factory(smtp_url="smtp://127.0.0.1:25")
    with pytest.raises(ConfigError, match="NUDGE_TIMES"):
        seed_app_factory(nudge_times=("8 am",))
    assert mail.parse_url("smtps://u%40x:p%2F@mail.example.org")["user"] == "u@x"

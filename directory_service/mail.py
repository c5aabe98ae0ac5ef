"""E-mail over SMTP: the one way the service sends mail (nudges, and watches later).

`SMTP_URL` says where: `smtp://user:password@host:587` speaks plain SMTP and upgrades
with STARTTLS whenever the server offers it (`?starttls=required` refuses a server that
does not), `smtps://host:465` is TLS from the first byte. Certificates are verified
(SMTP_CA_FILE adds a private CA). Failures are one typed exception, `MailError`, whose
text never holds an address or a password, so callers may record and log it.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = {"smtp": 25, "smtps": 465}


class MailError(Exception):
    """A message could not be handed to the SMTP server (the text says why, safely)."""


def parse_url(url):
    """{"scheme", "host", "port", "user", "password", "starttls"} of SMTP_URL, or None
    when it is empty; ValueError naming the problem (never the password)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or "
                         "smtps://user:password@host:465")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise ValueError("SMTP_URL has a port that is not a number") from None
    query = parse_qs(parts.query)
    starttls = (query.get("starttls") or ["auto"])[-1]
    if starttls not in ("auto", "required") or set(query) - {"starttls"}:
        raise ValueError("SMTP_URL takes one option: ?starttls=required")
    if parts.scheme == "smtps" and starttls == "required":
        raise ValueError("SMTP_URL: smtps:// is TLS already; starttls=required is for smtp://")
    return {"scheme": parts.scheme, "host": parts.hostname, "port": port,
            "user": unquote(parts.username or ""), "password": unquote(parts.password or ""),
            "starttls": starttls}


def _tls_context(settings):
    return ssl.create_default_context(cafile=settings.smtp_ca_file or None)


def _connect(server, settings):
    timeout = settings.smtp_timeout_s
    if server["scheme"] == "smtps":
        return smtplib.SMTP_SSL(server["host"], server["port"], timeout=timeout,
                                context=_tls_context(settings))
    client = smtplib.SMTP(server["host"], server["port"], timeout=timeout)
    client.ehlo()
    if client.has_extn("starttls"):
        client.starttls(context=_tls_context(settings))
        client.ehlo()
    elif server["starttls"] == "required":
        client.close()
        raise MailError("the SMTP server does not offer STARTTLS (starttls=required)")
    return client


def build_message(settings, to, subject, text, html=None):
    """The EmailMessage sent: plain text, with an HTML alternative when given."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(to)
    # One line: a record's name with a line break in it must not end the header.
    message["Subject"] = " ".join(subject.split())
    domain = settings.mail_from.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(settings, to, subject, text, html=None):
    """Send one message to the addresses `to`; returns its Message-ID. MailError when
    SMTP_URL is unset or the server refuses or cannot be reached."""
    to = [address for address in to if address]
    if not to:
        raise MailError("no recipient")
    try:
        server = parse_url(settings.smtp_url)
    except ValueError as exc:
        raise MailError(str(exc)) from None
    if server is None:
        raise MailError("SMTP_URL is not set")
    message = build_message(settings, to, subject, text, html)
    try:
        client = _connect(server, settings)
        try:
            if server["user"]:
                client.login(server["user"], server["password"])
            client.send_message(message)
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                client.close()
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"the SMTP server refused the login ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused:
        raise MailError("the SMTP server refused every recipient") from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"the SMTP server answered {exc.smtp_code}") from None
    except ssl.SSLError as exc:
        raise MailError(f"TLS with the SMTP server failed ({exc.reason or type(exc).__name__})") \
            from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"the SMTP server could not be reached ({type(exc).__name__})") \
            from None
    # Some recipients refused, others accepted: the message went out, and sending it
    # again would reach the accepted ones twice; the caller keeps the id.
    return message["Message-ID"]

"""A real SMTP server on loopback for the tests (aiosmtpd), plain or with STARTTLS."""
import socket
import ssl
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it accepted: (envelope, parsed message)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope, parsed))
        return "250 Message accepted for delivery"

    def text(self, index=-1):
        return self.messages[index][1].get_body(("plain",)).get_content()


class SmtpServer:
    """Start with `start()`, stop with `stop()`; `url` is the SMTP_URL that reaches it."""

    def __init__(self, cert_dir=None, require_starttls=False):
        self.inbox = Inbox()
        self.port = free_port()
        options = {}
        if cert_dir is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(f"{cert_dir}/cert.pem", f"{cert_dir}/key.pem")
            options = {"tls_context": context, "require_starttls": require_starttls}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     **options)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

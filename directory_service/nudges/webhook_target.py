"""Where a nudge's webhook may point: never into private, loopback or link-local ranges
(the server's own network) unless WEBHOOK_ALLOW_PRIVATE says so (the webhooks part's
setting; tests use it), checked on every address the name resolves to."""
import ipaddress
import socket
from urllib.parse import urlsplit


class WebhookRefused(Exception):
    """The webhook target is refused or answered with an error (the text says why)."""


def check_target(url, allow_private=False):
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookRefused("the webhook URL is not valid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("the webhook URL is not http or https")
    if allow_private:
        return
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError:
        raise WebhookRefused("the webhook host does not resolve") from None
    for *_rest, address in found:
        ip = ipaddress.ip_address(address[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved \
                or ip.is_multicast or ip.is_unspecified:
            raise WebhookRefused("the webhook points into a private network")

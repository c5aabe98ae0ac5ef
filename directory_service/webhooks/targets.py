"""Where a webhook may go, and one bounded POST to it (issue 23, item 3).

A partner's URL must not turn the service into a probe of its own network (SSRF): a
target whose name resolves to a private, loopback, link-local, reserved, multicast or
otherwise non-public address (IPv4, IPv6, and IPv4 inside IPv6) is refused unless
WEBHOOK_ALLOW_PRIVATE=true. The check runs at registration AND before every attempt, on
the addresses DNS gives then, and the request connects to the very address that was
checked (the name goes only in Host and TLS SNI), so a name that re-resolves to
127.0.0.1 between check and connect (DNS rebinding) cannot get through. Redirects are
never followed; each attempt has a short connect and read timeout and reads at most
MAX_BODY bytes of the answer.
"""
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

MAX_BODY = 64 * 1024
MAX_URL = 2000
USER_AGENT = "directory-service-webhooks/1"
# 100.64.0.0/10 (carrier-grade NAT) and the like are not is_private but not public either.
# The most telling name first (127.0.0.1 is also "private").
NON_PUBLIC = ("is_loopback", "is_link_local", "is_unspecified", "is_multicast", "is_reserved",
              "is_private")


class TargetRefused(ValueError):
    """The URL is not one a delivery may go to; the message says why (for `url`)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the request connects to


def why_not_public(address):
    """None for a public address, else what it is ("a loopback address")."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        # 6to4 (2002::/16) and Teredo (2001::/32) carry an IPv4 address a relay reaches.
        inner = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and why_not_public(str(inner)):
            return f"{ip} carries {why_not_public(str(inner))}"
    for test in NON_PUBLIC:
        if getattr(ip, test):
            kind = test[3:].replace("_", "-")
            return f"{ip} is {'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def parse(url):
    """(scheme, host, port, path) of an http(s) URL, or TargetRefused."""
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise TargetRefused(f"must be an http or https URL of at most {MAX_URL} characters")
    # urlsplit silently drops CR, LF and tab, and a space is sent percent-encoded: the URL
    # the admin typed would not be the one stored and called.
    if any(c <= " " or c == "\x7f" for c in url):
        raise TargetRefused("must not contain spaces, tabs, line breaks or other control "
                            "characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not carry a user name or password; the signature "
                            "authenticates each delivery")
    if parts.fragment:
        raise TargetRefused("must not have a #fragment")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(url, allow_private, getaddrinfo=socket.getaddrinfo):
    """The Target for `url`, its name resolved now; TargetRefused when it is malformed,
    cannot be resolved, or any address it resolves to is not public (unless allowed)."""
    scheme, host, port, path = parse(url)
    try:
        found = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, OSError, ValueError):
        raise TargetRefused(f"the host {host!r} cannot be resolved") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise TargetRefused(f"the host {host!r} cannot be resolved")
    if not allow_private:
        for address in addresses:
            why = why_not_public(address)
            if why:
                raise TargetRefused(f"resolves to a non-public address ({why}); such "
                                    "targets need WEBHOOK_ALLOW_PRIVATE=true")
    return Target(scheme, host, port, path, addresses[0])


def _legacy_ipv4(host):
    """The dotted quad of a host the C library reads as an IPv4 address though
    `ipaddress` does not ("2130706433", "0x7f.1", "0177.0.0.1", "127.1" are 127.0.0.1
    to getaddrinfo and to every HTTP client), else None."""
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def check_without_dns(url, allow_private):
    """The checks that need no DNS (a coach's watch webhook, checked when saved): the
    shape of `parse`, and a literal address or `localhost` that is not public (unless
    allowed). A name is resolved and checked before every attempt."""
    _scheme, host, _port, _path = parse(url)
    if allow_private:
        return
    if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
        raise TargetRefused("is this machine (localhost); such targets need "
                            "WEBHOOK_ALLOW_PRIVATE=true")
    try:
        why = why_not_public(_legacy_ipv4(host) or host)
    except ValueError:
        return  # a name
    if why:
        raise TargetRefused(f"is a non-public address ({why}); such targets need "
                            "WEBHOOK_ALLOW_PRIVATE=true")


def check(url, allow_private, getaddrinfo=socket.getaddrinfo):
    """Registration's check: as `resolve`, but a literal public address needs no DNS."""
    resolve(url, allow_private, getaddrinfo)


def post(target, body, headers, timeout_s, max_body=MAX_BODY):
    """POST `body` to the checked address of `target`; returns (status, None) or
    (None, why it failed). Never follows a redirect; reads at most `max_body` bytes of
    the answer and gives up reading after `timeout_s` in all."""
    host_header = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    if target.port != default:
        host_header += f":{target.port}"
    timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address, target.port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED")
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout,
                                          retries=False, maxsize=1)
    try:
        response = pool.urlopen(
            "POST", target.path, body=body, redirect=False, retries=False,
            preload_content=False, assert_same_host=False,
            headers={**headers, "Host": host_header, "Content-Type": "application/json",
                     "User-Agent": USER_AGENT})
        try:
            deadline, read = time.monotonic() + timeout_s, 0
            while read < max_body and time.monotonic() < deadline:
                chunk = response.read(min(8192, max_body - read))
                if not chunk:
                    break
                read += len(chunk)
            return response.status, None
        finally:
            response.release_conn()
            response.close()
    except urllib3.exceptions.HTTPError as exc:
        return None, _reason(exc)
    except OSError as exc:
        return None, type(exc).__name__
    finally:
        pool.close()


def _reason(exc):
    """A short, address-free reason (the class, and a timeout said as such)."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "cannot connect"  # refused or unreachable (a subclass of the timeout)
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timeout"
    cause = getattr(exc, "reason", None)
    if isinstance(cause, Exception):
        return f"{type(exc).__name__}: {type(cause).__name__}"
    return type(exc).__name__

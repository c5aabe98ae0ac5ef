"""The sign-in form's CSRF check, without a cookie.

A session-bound token needs a session, and a session is a cookie: the sign-in page would
set one on everyone who merely opens it. Before sign-in there is no session to protect,
only the sign-in itself (login CSRF: a page elsewhere signing the visitor in with the
attacker's key). Browsers say where a POST comes from (`Origin`, `Sec-Fetch-Site`, else
`Referer`), so the sign-in POST is accepted only from this site's own pages. A client
that sends none of them is no browser and cannot be made to post on someone's behalf.
"""
from urllib.parse import urlsplit

from flask import request

SAME_SITE_FETCH = ("same-origin", "none")


def _host_of(url):
    try:
        return urlsplit(url).netloc.lower() or None
    except ValueError:
        return None


def from_this_site():
    """True unless the request says it comes from another origin (or hides it: "null")."""
    here = request.host.lower()
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        return _host_of(origin) == here
    # "null": a page with no-referrer, or a sandboxed frame; Sec-Fetch-Site still tells.
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in SAME_SITE_FETCH
    if origin == "null":
        return False
    referrer = request.headers.get("Referer")
    if referrer is not None:
        return _host_of(referrer) == here
    return True

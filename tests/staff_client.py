"""Signing in to the staff pages through the Flask test client, as a browser would."""
import re

from directory_service.availability import keys

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
NOTICE = re.compile(r'class="notice notice-(\w+)"[^>]*>([^<]+)<')


def make_key(app, role, facility_id=None):
    return keys.create(app.extensions["availability"], role, facility_id)[1]


def token(html):
    found = TOKEN.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in(client, key):
    """Sign in with `key` from the sign-in form (which carries no token: no cookie before
    sign-in); returns the response."""
    client.get("/staff/sign-in")
    return client.post("/staff/sign-in", data={"key": key})


def page_token(client, path):
    html = client.get(path).get_data(as_text=True)
    return html, token(html)


def notices(html):
    return NOTICE.findall(html)

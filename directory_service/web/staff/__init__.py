"""Staff pages: intake staff, coaches and administrators, signed in with their API key.

A staff member pastes their key once; the server checks it with the same `keys.verify`
as the API and starts a server-side session (availability/staff_sessions.py). The signed
cookie (HttpOnly, SameSite=Strict, path /staff, Secure over HTTPS) carries only that
session's random token and Flask-WTF's CSRF token, never the key or its id. Every request
looks the session up with its key, so sign-out, a revoked key, or an idle or too old
session ends it for every copy of the cookie at once. Every POST carries a Flask-WTF CSRF
token. The public page never touches the session, so anonymous visitors get no cookie.
"""
import os
import secrets
import time

from flask import current_app, g, get_flashed_messages, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from directory_service.availability import staff_sessions

SESSION_KEY = "staff"
SECRET_FILE = "staff-session.secret"
HOMES = {"facility": "web.staff_facility_home", "coach": "web.staff_coach",
         "admin": "web.staff_admin"}
csrf = CSRFProtect()


class SignInNeeded(Exception):
    """No valid session: answered with the sign-in form and 401. `why` says what ended it."""

    def __init__(self, why="none"):
        super().__init__(why)
        self.why = why


class StaffProblem(Exception):
    """A staff page refused (403) or found nothing (404): a page in the visitor's language."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class StaffSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def open_session(self, app, request):
        """Flask's, with the answer it gives a request without the cookie (every API
        call) given before building the signing serializer it would not use (a
        fortieth of a served search, issue 25)."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def session_secret(settings):
    """SESSION_SECRET, or one kept beside the availability database and shared by every
    worker: made once (created under a temporary name, then linked into place, so two
    workers starting together agree on the first one written)."""
    if settings.session_secret:
        return settings.session_secret
    folder = os.path.dirname(os.path.abspath(settings.availability_path))
    target = os.path.join(folder, SECRET_FILE)
    if not os.path.exists(target):
        os.makedirs(folder, exist_ok=True)
        temporary = f"{target}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, target)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: rename, unless one appeared
            if not os.path.exists(target):
                os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    with open(target, encoding="ascii") as handle:
        return handle.read().strip()


def init_app(app):
    """Session and CSRF settings; the staff routes attach to the page's blueprint."""
    settings = app.config["SETTINGS"]
    app.config.update(
        SECRET_KEY=session_secret(settings),
        SESSION_COOKIE_NAME="staff_session",
        SESSION_COOKIE_PATH="/staff",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        STAFF_IDLE_SECONDS=settings.staff_idle_minutes * 60,
        STAFF_MAX_SECONDS=settings.staff_session_max_hours * 3600,
        # Checked only on staff POSTs (below); the API's writes use keys, not cookies.
        WTF_CSRF_CHECK_DEFAULT=False,
        # The session's own timeouts bound the token; a form left open on the intake
        # desk's phone for an hour must still save.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = StaffSessionInterface()
    csrf.init_app(app)

    from directory_service.web.staff import (  # noqa: F401
        admin, admin_nudges, admin_webhooks, coach, coach_holds, contacts, facility,
        nudge_links, onboarding, outcomes, profile, reports, views, watches,
    )


def now():
    """Seconds since the epoch: the session clock (tests shift it with STAFF_CLOCK)."""
    clock = current_app.config.get("STAFF_CLOCK")
    return clock() if callable(clock) else time.time()


def _limits():
    config = current_app.config
    return staff_sessions.Limits(config["STAFF_IDLE_SECONDS"], config["STAFF_MAX_SECONDS"])


def sign_in(principal, ends_at=None):
    """Start a fresh session for `principal`: the cookie gets only its new token (a fresh
    one each time, so a token planted before sign-in is never the signed-in one).
    `ends_at` (epoch seconds) ends it sooner than the usual limits."""
    session.clear()
    token = staff_sessions.start(current_app.extensions["availability"], principal.key_id,
                                 now(), _limits(), ends_at)
    session[SESSION_KEY] = {"s": token}


def sign_out():
    """End the session server-side (every copy of the cookie with it), then the cookie."""
    data = session.get(SESSION_KEY)
    if isinstance(data, dict):
        staff_sessions.end(current_app.extensions["availability"], data.get("s"))
    session.clear()


def current_principal():
    """The signed-in Principal, or SignInNeeded (never signed in, signed out, idle, too
    old, revoked)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or "s" not in data:
        raise SignInNeeded("none")
    principal, why = staff_sessions.resume(current_app.extensions["availability"],
                                           data["s"], now(), _limits())
    if principal is None:
        session.clear()
        raise SignInNeeded(why)
    g.staff_principal = principal
    return principal


def signed_in(*roles):
    """The signed-in Principal if its role is one of `roles`; 403 otherwise."""
    principal = current_principal()
    if principal.role not in roles:
        raise StaffProblem(403)
    return principal


def flashed_notices():
    """This page's messages by the row or hold they belong to: {key: (kind, text)}.

    A message is flashed as ("text", "kind|key"); the key is "page" when none is named.
    """
    notices = {}
    for category, text in get_flashed_messages(with_categories=True):
        kind, _sep, key = category.partition("|")
        notices[key or "page"] = (kind, text)
    return notices

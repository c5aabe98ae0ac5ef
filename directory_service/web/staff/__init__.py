"""Staff pages: intake staff, coaches and administrators, signed in with their API key.

A staff member pastes their key once; the server checks it with the same `keys.verify`
as the API and keeps only the key's id in a signed session cookie (HttpOnly,
SameSite=Strict, path /staff, Secure over HTTPS), never the key. Every request re-reads
the key's row, so a revoked key ends its sessions at once; an idle or too old session
returns to sign-in. Every POST carries a Flask-WTF CSRF token. The public page never
touches the session, so anonymous visitors get no cookie at all.
"""
import os
import secrets
import time

from flask import current_app, g, get_flashed_messages, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from directory_service.availability import keys

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
        admin, coach, coach_holds, facility, onboarding, profile, reports, views,
    )


def now():
    """Seconds since the epoch: the session clock (tests shift it with STAFF_CLOCK)."""
    clock = current_app.config.get("STAFF_CLOCK")
    return clock() if callable(clock) else time.time()


def sign_in(principal):
    """Start a fresh session for `principal`: only the key's id and two times are kept."""
    session.clear()
    moment = now()
    session[SESSION_KEY] = {"k": principal.key_id, "since": moment, "seen": moment}


def sign_out():
    session.clear()


def current_principal():
    """The signed-in Principal, or SignInNeeded (never signed in, idle, too old, revoked)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or "k" not in data:
        raise SignInNeeded("none")
    moment, config = now(), current_app.config
    if (moment - data.get("seen", 0) > config["STAFF_IDLE_SECONDS"]
            or moment - data.get("since", 0) > config["STAFF_MAX_SECONDS"]):
        session.clear()
        raise SignInNeeded("expired")
    principal = keys.principal_for(current_app.extensions["availability"], data["k"])
    if principal is None:
        session.clear()
        raise SignInNeeded("revoked")
    session[SESSION_KEY] = {**data, "seen": moment}
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

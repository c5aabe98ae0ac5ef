"""Bearer keys on write endpoints: who may call, checked before the body is even read.

Public search needs no key. A missing or unknown key is 401; a key of the wrong role, or a
facility key used for another facility, is 403 (DESIGN §6, §9).
"""
import functools

from flask import current_app, g, request

from directory_service.availability import keys
from directory_service.errors import ApiProblem

SECURITY = [{"bearerAuth": []}]


def authenticate(roles):
    """The calling Principal, if its key is valid and has one of `roles`."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiProblem(401, "send an API key as 'Authorization: Bearer <key>'")
    principal = keys.verify(current_app.extensions["availability"], presented.strip())
    if principal is None:
        raise ApiProblem(401, "the API key is unknown or revoked")
    if principal.role not in roles:
        raise ApiProblem(403, f"a {principal.role} key may not do this; "
                              f"it needs a {' or '.join(roles)} key")
    return principal


def require_key(*roles):
    """Decorator: the view runs only for a key with one of `roles` (in `g.principal`)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.principal = authenticate(roles)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def require_facility(principal, facility_id):
    """Facility keys act for their own facility only; admins for any."""
    if principal.role == "facility" and principal.facility_id != facility_id:
        raise ApiProblem(403, "this facility key belongs to another facility")


def register_scheme(api):
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "Keys from `flask keys create`; roles admin, coach, "
                                      "facility (scoped to one facility)."})

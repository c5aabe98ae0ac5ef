"""Sign in, sign out, each role's home, hold decisions, and the staff problem pages."""
from flask import current_app, flash, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError

from directory_service.api.holds import decide_hold
from directory_service.availability import holds, keys, onboarding
from directory_service.errors import ApiProblem
from directory_service.web import blp
from directory_service.web.staff import (
    HOMES, SignInNeeded, StaffProblem, csrf, current_principal, origin, signed_in, sign_in,
    sign_out, words,
)
from directory_service.web.views import page_url

# POSTs made without a session (sign-in, a nudge's one-tap links, whose signed token is
# the authority): checked for coming from this site instead of by a session's token.
ORIGIN_CHECKED = ("web.staff_sign_in_post", "web.nudge_link_post", "web.nudge_unsubscribe_post")
# Which decision each role may take from a page, and the words that report it.
DECISIONS = {"confirm": ("confirmed", ("facility", "admin")),
             "decline": ("declined", ("facility", "admin")),
             "cancel": ("cancelled", ("coach", "admin"))}


def safe_next(target):
    """A staff path to return to after sign-in or a decision, never another site."""
    if target and target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return None


def home_url(principal):
    return page_url(HOMES[principal.role])


def render_sign_in(status=200, reason=None, error=None, notice=None):
    words = {"expired": _("Your session ended because it was idle too long. Please sign in "
                          "again."),
             "revoked": _("That key was revoked. Please sign in with a current key."),
             "signed_out": _("You are signed out.")}
    return render_template("staff/sign_in.html", reason=notice or words.get(reason),
                           error=error,
                           next=safe_next(request.values.get("next"))
                           or (request.full_path.rstrip("?") if request.method == "GET"
                               and request.path != "/staff/sign-in" else None)), status


def sign_in_refused(wait):
    """Too many failed sign-ins from this address (request_limits.py): 429, the form in
    the visitor's language, and when to try again, even for a correct key."""
    minutes = max(1, (wait + 30) // 60)  # to the nearest minute: 61 s is "1 minute"
    body, status = render_sign_in(429, notice=ngettext(
        "Too many failed sign-ins from here. Please wait %(num)d minute and try again.",
        "Too many failed sign-ins from here. Please wait %(num)d minutes and try again.",
        minutes))
    return body, status, {"Retry-After": str(wait)}


@blp.before_request
def _csrf_on_staff_forms():
    """Only staff POSTs are checked: the API's writes carry keys, not cookies. Sign-in
    has no session yet, so no token: it must come from this site (origin.py)."""
    if request.method == "POST" and request.path.startswith("/staff/"):
        if request.endpoint in ORIGIN_CHECKED:
            if not origin.from_this_site():
                raise CSRFError("the sign-in form was sent from another site")
        else:
            csrf.protect()


@blp.app_context_processor
def _staff_context():
    return {"staff_words": words, "principal": g.get("staff_principal")}


@blp.errorhandler(SignInNeeded)
def _sign_in_needed(exc):
    return render_sign_in(401, exc.why)


@blp.errorhandler(StaffProblem)
def _staff_problem(exc):
    return render_template("staff/problem.html", status=exc.status), exc.status


@blp.errorhandler(CSRFError)
def _csrf_refused(exc):
    return render_template("staff/problem.html", status=400, csrf=True), 400


@blp.get("/staff/")
@blp.get("/staff")
def staff_home():
    return redirect(home_url(current_principal()), 303)


@blp.get("/staff/sign-in")
def staff_sign_in():
    reason = "signed_out" if request.args.get("signed_out") else None
    return render_sign_in(200, reason)


@blp.post("/staff/sign-in")
def staff_sign_in_post():
    presented = (request.form.get("key") or "").strip()
    principal = keys.verify(current_app.extensions["availability"], presented)
    if principal is None:
        return render_sign_in(401, error=_("That key is unknown or revoked. Check it and "
                                           "try again."))
    sign_in(principal)
    if principal.role == "facility":
        onboarding.claim(current_app.extensions["availability"], principal.facility_id, "sign_in")
    return redirect(safe_next(request.form.get("next")) or home_url(principal), 303)


@blp.post("/staff/sign-out")
def staff_sign_out():
    sign_out()
    return redirect(page_url("web.staff_sign_in", signed_out=1), 303)


def _hold_zone(hold_id):
    """The time zone of the hold's facility, so the times a reason names are local."""
    hold = holds.get(current_app.extensions["availability"], hold_id)
    record = hold and current_app.extensions["store"].get(hold["facility_id"])
    return (record or {}).get("timezone")


@blp.post("/staff/holds/<hold_id>/<action>")
def staff_decide_hold(hold_id, action):
    """Confirm admission, decline (the facility) or cancel (the coach), as the API does."""
    if action not in DECISIONS:
        raise StaffProblem(404)
    state, roles = DECISIONS[action]
    principal = signed_in(*roles)
    try:
        decide_hold(principal, hold_id, state)
    except ApiProblem as exc:
        if exc.status in (403, 404):
            raise StaffProblem(exc.status) from None
        flash(_("This hold could not be changed. %(why)s",
                why=words.hold_reason(exc.detail, _hold_zone(hold_id))),
              "error|" + hold_id)
    else:
        flash({"confirmed": _("Admission confirmed. The bed count went down by one."),
               "declined": _("Hold declined. The bed is free again."),
               "cancelled": _("Hold cancelled. The bed is free again.")}[state],
              "done|" + hold_id)
    return redirect(safe_next(request.form.get("next")) or home_url(principal), 303)

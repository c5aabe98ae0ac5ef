"""The public page's "Something wrong?": a plain form on every record, no account, no cookie.

The form works with JavaScript off and without a session (the public page never sets a
cookie), so it carries no CSRF token; a forged cross-site post is refused by the
browser's own Sec-Fetch-Site and Origin headers, a hidden honeypot field catches simple
bots, and the API's per-client limit (RATE_LIMIT_PUBLIC_REPORTS) is shared with it. The
report goes through the API's `file_report`, so the page and the API store and log the
same way.
"""
from flask import current_app, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, ValidationError, fields

from directory_service.api.public_reports import file_report, limit_view
from directory_service.availability.public_reports import REASONS
from directory_service.errors import ApiProblem
from directory_service.schemas.public_reports import PublicReportBody
from directory_service.web import blp
from directory_service.web.views import page_url

REASON_WORDS = {
    "closed": _l("It has closed"),
    "phone": _l("The phone number does not work"),
    "hours": _l("The hours are wrong"),
    "address": _l("The address is wrong"),
    "beds": _l("It showed open beds, but there were none"),
    "other": _l("Something else"),
}
MESSAGES = {
    "reason": _l("Choose what is wrong."),
    "detail": _l("Please leave out names, birth dates, phone numbers and e-mail addresses, "
                 "and keep it under 280 characters. Say only what is wrong."),
    "form": _l("The form was changed. Please fill it in again."),
}
# Browsers say where a form post came from; only our own pages may post this form.
CROSS_SITE = ("cross-site", "same-site")


class ReportForm(PublicReportBody):
    """The page's form: the API's body, plus the honeypot no person fills in."""

    class Meta:
        unknown = RAISE

    website = fields.String(load_default="")


@blp.app_template_global()
def report_reason_words():
    """(code, words) of every reason, in the page's language, for the form."""
    return [(code, REASON_WORDS[code]) for code in REASONS]


def _record_or_404(record_id):
    return current_app.extensions["store"].get(record_id)


def _cross_site():
    if request.headers.get("Sec-Fetch-Site") in CROSS_SITE:
        return True
    # The page's Referrer-Policy (no-referrer) makes browsers send "Origin: null" even
    # from our own page; Sec-Fetch-Site above is what tells such posts apart.
    origin = request.headers.get("Origin")
    return origin not in (None, "null") and origin.rstrip("/") != request.host_url.rstrip("/")


def _form_page(record, values, errors, status):
    return render_template("report_problem.html", r=record, values=values, errors=errors,
                           sent=False), status


@blp.get("/r/<path:record_id>/report")
def report_problem(record_id):
    record = _record_or_404(record_id)
    if record is None:
        return render_template("message.html", status=404, message=None), 404
    if request.args.get("sent") == "1":
        return render_template("report_problem.html", r=record, values={}, errors={},
                               sent=True)
    return _form_page(record, {}, {}, 200)


@blp.post("/r/<path:record_id>/report")
def report_problem_post(record_id):
    if _cross_site():
        return render_template("message.html", status=403, message=None), 403
    record = _record_or_404(record_id)
    if record is None:
        return render_template("message.html", status=404, message=None), 404
    values = {name: request.form.get(name) for name in request.form}
    try:
        body = ReportForm().load({k: v for k, v in values.items() if v != "" or k == "website"})
    except ValidationError as exc:
        errors = {name if name in MESSAGES else "form": MESSAGES.get(name, MESSAGES["form"])
                  for name in exc.messages}
        return _form_page(record, values, errors, 422)
    if not body.pop("website"):
        try:
            file_report(record_id, body)
        except ApiProblem:
            return render_template("message.html", status=404, message=None), 404
    # A bot that filled the honeypot is thanked too, and nothing is stored.
    return redirect(page_url("web.report_problem", record_id=record_id, sent=1), 303)


def init_app(app):
    """The form's posts share the API's per-client report limit."""
    limit_view(app, "web.report_problem_post")

"""The administrators' queue of public "Something wrong?" reports, and the facility's view.

`/staff/reports` lists open reports first, then confirmed ones still to correct; each is
confirmed, dismissed or resolved with the API's own `decide_report`, so the page and
`POST /v1/reports/{id}/…` cannot differ. A facility's page includes the unresolved
reports about itself (templates/staff/_facility_reports.html, `facility_reports`).
"""
from flask import current_app, flash, redirect, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directory_service.api.public_reports import decide_report
from directory_service.availability import public_reports
from directory_service.errors import ApiProblem
from directory_service.web import blp
from directory_service.web.report_problem import REASON_WORDS
from directory_service.web.staff import StaffProblem, flashed_notices, signed_in
from directory_service.web.views import page_url

SHOWN = 100
STATE_WORDS = {"open": _l("New"), "confirmed": _l("Confirmed, to correct"),
               "dismissed": _l("Dismissed"), "resolved": _l("Corrected")}
DONE = {"confirm": _l("Report confirmed."), "dismiss": _l("Report dismissed."),
        "resolve": _l("Marked corrected; the record shows it was checked today.")}


def _with_names(found):
    store, names = current_app.extensions["store"], {}
    for report in found:
        rid = report["record_id"]
        if rid not in names:
            record = store.get(rid)
            names[rid] = record.get("name") if record else rid
        report["record_name"] = names[rid]
    return found


@blp.app_template_global()
def facility_reports(facility_id):
    """The unresolved public reports about one facility, newest first (its staff page)."""
    adb = current_app.extensions["availability"]
    found = []
    for state in public_reports.UNRESOLVED:
        found += public_reports.listing(adb, 1, SHOWN, state, facility_id)[1]
    return found


@blp.app_template_global()
def new_report_count():
    """How many reports wait for a decision (the admin page's link says it)."""
    return public_reports.listing(current_app.extensions["availability"], 1, 1, "open")[0]


@blp.app_template_global()
def report_words():
    return {"reasons": REASON_WORDS, "states": STATE_WORDS}


@blp.get("/staff/reports")
def staff_reports():
    principal = signed_in("admin")
    adb = current_app.extensions["availability"]
    queues = {state: _with_names(public_reports.listing(adb, 1, SHOWN, state)[1])
              for state in public_reports.UNRESOLVED}
    return render_template("staff/reports.html", principal=principal, queues=queues,
                           notices=flashed_notices())


@blp.post("/staff/reports/<report_id>/<action>")
def staff_decide_report(report_id, action):
    if action not in public_reports.ACTIONS:
        raise StaffProblem(404)
    principal = signed_in("admin")
    try:
        decide_report(principal, report_id, action)
    except ApiProblem as exc:
        if exc.status == 404:
            raise StaffProblem(404) from None
        flash(_("This report was already decided."), "error|" + report_id)
    else:
        flash(str(DONE[action]), "done|page")
    return redirect(page_url("web.staff_reports"), 303)

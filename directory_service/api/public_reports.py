"""Public reports: `POST /v1/resources/{id}/reports` (anyone), the queue `GET /v1/reports`
and `GET /v1/resources/{id}/reports` (admin: all; facility key: its own facility's) and
`POST /v1/reports/{id}/confirm|dismiss|resolve` (admin). DESIGN §12.

The anonymous POST needs no key and sets no cookie; it has its own rate limit per client
(RATE_LIMIT_PUBLIC_REPORTS, shared with the public page's form) besides the read limit.
The log says only that a report arrived and its reason: never the client's address or
the text. Resolving a confirmed "closed" reopens the record.
"""
import logging

from flask import current_app, g
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE

from directory_service.api import auth
from directory_service.api.beds import publish
from directory_service.availability import public_reports
from directory_service.availability.bodies import bounded_json
from directory_service.errors import ApiProblem
from directory_service.schemas.public_reports import (
    PublicReportAccepted, PublicReportBody, ReportListArgs, ReportListResponse, ReportSchema,
)

blp = Blueprint("public_reports", __name__, url_prefix="/v1",
                description="Public reports that a record is wrong")
log = logging.getLogger(__name__)
# The scope the API's POST and the page's form share: one budget per client.
LIMIT_SCOPE = "public-reports"


def _adb():
    return current_app.extensions["availability"]


def file_report(record_id, body):
    """Store an anonymous report about an indexed record (the API and the page); 404 for
    an unknown id. Logs the reason only."""
    if current_app.extensions["store"].get(record_id) is None:
        raise ApiProblem(404, f"no resource with id {record_id!r}")
    report = public_reports.create(_adb(), record_id, body["reason"], body.get("detail"))
    log.info("public report received reason=%s", body["reason"])
    return report


def decide_report(principal, report_id, action):
    """Confirm, dismiss or resolve a report (admin; the API and the staff page): 404
    unknown, 409 already decided; the record's new standing is pushed like new beds."""
    try:
        report = public_reports.decide(_adb(), report_id, action, f"key:{principal.key_id}")
    except KeyError:
        raise ApiProblem(404, f"no report with id {report_id!r}") from None
    except public_reports.ReportConflict as exc:
        raise ApiProblem(409, str(exc)) from None
    publish(report["record_id"])
    return report


def visible_reports(principal, args):
    """(total, reports) the key may see: every report for an admin, its own facility's for
    a facility key (a record_id of another facility is 403, never an empty list)."""
    record_id = args.get("record_id")
    if principal.role == "facility":
        if record_id is not None:
            auth.require_facility(principal, record_id)
        record_id = principal.facility_id
    return public_reports.listing(_adb(), args["page"], args["per_page"], args.get("state"),
                                  record_id)


@blp.route("/resources/<path:record_id>/reports")
class RecordReports(MethodView):
    @auth.require_key("admin", "facility")
    @blp.arguments(ReportListArgs(exclude=("record_id",)), location="query", unknown=RAISE,
                   as_kwargs=False)
    @blp.response(200, ReportListResponse)
    @blp.doc(security=auth.SECURITY)
    def get(self, args, record_id):
        """The reports about one record, newest first: admins, and that facility's key."""
        total, found = visible_reports(g.principal, {**args, "record_id": record_id})
        return {"total": total, "page": args["page"], "per_page": args["per_page"],
                "reports": found}

    @bounded_json
    @blp.arguments(PublicReportBody)
    @blp.response(201, PublicReportAccepted)
    @blp.alt_response(404, description="No record with this id.")
    @blp.alt_response(429, description="Too many reports from this client; see Retry-After.")
    def post(self, body, record_id):
        """Say a record is wrong: no account, no cookie; `detail` must hold no personal
        data. An administrator checks it; until then the record shows "may be out of
        date — call first" (`reported_problems`)."""
        return file_report(record_id, body)


@blp.route("/reports")
class Reports(MethodView):
    @auth.require_key("admin", "facility")
    @blp.arguments(ReportListArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, ReportListResponse)
    @blp.doc(security=auth.SECURITY)
    def get(self, args):
        """The report queue, newest first: every report for an admin key, only its own
        facility's for a facility key."""
        total, found = visible_reports(g.principal, args)
        return {"total": total, "page": args["page"], "per_page": args["per_page"],
                "reports": found}


@blp.route("/reports/<report_id>")
class Report(MethodView):
    @auth.require_key("admin", "facility")
    @blp.response(200, ReportSchema)
    @blp.doc(security=auth.SECURITY)
    def get(self, report_id):
        """One report: admins, and the facility it is about."""
        report = public_reports.get(_adb(), report_id)
        if report is None:
            raise ApiProblem(404, f"no report with id {report_id!r}")
        auth.require_facility(g.principal, report["record_id"])
        return report


def _action(name, summary):
    @auth.require_key("admin")
    @blp.response(200, ReportSchema)
    @blp.alt_response(409, description="The report was already decided.")
    @blp.doc(security=auth.SECURITY, summary=summary)
    def post(self, report_id):
        return decide_report(g.principal, report_id, name)

    view = type(f"Report{name.title()}", (MethodView,), {"post": post})
    blp.route(f"/reports/<report_id>/{name}")(view)


_action("confirm", "Confirm an open report (a confirmed 'closed' hides the record from "
                   "search; other problems lower its rank)")
_action("dismiss", "Dismiss an open report (the record was right)")
_action("resolve", "Resolve: the record was corrected or has reopened; verified_at moves")


def init_app(app, api):
    """Register the blueprint and the per-client limit on the anonymous POST."""
    api.register_blueprint(blp)
    limit_view(app, "public_reports.RecordReports")


def limit_view(app, endpoint):
    """Put `endpoint`'s POST under RATE_LIMIT_PUBLIC_REPORTS (one budget per client
    address, counted as the limiter's keyed hash, never the address)."""
    settings = app.config["SETTINGS"]
    limiter = app.extensions["rate_limiter"]
    if settings.rate_limit_public_reports:
        # Flask-Limiter checks a decorated view inside its wrapper, so the registered view
        # is replaced by the wrapped one.
        app.view_functions[endpoint] = limiter.shared_limit(
            settings.rate_limit_public_reports, scope=LIMIT_SCOPE,
            methods=["POST"])(app.view_functions[endpoint])

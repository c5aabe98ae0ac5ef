"""Bed reports: `GET|PUT /v1/facilities/{id}/beds`, its history, and the batch feed.

A PUT carries the version it was made against (`If-Match` or `version`); the check and
the write share one transaction, so a stale writer gets 412 instead of a lost update.
"""
from datetime import datetime, timezone

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, ValidationError

from directory_service import beds as freshness
from directory_service.api import auth
from directory_service.availability import figures, reports
from directory_service.availability.feed import read_feed
from directory_service.errors import ApiProblem
from directory_service.schemas.availability import (
    BatchRow, BedReportBody, BedsResponse, HistoryResponse, PageArgs,
)

blp = Blueprint("beds", __name__, url_prefix="/v1", description="Live bed availability")


def refuse_query_parameters(blueprint, exempt=()):
    """Endpoints without query parameters answer 422 to any, so a typo is never ignored."""
    @blueprint.before_request
    def _no_query():
        if request.endpoint not in exempt and request.args:
            names = sorted(request.args)
            raise ApiProblem(422, "unknown query parameter " + ", ".join(names),
                             {name: ["Unknown field."] for name in names})


refuse_query_parameters(blp, exempt=("beds.BedHistory",))


def indexed_facility(facility_id):
    """The facility's directory record, or 404."""
    record = current_app.extensions["store"].get(facility_id)
    if record is None or record.get("kind") != "treatment_facility":
        raise ApiProblem(404, f"no treatment facility with id {facility_id!r}")
    return record


def level_errors(record, rows):
    """{row index: {"level_of_care": [...]}} for levels the facility does not offer."""
    offered = set(record.get("levels_of_care", ()))
    return {i: {"level_of_care": [f"{row['level_of_care']} is not offered by "
                                  f"{record['id']} (offers {', '.join(sorted(offered))})"]}
            for i, row in enumerate(rows) if row["level_of_care"] not in offered}


def expected_version(body_version):
    """The version the writer saw, from If-Match and/or the body; None = unconditional."""
    header = None
    if request.if_match and not request.if_match.star_tag:
        # gzip responses carry the ETag as "3:gzip" (flask-compress); the version is "3".
        tags = {tag.split(":")[0] for tag in request.if_match.as_set(include_weak=True)}
        if len(tags) != 1 or not next(iter(tags)).isdigit():
            raise ApiProblem(412, "If-Match must name one version, as the ETag gave it")
        header = int(next(iter(tags)))
    if header is not None and body_version is not None and header != body_version:
        raise ApiProblem(422, "If-Match and version disagree",
                         {"version": ["differs from If-Match"]})
    return header if header is not None else body_version


def beds_body(facility_id, record=None):
    adb = current_app.extensions["availability"]
    record = record or indexed_facility(facility_id)
    version = reports.facility_version(adb.read(), facility_id)
    now, settings = datetime.now(timezone.utc), current_app.config["SETTINGS"]
    rows = freshness.annotate_record(record, now, settings).get("beds", [])
    levels = {level: freshness.figure(f["open"], f["reported_at"], now, settings)
              for level, f in figures.level_figures(record.get("beds", [])).items()}
    body = {"facility_id": facility_id, "version": version, "rows": rows, "figures": levels}
    return body, {"ETag": f'"{version}"'}


def publish(facility_id):
    """Tell the search store (Elasticsearch writes it through) the facility's new figures."""
    adb = current_app.extensions["availability"]
    current_app.extensions["store"].live_beds_changed(
        facility_id, reports.live_rows(adb.read(), facility_id))


@blp.route("/facilities/<path:facility_id>/beds")
class FacilityBeds(MethodView):
    @blp.response(200, BedsResponse)
    def get(self, facility_id):
        """Current bed rows (live over directory), per-level open beds net of holds, ETag."""
        return beds_body(facility_id)

    @auth.require_key("facility", "admin")
    @blp.arguments(BedReportBody)
    @blp.response(200, BedsResponse)
    @blp.doc(security=auth.SECURITY)
    def put(self, body, facility_id):
        """Report beds per level of care and population (facility key or admin).

        Send the ETag from GET as `If-Match` (or `version` in the body): a stale version
        is 412. Rows not named keep their figures. Every accepted report is kept in history.
        """
        auth.require_facility(g.principal, facility_id)
        record = indexed_facility(facility_id)
        errors = level_errors(record, body["rows"])
        if errors:
            raise ApiProblem(422, "invalid rows", {"rows": errors})
        expected = expected_version(body.get("version"))
        try:
            reports.apply_report(current_app.extensions["availability"], facility_id,
                                 body["rows"], f"key:{g.principal.key_id}",
                                 record.get("beds"), expected)
        except reports.StaleVersion as exc:
            raise ApiProblem(412, f"the bed figures changed since version {expected}; "
                             f"they are at version {exc.current}: GET them and report again",
                             {"version": [f"current version is {exc.current}"]}) from None
        publish(facility_id)
        return beds_body(facility_id)


@blp.route("/facilities/<path:facility_id>/beds/history")
class BedHistory(MethodView):
    @auth.require_key("facility", "admin")
    @blp.arguments(PageArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, HistoryResponse)
    @blp.doc(security=auth.SECURITY)
    def get(self, args, facility_id):
        """Every report, admission and baseline for the facility, newest first."""
        auth.require_facility(g.principal, facility_id)
        indexed_facility(facility_id)
        total, entries = reports.history(current_app.extensions["availability"], facility_id,
                                         args["page"], args["per_page"])
        return {"facility_id": facility_id, "total": total, "page": args["page"],
                "per_page": args["per_page"], "entries": entries}


@blp.route("/availability")
class AvailabilityFeed(MethodView):
    @auth.require_key("facility", "admin")
    @blp.doc(security=auth.SECURITY, requestBody={"content": {
        "application/json": {"schema": {"type": "array", "items": BatchRow}},
        "text/csv": {"schema": {"type": "string"}}}})
    @blp.response(200)
    @blp.alt_response(207, description="Some rows were rejected; see per-row results.")
    def post(self):
        """Batch feed: a JSON array or CSV of rows; a result for every row, partial success.

        CSV columns: facility_id, level_of_care, population, capacity, available, status,
        reported_at, note. A facility key may only send its own rows.
        """
        rows = read_feed(request)
        principal = g.principal
        if principal.role == "facility" and any(
                isinstance(r, dict) and r.get("facility_id") != principal.facility_id
                for r in rows):
            raise ApiProblem(403, "a facility key may only report its own facility's rows")
        results = [apply_feed_row(n, row) for n, row in enumerate(rows, start=1)]
        rejected = sum(r["status"] == "rejected" for r in results)
        body = {"accepted": len(results) - rejected, "rejected": rejected, "results": results}
        return body, 207 if rejected else 200


def apply_feed_row(number, raw):
    """Validate and apply one feed row; its result, never an exception."""
    try:
        row = BatchRow().load(raw)
    except ValidationError as exc:
        return {"row": number, "status": "rejected", "errors": exc.messages}
    facility_id = row.pop("facility_id")
    record = current_app.extensions["store"].get(facility_id)
    if record is None or record.get("kind") != "treatment_facility":
        return {"row": number, "status": "rejected",
                "errors": {"facility_id": [f"no treatment facility with id {facility_id!r}"]}}
    errors = level_errors(record, [row])
    if errors:
        return {"row": number, "status": "rejected", "errors": errors[0]}
    version = reports.apply_report(current_app.extensions["availability"], facility_id, [row],
                                   f"key:{g.principal.key_id}", record.get("beds"))
    publish(facility_id)
    return {"row": number, "status": "accepted", "facility_id": facility_id,
            "version": version}

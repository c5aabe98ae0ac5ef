"""Bed reports: `GET|PUT /v1/facilities/{id}/beds`, its history, and the batch feed.

A PUT must carry the version it was made against in `If-Match` (428 without it, 400 when
malformed); the check and the write share one transaction, so a stale writer gets 412
instead of a lost update. Batch rows carry a `version` or are checked by age: an older
report never replaces a newer one. Notes and the reporting key are shown only to the
facility's own key and admins.
"""
import functools
from collections import defaultdict
from datetime import datetime, timezone

from flask import current_app, g, request
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE, ValidationError

from directory_service import beds as freshness, jobs
from directory_service.api import auth
from directory_service.availability import figures, reports
from directory_service.availability.bodies import bounded_json
from directory_service.availability.feed import read_feed
from directory_service.availability.preconditions import versions_from_if_match
from directory_service.errors import ApiProblem
from directory_service.schemas.availability import (
    BatchRow, BedReportBody, BedsResponse, HistoryResponse, PageArgs,
)

blp = Blueprint("beds", __name__, url_prefix="/v1", description="Live bed availability")
# One parser schema for every report, as for searches (api/search.py SEARCH_ARGS): given
# the class, webargs builds and deep-copies a new schema per request (issue 25).
REPORT_BODY = BedReportBody()


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


def own_facility(view):
    """Decorator: a facility key acts for its own facility only (403), which must exist
    (404), both before the request's condition or body is looked at."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        auth.require_facility(g.principal, kwargs["facility_id"])
        g.record = indexed_facility(kwargs["facility_id"])
        return view(*args, **kwargs)
    return wrapper


def require_if_match(view):
    """Decorator: a 428/400 for a missing or malformed If-Match, before the body is read."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.if_match = versions_from_if_match(request.headers.get("If-Match"))
        return view(*args, **kwargs)
    return wrapper


def expected_versions(body_version):
    """The versions the writer may have read: If-Match, cross-checked with `version`."""
    versions = g.if_match
    if body_version is not None and body_version not in versions:
        raise ApiProblem(422, "If-Match and version disagree",
                         {"version": ["differs from If-Match"]})
    return versions


def viewer_may_see_private(facility_id):
    """True when the caller presents this facility's key or an admin key.

    The endpoint itself is public; a key that is presented must be valid (401 otherwise),
    and a key of another facility or a coach simply gets the public view.
    """
    if "Authorization" not in request.headers:
        return False
    principal = auth.authenticate(("admin", "coach", "facility"))
    return principal.role == "admin" or (
        principal.role == "facility" and principal.facility_id == facility_id)


def beds_body(facility_id, record=None, private=False, applied=None):
    """The facility's rows and per-level figures; notes and reporters only when `private`.

    `applied`: the report just written (reports.Applied); while the facility is still at
    its version, its answer takes the private rows the report's transaction read instead
    of reading them again (the same rows: nothing changed them since)."""
    adb = current_app.extensions["availability"]
    record = record or indexed_facility(facility_id)
    version = reports.facility_version(adb.read(), facility_id)
    now, settings = datetime.now(timezone.utc), current_app.config["SETTINGS"]
    rows = freshness.annotate_record(record, now, settings).get("beds", [])
    if private:
        written = applied.written if applied is not None and applied.version == version \
            else None
        own = {(r["level_of_care"], r["population"]): r
               for r in (written.rows if written is not None else
                         reports.live_rows(adb.read(), facility_id, now, private=True))}
        rows = [{**row, **{k: own[key][k] for k in ("reported_by", "note")}}
                if (key := (row["level_of_care"], row.get("population") or "adult_any")) in own
                else row for row in rows]
    levels = {level: freshness.figure(f["open"], f["reported_at"], now, settings)
              for level, f in figures.level_figures(record.get("beds", [])).items()}
    body = {"facility_id": facility_id, "version": version, "rows": rows, "figures": levels}
    headers = {"ETag": f'"{version}"'}
    if private:
        headers.update({"Cache-Control": "private, no-store", "Vary": "Authorization"})
    return body, headers


def publish(facility_id):
    """Queue the outbox consumers (the Elasticsearch push, …) for the committed change.

    Runs after the commit and never fails the write: the change is in the outbox, and the
    job runner catches up even if queuing fails now (directory_service/jobs/). A 503 here
    made the client retry a committed write (412, or a second held bed)."""
    jobs.after_write(current_app._get_current_object())


@blp.route("/facilities/<path:facility_id>/beds")
class FacilityBeds(MethodView):
    @blp.response(200, BedsResponse)
    @blp.doc(security=[{}, *auth.SECURITY])
    def get(self, facility_id):
        """Current bed rows (live over directory), per-level open beds net of holds, ETag.

        Public. With the facility's own key (or an admin key) the rows also carry
        `note` and `reported_by`; nobody else ever sees them.
        """
        private = viewer_may_see_private(facility_id)
        return beds_body(facility_id, private=private)

    @auth.require_key("facility", "admin")
    @own_facility
    @require_if_match
    @bounded_json
    @blp.arguments(REPORT_BODY)
    @blp.response(200, BedsResponse)
    @blp.alt_response(400, description="Malformed If-Match, or a body nested too deep.")
    @blp.alt_response(409, description="A row is older than the report already stored.")
    @blp.alt_response(412, description="The figures changed since the version in If-Match.")
    @blp.alt_response(428, description="No If-Match: a report must name the version it "
                                       "was made against.")
    @blp.doc(security=auth.SECURITY, parameters=[{
        "in": "header", "name": "If-Match", "required": True,
        "schema": {"type": "string", "maxLength": 200},
        "description": 'The ETag of GET …/beds, e.g. "3".'}])
    def put(self, body, facility_id):
        """Report beds per level of care and population (facility key or admin).

        Send the ETag from GET as `If-Match` (required: 428 without it, 400 when
        malformed); a stale version is 412. A row older than the stored report for its
        level and population is 409. Rows not named keep their figures. When a row now has
        fewer open beds than active holds, the newest holds beyond it are released
        (`released_holds`). Every accepted report is kept in history.
        """
        applied = save_report(g.record, body["rows"], g.principal,
                              expected_versions(body.get("version")))
        body, headers = beds_body(facility_id, private=True, applied=applied)
        body["released_holds"] = [h for ids in applied.released.values() for h in ids]
        return body, headers


def save_report(record, rows, principal, expected, event="report"):
    """Apply validated report rows for `principal` (the PUT and the facility page).

    Raises 422 (a level the facility does not offer), 412 (a stale version) or 409 (a row
    older than the stored report); publishes the new figures. Returns reports.Applied.
    `event` is "confirmation" when staff only say the figures are still accurate.
    """
    facility_id = record["id"]
    errors = level_errors(record, rows)
    if errors:
        raise ApiProblem(422, "invalid rows", {"rows": errors})
    try:
        applied = reports.apply_report(current_app.extensions["availability"], facility_id,
                                       rows, f"key:{principal.key_id}", record.get("beds"),
                                       expected, event=event)
    except reports.StaleVersion as exc:
        raise ApiProblem(412, f"the bed figures changed since version "
                         f"{_shown(expected)}; they are at version {exc.current}: GET "
                         f"them and report again",
                         {"version": [f"current version is {exc.current}"]}) from None
    except reports.RowsRefused as exc:
        raise ApiProblem(409, "a row is older than the report already stored; nothing "
                         "was written", {"rows": exc.errors}) from None
    overlay, written = current_app.extensions.get("live_overlay"), applied.written
    if overlay is not None and written is not None and event == "report":
        # This worker's live overlay takes the rows the report left instead of reading
        # the facility again (a confirmation also verifies the record: read as before).
        overlay.learn(facility_id, written.before, written.seq, written.public_rows())
    publish(facility_id)
    return applied


def _shown(versions):
    return ", ".join(str(v) for v in sorted(versions))


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
    @blp.alt_response(400, description="A JSON body nested too deep.")
    @blp.alt_response(413, description="More rows than one request may carry.")
    @blp.alt_response(415, description="Neither application/json nor text/csv.")
    def post(self):
        """Batch feed: a JSON array or CSV of rows; a result for every row, partial success.

        CSV columns: facility_id, level_of_care, population, capacity, available, status,
        reported_at, note, version. A facility key may only send its own rows. A row with
        `version` is rejected unless the facility is still at that version; any row older
        than the report stored for its level and population is rejected. One facility's
        accepted rows make one new version.
        """
        rows = read_feed(request)
        principal = g.principal
        if principal.role == "facility" and any(
                isinstance(r, dict) and r.get("facility_id") != principal.facility_id
                for r in rows):
            raise ApiProblem(403, "a facility key may only report its own facility's rows")
        results = apply_feed(rows, f"key:{principal.key_id}")
        rejected = sum(r["status"] == "rejected" for r in results)
        body = {"accepted": len(results) - rejected, "rejected": rejected, "results": results}
        return body, 207 if rejected else 200


def apply_feed(raw_rows, reported_by):
    """Validate every row, then apply each facility's rows in one transaction.

    Returns one result per row, in order; a row's problem never stops the others.
    """
    results, by_facility = {}, defaultdict(list)
    for number, raw in enumerate(raw_rows, start=1):
        try:
            row = BatchRow().load(raw)
        except ValidationError as exc:
            results[number] = _rejected(number, exc.messages)
            continue
        by_facility[row.pop("facility_id")].append((number, row))
    adb, store = current_app.extensions["availability"], current_app.extensions["store"]
    for facility_id, numbered in by_facility.items():
        record = store.get(facility_id)
        if record is None or record.get("kind") != "treatment_facility":
            for number, _ in numbered:
                results[number] = _rejected(number, {"facility_id": [
                    f"no treatment facility with id {facility_id!r}"]})
            continue
        offered = []
        for number, row in numbered:
            errors = level_errors(record, [row])
            if errors:
                results[number] = _rejected(number, errors[0])
            else:
                offered.append((number, row))
        if not offered:
            continue
        applied = reports.apply_report(adb, facility_id, [row for _, row in offered],
                                       reported_by, record.get("beds"), partial=True)
        for i, (number, _) in enumerate(offered):
            if i in applied.refused:
                results[number] = _rejected(number, applied.refused[i])
            else:
                results[number] = {"row": number, "status": "accepted",
                                   "facility_id": facility_id, "version": applied.version,
                                   "released_holds": applied.released.get(i, [])}
        if applied.released or len(applied.refused) < len(offered):
            publish(facility_id)
    return [results[n] for n in sorted(results)]


def _rejected(number, errors):
    return {"row": number, "status": "rejected", "errors": errors}

"""`GET /v1/outcomes` and `GET /v1/outcomes.csv` (admin key): what a deflection program
reports to its funders (directory_service/outcomes/). Counts and durations only.

The window is whole UTC days, `from` and `to` inclusive (default: the 28 days to today);
the holds are judged as they stand now. The staff page (web/staff/outcomes.py) reads the
same `outcomes_for`, so the page, the JSON and the CSV cannot disagree.
"""
import logging
from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE

from directory_service import outcomes
from directory_service.api import auth
from directory_service.errors import ApiProblem
from directory_service.outcomes.table import to_csv
from directory_service.schemas.outcomes import (
    MAX_DAYS, CsvOutcomeArgs, OutcomeArgs, OutcomesResponse,
)

blp = Blueprint("outcomes", __name__, url_prefix="/v1",
                description="Outcomes for the program (admin)")
log = logging.getLogger(__name__)
DEFAULT_DAYS = 28
CSV_DOC = {"200": {"description": "The same figures as CSV: a row per group and a `total` "
                                  "row (table=holds), or a row per snapshot "
                                  "(table=freshness).",
                   "content": {"text/csv": {"schema": {"type": "string"}}}}}


def window_of(args, now):
    """(first day, last day) from `from`/`to` and their defaults; 422 naming the field."""
    last = args.get("to") or now.date()
    first = args.get("from_") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ApiProblem(422, "`from` is after `to`", {"from": ["must be on or before `to`"]})
    if (last - first).days >= MAX_DAYS:
        raise ApiProblem(422, "the window is too long", {
            "from": [f"at most {MAX_DAYS} days before `to` (ask for one year at a time)"]})
    return first, last


def outcomes_for(args, now):
    """The outcomes for query `args` at `now`, facility groups named from the directory."""
    first, last = window_of(args, now)
    start, end = outcomes.window(first, last)
    result = outcomes.compute(current_app.extensions["availability"], start, end,
                              args["group_by"], now)
    if result["group_by"] == "facility":
        store = current_app.extensions["store"]
        for group in result["groups"]:
            record = store.get(group["group"])
            group["name"] = (record or {}).get("name") or group["group"]
    result["first_day"], result["last_day"] = first.isoformat(), last.isoformat()
    return result


def csv_response(result, table):
    name = f"outcomes-{result['first_day']}-{result['last_day']}-{result['group_by']}"
    name += "" if table == "holds" else "-freshness"
    return current_app.response_class(
        to_csv(result, table), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _now():
    from directory_service.web.views import page_now

    return page_now()


@blp.route("/outcomes")
class Outcomes(MethodView):
    @auth.require_key("admin")
    @blp.arguments(OutcomeArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, OutcomesResponse)
    @blp.doc(security=auth.SECURITY, responses={"200": {
        "description": "The figures as JSON (format=json), or the same figures as CSV "
                       "(format=csv; see `/v1/outcomes.csv`).",
        "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/OutcomesResponse"}}, **CSV_DOC["200"]["content"]}}})
    def get(self, args):
        """Holds placed, confirmed, declined by reason and expired; minutes to decision
        and from the bed's opening; per ISO week, facility or coach group; and the share
        of facilities fresh at each nudge time (admin key). Counts and durations only."""
        result = outcomes_for(args, _now())
        log.info("outcomes group_by=%s format=%s", args["group_by"], args["format"])
        if args["format"] == "csv":
            return csv_response(result, args["table"])
        return result


@blp.route("/outcomes.csv")
class OutcomesCsv(MethodView):
    @auth.require_key("admin")
    @blp.arguments(CsvOutcomeArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.doc(security=auth.SECURITY, responses=CSV_DOC)
    def get(self, args):
        """The outcomes as CSV, the same figures as `GET /v1/outcomes` (admin key)."""
        result = outcomes_for(args, _now())
        log.info("outcomes group_by=%s format=csv", args["group_by"])
        return csv_response(result, args["table"])


@blp.after_request
def _kept_nowhere(response):
    """Program figures for an administrator: no shared cache or browser keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app, api):
    api.register_blueprint(blp)

"""The administrator's outcomes page: the figures of `GET /v1/outcomes` as charts a
person would rather look at than read, each with its table, and the same CSV.

The page reads api/outcomes.outcomes_for, as the API does, so the page, the JSON and the
CSV show one set of numbers. Its form is a GET (bookmarkable, no script); a bad date or
grouping is answered with the form and a message naming the field.
"""
from datetime import date

from flask import render_template, request
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from directory_service.api.outcomes import csv_response, outcomes_for
from directory_service.availability.db import parse_iso
from directory_service.errors import ApiProblem
from directory_service.outcomes import REASONS
from directory_service.schemas.outcomes import OutcomeArgs
from directory_service.web import blp
from directory_service.web.staff import charts, signed_in
from directory_service.web.views import page_now

FIELDS = ("from", "to", "group_by")
OUTCOMES = ("confirmed", "declined", "expired", "active")
OUTCOME_WORDS = {"confirmed": _l("Confirmed: admitted"), "declined": _l("Declined"),
                 "expired": _l("Expired"), "active": _l("Still held")}
REASON_WORDS = {"facility_declined": _l("Declined by the facility"),
                "coach_cancelled": _l("Cancelled by the coach"),
                "fewer_beds_reported": _l("Released: fewer open beds reported"),
                "bed_gone": _l("Released: bed gone when confirmed"),
                "released_other": _l("Released: other reason")}
GROUP_WORDS = {"week": _l("Week"), "facility": _l("Facility"),
               "coach_group": _l("Coach group")}
FIELD_WORDS = {"from": _l("From"), "to": _l("To"), "group_by": _l("Group by")}
PAGE_ARGS = OutcomeArgs(only=("from_", "to", "group_by"))


def group_label(result, group):
    """A group as a person reads it: "Week of 2 Nov 2026", a facility's name, a coach
    group (or "No group")."""
    label = group["group"]
    if result["group_by"] == "week":
        year, week = label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        return _("Week of %(day)s", day=format_date(monday, "medium"))
    if result["group_by"] == "facility":
        return group.get("name") or label
    return label if label is not None else _("No group")


def minutes(value):
    """Minutes in the page's language ("67.5" / "67,5"); "—" when unknown."""
    return "—" if value is None else format_decimal(value, "#,##0.#")


def percent(share):
    return "—" if share is None else format_decimal(share * 100, "0.#") + "\u00a0%"


def moment(taken_at):
    """A snapshot's time, e.g. "2 Nov 2026 12:00" (UTC, as the column says)."""
    return format_datetime(parse_iso(taken_at), "d MMM y HH:mm")


def _args():
    """The page's query arguments, or ({}, {field: [message]}) when one is wrong."""
    raw = {k: v for k, v in request.args.items() if k in FIELDS and v}
    try:
        return PAGE_ARGS.load(raw), {}
    except ValidationError as exc:
        return {"group_by": "week"}, exc.messages


def _view(result):
    """What the template draws: labels, chart geometry and the rows of each table."""
    groups = [{**g, "label": group_label(result, g)} for g in result["groups"]]
    by_outcome = charts.stacked_bars([(g["label"], g) for g in groups], OUTCOMES)
    decision = charts.durations([(g["label"], g["decision_minutes"]) for g in groups])
    opening = charts.durations([(g["label"], g["opening_to_hold_minutes"]) for g in groups])
    snapshots = [{**s, "when": moment(s["taken_at"])} for s in result["freshness"]]
    fresh = charts.share_line([(s["when"], s["fresh_share"]) for s in snapshots])
    return {"groups": groups, "by_outcome": by_outcome, "decision": decision,
            "opening": opening, "fresh": fresh, "outcome_desc": outcome_desc(groups),
            "decision_desc": duration_desc(groups, "decision_minutes"),
            "opening_desc": duration_desc(groups, "opening_to_hold_minutes"),
            "fresh_desc": fresh_desc(snapshots), "snapshots": snapshots}


def outcome_desc(groups):
    """The numbers of the outcome chart as sentences (the SVG's <desc>)."""
    return " ".join(_("%(group)s: %(placed)s placed, %(confirmed)s admitted, %(declined)s "
                      "declined, %(expired)s expired, %(active)s still held.",
                      group=g["label"], placed=g["placed"], confirmed=g["confirmed"],
                      declined=g["declined"], expired=g["expired"], active=g["active"])
                    for g in groups) or _("No holds were placed in this period.")


def duration_desc(groups, key):
    """The numbers of a duration chart as sentences (the SVG's <desc>)."""
    return " ".join(_("%(group)s: median %(median)s minutes, 90th percentile %(p90)s "
                      "(%(n)s holds).", group=g["label"], median=minutes(g[key]["median"]),
                      p90=minutes(g[key]["p90"]), n=g[key]["count"])
                    for g in groups) or _("No holds were placed in this period.")


def fresh_desc(snapshots):
    """The freshness line's points as sentences (the SVG's <desc>)."""
    return " ".join(_("%(when)s: %(share)s fresh (%(fresh)s of %(total)s facilities).",
                      when=s["when"], share=percent(s["fresh_share"]), fresh=s["fresh"],
                      total=s["facilities"]) for s in snapshots)


def _outcomes(args):
    try:
        return outcomes_for(args, page_now()), {}
    except ApiProblem as exc:  # the window (from after to, too long): name the field
        return None, exc.errors or {"from": [exc.detail]}


@blp.get("/staff/admin/outcomes")
def staff_outcomes():
    principal = signed_in("admin")
    args, errors = _args()
    result = None
    if not errors:
        result, errors = _outcomes(args)
    query = {k: request.args[k] for k in FIELDS if request.args.get(k)}
    body = render_template(
        "staff/outcomes.html", principal=principal, result=result,
        view=_view(result) if result else None, errors=errors, query=query,
        group_by=args.get("group_by", "week"), outcomes=OUTCOMES, outcome_words=OUTCOME_WORDS,
        reasons=REASONS, reason_words=REASON_WORDS, group_words=GROUP_WORDS,
        field_words=FIELD_WORDS, minutes=minutes, percent=percent)
    return body, 422 if errors else 200


@blp.get("/staff/admin/outcomes.csv")
def staff_outcomes_csv():
    """The page's CSV: the API's, for a browser signed in on the staff pages."""
    signed_in("admin")
    args, errors = _args()
    table = request.args.get("table") if request.args.get("table") == "freshness" else "holds"
    if not errors:
        result, errors = _outcomes(args)
    if errors:
        return staff_outcomes()
    return csv_response(result, table)

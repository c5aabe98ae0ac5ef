"""Schemas of `GET /v1/outcomes`: its arguments and the figures it answers. The same
schemas validate the request and document it (OpenAPI)."""
from datetime import date

from marshmallow import Schema, fields, validate

from directory_service.outcomes import GROUP_BYS, REASONS
from directory_service.outcomes.table import TABLES
from directory_service.schemas.search import QueryArgs

MAX_DAYS = 366
# Days the window may name: a year 9999 `to` would overflow the day after it (a 500).
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2999, 12, 31)


def _day(**kwargs):
    return fields.Date(validate=validate.Range(
        FIRST_DATE, LAST_DATE, error=f"must be between {FIRST_DATE} and {LAST_DATE}"),
        **kwargs)


class OutcomeArgs(QueryArgs):
    # YYYY-MM-DD: ten characters (the documented bound; the date parser refuses longer).
    from_ = _day(data_key="from", metadata={
        "maxLength": 10,
        "description": "First day (YYYY-MM-DD, UTC), inclusive. Default: 27 days before "
                       f"`to`. At most {MAX_DAYS} days before `to`."})
    to = _day(metadata={"maxLength": 10, "description": "Last day (YYYY-MM-DD, UTC), inclusive. "
                               "Default: today."})
    group_by = fields.String(load_default="week", validate=validate.OneOf(
        GROUP_BYS, error="must be one of: " + ", ".join(GROUP_BYS)), metadata={
        "description": "week (ISO weeks, every week of the window listed), facility, or "
                       "coach_group (the label on coach keys; null for keys without one)."})
    format = fields.String(load_default="json", validate=validate.OneOf(
        ("json", "csv"), error="must be one of: json, csv"), metadata={
        "description": "json, or csv (the same figures, one row per group and a total)."})
    table = fields.String(load_default="holds", validate=validate.OneOf(
        TABLES, error="must be one of: " + ", ".join(TABLES)), metadata={
        "description": "For csv: holds (default) or freshness (one row per snapshot)."})


class CsvOutcomeArgs(OutcomeArgs):
    class Meta:
        exclude = ("format",)


class Duration(Schema):
    count = fields.Integer(metadata={"description": "Holds with this duration known."})
    median = fields.Float(allow_none=True, metadata={"description": "Minutes."})
    p90 = fields.Float(allow_none=True, metadata={
        "description": "Minutes; 90th percentile by nearest rank."})


class Figures(Schema):
    placed = fields.Integer(metadata={"description": "Holds placed in the period."})
    confirmed = fields.Integer(metadata={"description": "Confirmed: the person was admitted."})
    declined = fields.Integer(metadata={"description": "Ended without admission (not by "
                                                       "expiry): the sum of the reasons."})
    declined_by_reason = fields.Dict(keys=fields.String(validate=validate.OneOf(REASONS)),
                                     values=fields.Integer(), metadata={
        "description": "facility_declined, coach_cancelled, fewer_beds_reported (a report "
                       "left fewer open beds than holds), bed_gone (found full when "
                       "confirmed), released_other."})
    expired = fields.Integer()
    active = fields.Integer(metadata={"description": "Still held at `as_of`."})
    decision_minutes = fields.Nested(Duration, metadata={
        "description": "From the hold to its confirmation or decline (any reason)."})
    opening_to_hold_minutes = fields.Nested(Duration, metadata={
        "description": "From the moment the bed's row last went from no open bed to an "
                       "open bed (bed history) to the hold; unknown openings left out."})


class GroupFigures(Figures):
    group = fields.String(allow_none=True, metadata={
        "description": "2026-W45, a facility id, or a coach group (null: keys without "
                       "one)."})
    name = fields.String(metadata={"description": "The facility's name (group_by=facility)."})


class FreshnessSnapshot(Schema):
    taken_at = fields.String()
    facilities = fields.Integer(metadata={"description": "Facilities with live bed rows."})
    fresh = fields.Integer()
    aging = fields.Integer()
    stale = fields.Integer()
    unreported = fields.Integer()
    fresh_share = fields.Float(allow_none=True)
    aging_share = fields.Float(allow_none=True)
    stale_share = fields.Float(allow_none=True)
    unreported_share = fields.Float(allow_none=True)


class OutcomesResponse(Schema):
    from_ = fields.String(attribute="from", data_key="from",
                          metadata={"description": "Window start, UTC."})
    to = fields.String(metadata={"description": "Window end (exclusive), UTC."})
    group_by = fields.String()
    as_of = fields.String(metadata={"description": "The moment holds were judged at."})
    totals = fields.Nested(Figures)
    groups = fields.List(fields.Nested(GroupFigures))
    freshness = fields.List(fields.Nested(FreshnessSnapshot), metadata={
        "description": "Snapshots taken at the nudge times in the window, oldest first."})

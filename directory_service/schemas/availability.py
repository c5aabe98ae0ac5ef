"""Request and response schemas of the live-availability endpoints: bed reports, the batch
feed, holds and match. The same schemas validate requests and generate OpenAPI.
"""
import re
from datetime import datetime, timedelta, timezone

from flask import current_app, has_app_context
from marshmallow import (
    Schema, ValidationError, fields, post_load, validate, validates, validates_schema,
)

from directory_service import vocab
from directory_service.availability.db import iso
from directory_service.availability.holds import STATES as HOLD_STATES
from directory_service.config import Settings
from directory_service.schemas.codes import Code
from directory_service.schemas.language import LanguageCode
from directory_service.schemas.records import AwareDateTime, StrictSchema
from directory_service.schemas.search import (
    MAX_NEAR, MAX_RADIUS, BedFigureSchema, LevelBedFigureSchema, OriginSchema, QueryArgs,
    live_figures_field,
)

# Things a note must not carry: e-mail addresses, phone-like digit runs (phones, SSNs,
# record numbers), dates written with digits or month names, and the labels that
# introduce personal data ("DOB", "name:", "SSN", "MRN").
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
PERSONAL_DATA = re.compile(
    r"[^@\s]+@[^@\s]+"
    r"|\d[\d\s().-]{5,}\d"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b"
    r"|\b(?:d\.?o\.?b\b|date\s+of\s+birth|birth\s*date|born\s+(?:on|in)\b|ssn\b"
    r"|social\s+security|mrn\b|medical\s+record|(?:full\s+)?name\s*(?::|=|is\b))",
    re.IGNORECASE)
NO_PERSONAL_DATA = ("notes must not hold personal data (no names, dates of birth, phone "
                    "numbers or e-mail); say what the intake team needs, e.g. 'arriving 22:00'")
POPULATIONS = tuple(vocab.BED_POPULATIONS)


def personal_data(text):
    """True when `text` looks like it carries personal data (the check holds and reports use)."""
    return bool(text) and PERSONAL_DATA.search(text) is not None


def _no_personal_data(text):
    if personal_data(text):
        raise ValidationError(NO_PERSONAL_DATA)


def _settings():
    """The running app's settings; the defaults outside a request (schema generation)."""
    return current_app.config["SETTINGS"] if has_app_context() else Settings()


class WholeNumber(fields.Integer):
    """JSON has one kind of number: `3.0` and `3e0` are the whole number 3, as some senders
    (a Java double, Python's float) write it. 2.5 is still refused, never rounded."""

    def _validated(self, value):
        if type(value) is float and value.is_integer() and abs(value) <= 2 ** 53:
            value = int(value)
        return super()._validated(value)


def Count(**kwargs):
    """A whole number: 2.5, "2" and true are refused, never rounded or coerced."""
    return WholeNumber(strict=True, error_messages={
        "invalid": "must be a whole number (got {input!r}); counts are never rounded"}, **kwargs)


def _one_of(values, what):
    return validate.OneOf(values, error=f"must be one of the published {what}: "
                                        f"{', '.join(values)} (got {{input!r}})")


class ReportedAt(AwareDateTime):
    """When beds were counted: ISO 8601 with a zone, within the configured window.

    The window is `REPORT_MAX_AGE_DAYS` back and `REPORT_MAX_AHEAD_MINUTES` ahead; a date
    that cannot be expressed in UTC at all (year 1 with a +23:59 offset) is refused too.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = moment.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError("date out of range: it cannot be expressed in UTC") from None
        settings, now = _settings(), datetime.now(timezone.utc)
        earliest = now - timedelta(days=settings.report_max_age_days)
        latest = now + timedelta(minutes=settings.report_max_ahead_minutes)
        if not earliest <= moment <= latest:
            raise ValidationError(
                f"must be within the last {settings.report_max_age_days:g} days and at most "
                f"{settings.report_max_ahead_minutes:g} minutes ahead "
                f"({iso(earliest)} to {iso(latest)})")
        return moment


class BedReportRow(StrictSchema):
    level_of_care = fields.String(required=True,
                                  validate=_one_of(vocab.LEVELS_OF_CARE, "levels of care"))
    population = fields.String(load_default="adult_any",
                               validate=_one_of(POPULATIONS, "bed populations"))
    capacity = Count(load_default=None, allow_none=True, validate=validate.Range(0, 10_000))
    available = Count(load_default=None, allow_none=True, validate=validate.Range(0, 10_000))
    status = fields.String(load_default=None,
                           validate=_one_of(vocab.BED_STATUSES, "bed statuses"),
                           metadata={"description": "Derived from available when omitted."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                         metadata={"description": "Seen only by the facility and admins. "
                                   + NO_PERSONAL_DATA})
    reported_at = ReportedAt(load_default=None, allow_none=True, metadata={
        "description": "When counted; default now. Within REPORT_MAX_AGE_DAYS (30) back "
                       "and REPORT_MAX_AHEAD_MINUTES (5) ahead, and not older than the "
                       "report already stored for the row."})

    @validates("note")
    def _note_is_not_personal(self, note, **kwargs):
        _no_personal_data(note)

    @validates_schema
    def _consistent(self, data, **kwargs):
        capacity, available = data.get("capacity"), data.get("available")
        status = data.get("status")
        if capacity is not None and available is not None and available > capacity:
            raise ValidationError("available must not exceed capacity", "available")
        if status == "unknown" and available is not None:
            raise ValidationError("an unknown status cannot carry an available count", "available")
        if status in ("full", "closed") and available:
            raise ValidationError(f"a {status} row cannot have open beds", "available")
        if status == "open" and not available:
            raise ValidationError("an open row needs available > 0 (or status full)", "available")
        if status is None and available is None:
            raise ValidationError("give available, or status unknown", "available")

    @post_load
    def _normalise(self, data, **kwargs):
        if data["status"] is None:
            data["status"] = "open" if data["available"] else "full"
        if data["status"] in ("full", "closed"):
            data["available"] = 0
        if data["reported_at"] is not None:
            data["reported_at"] = iso(data["reported_at"])
        return data


class BedReportBody(StrictSchema):
    rows = fields.List(fields.Nested(BedReportRow), required=True,
                       validate=validate.Length(min=1, max=100))
    version = Count(validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "Optional cross-check: the version this report was made against. "
                       "If-Match is required; when both are sent they must agree."})

    @validates_schema
    def _one_row_each(self, data, **kwargs):
        keys = [(r["level_of_care"], r["population"]) for r in data["rows"]]
        if len(keys) != len(set(keys)):
            raise ValidationError("one row per level_of_care and population", "rows")


class BatchRow(BedReportRow):
    facility_id = fields.String(required=True, validate=validate.Length(min=3, max=200))
    version = Count(load_default=None, allow_none=True, validate=validate.Range(0, 10**15),
                    metadata={"description": "The facility version this row was made against "
                              "(the ETag of GET …/beds): a row made against another version "
                              "is rejected. Without it, a row older than the stored report "
                              "is rejected."})


class BedsResponse(Schema):
    facility_id = fields.String()
    version = fields.Integer()
    rows = fields.List(fields.Dict(), metadata={"description": "Live rows over indexed rows."})
    figures = fields.Dict(metadata={"description": "Per level: open (net of holds) and age."})
    released_holds = fields.List(fields.String(), metadata={
        "description": "PUT only: holds released because a row now has fewer open beds "
                       "than active holds (newest first)."})


class PageArgs(QueryArgs):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class HistoryResponse(Schema):
    facility_id = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    entries = fields.List(fields.Dict())


class HoldBody(StrictSchema):
    level_of_care = fields.String(required=True,
                                  validate=_one_of(vocab.LEVELS_OF_CARE, "levels of care"))
    population = fields.String(load_default=None, validate=_one_of(POPULATIONS, "bed populations"),
                               metadata={"description": "Needed when the level has beds for "
                                                        "several populations."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                         metadata={"description": "No personal data: " + NO_PERSONAL_DATA})
    # The maximum is HOLD_MAX_MINUTES; availability.init_app writes it into the OpenAPI
    # document, so the schema and the server agree whatever an operator configures.
    expires_in_minutes = Count(load_default=None, allow_none=True,
                               validate=validate.Range(min=1),
                               metadata={"description": "Default HOLD_DEFAULT_MINUTES (120), "
                                                        "at most HOLD_MAX_MINUTES (240)."})

    @validates("note")
    def _note_is_not_personal(self, note, **kwargs):
        _no_personal_data(note)

    @validates("expires_in_minutes")
    def _at_most_the_configured_maximum(self, minutes, **kwargs):
        longest = _settings().hold_max_minutes
        if minutes is not None and minutes > longest:
            raise ValidationError(f"a hold lasts at most {longest} minutes (HOLD_MAX_MINUTES)")


class HoldSchema(Schema):
    id = fields.String()
    facility_id = fields.String()
    level_of_care = fields.String()
    population = fields.String()
    coach_key_id = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.String()
    expires_at = fields.String()
    state = fields.String(validate=validate.OneOf(HOLD_STATES), metadata={
        "description": "active; confirmed or declined by the facility; cancelled by the "
                       "coach; expired; or released when the facility reported fewer open "
                       "beds than there were holds (see `reason`)."})
    decided_at = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={
        "description": "Why a hold was released, in words a coach can act on."})
    facility_name = fields.String(allow_none=True)
    facility_phone = fields.String(allow_none=True, metadata={
        "description": "In `GET /v1/holds`: the facility's intake line, else its main one."})
    facility_address = fields.String(allow_none=True, metadata={
        "description": "In `GET /v1/holds`: the facility's address in one line "
                       "(street, city, state and ZIP code)."})


class HoldListSchema(Schema):
    holds = fields.List(fields.Nested(HoldSchema))


class CoachHoldArgs(PageArgs):
    state = fields.String(validate=_one_of(HOLD_STATES, "hold states"), metadata={
        "description": "Only holds in this state (default: all, active first)."})


class CoachHoldsResponse(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    holds = fields.List(fields.Nested(HoldSchema))


class MatchBody(StrictSchema):
    level_of_care = fields.String(required=True, validate=validate.Length(max=16), metadata={
        "description": "An ASAM code (3rd or 4th edition) or 'detox'."})
    payer = Code(vocab.PAYMENT + ("uninsured",))
    gender = Code(("men", "women"))
    age = Count(validate=validate.Range(0, 120))
    pregnant = fields.Boolean(load_default=False)
    veteran = fields.Boolean(load_default=False)
    moud = Code(("methadone", "buprenorphine", "none"), load_default="none")
    language = LanguageCode()
    # Bounded by `_origin`, which knows the unit, so the error names the bound in that unit
    # ("at most 310 mi"), as /v1/search's radius does; the document states any unit's.
    max_distance = fields.Float(load_default=40.0, metadata={
        "description": "How far to look, in `unit`: more than 0 and at most 310 mi, 500 km "
                       "or 500,000 m.",
        "minimum": 0, "exclusiveMinimum": True, "maximum": max(MAX_RADIUS.values())})
    unit = Code(tuple(MAX_RADIUS), load_default="mi")
    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    near = fields.String(validate=validate.Length(min=2, max=MAX_NEAR))
    include_stale = fields.Boolean(load_default=False)
    include_fallbacks = fields.Boolean(load_default=False)
    limit = Count(load_default=10, validate=validate.Range(1, 50))

    @validates("level_of_care")
    def _known_level(self, value, **kwargs):
        try:
            vocab.expand_levels([value])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @validates_schema
    def _origin(self, data, **kwargs):
        has_point = "lat" in data or "lon" in data
        if has_point and ("lat" not in data or "lon" not in data):
            raise ValidationError("lat and lon go together", "lon" if "lat" in data else "lat")
        if has_point == ("near" in data):
            raise ValidationError("give lat and lon, or near (one of them)", "near")
        unit = data.get("unit", "mi")
        if not 0 < data.get("max_distance", 1) <= MAX_RADIUS[unit]:
            raise ValidationError(
                f"Must be more than 0 and at most {MAX_RADIUS[unit]:,} {unit}.", "max_distance")


class MatchHit(Schema):
    id = fields.String()
    name = fields.String()
    distance_m = fields.Float()
    distance_mi = fields.Float()
    score = fields.Float()
    components = fields.Dict()
    beds_open = fields.Nested(BedFigureSchema, allow_none=True)
    beds = fields.List(fields.Nested(LevelBedFigureSchema), metadata={
        "description": "The figures beds_open adds up, one per level of care and population "
                       "the person may take, each with its own age and freshness."})
    met = fields.List(fields.String())
    unmet = fields.List(fields.String())
    fallback = fields.Boolean()
    phone = fields.String(allow_none=True)
    record = fields.Dict()


class MatchResponse(Schema):
    live_figures = live_figures_field()
    origin = fields.Nested(OriginSchema)
    total = fields.Integer()
    results = fields.List(fields.Nested(MatchHit))

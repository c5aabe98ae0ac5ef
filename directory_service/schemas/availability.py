"""Request and response schemas of the live-availability endpoints: bed reports, the batch
feed, holds and match. The same schemas validate requests and generate OpenAPI.
"""
import re
from datetime import datetime, timezone

from marshmallow import (
    Schema, ValidationError, fields, post_load, validate, validates, validates_schema,
)

from directory_service import vocab
from directory_service.availability.db import iso
from directory_service.schemas.records import AwareDateTime, StrictSchema
from directory_service.schemas.search import (
    MAX_RADIUS, BedFigureSchema, OriginSchema, QueryArgs,
)

POPULATION = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Things a hold note must not carry: e-mail addresses, phone-like digit runs, dates.
PERSONAL_DATA = re.compile(
    r"[^@\s]+@[^@\s]+|\d[\d\s().-]{5,}\d|\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b")
NO_PERSONAL_DATA = ("notes must not hold personal data (no names, dates of birth, phone "
                    "numbers or e-mail); say what the intake team needs, e.g. 'arriving 22:00'")


class BedReportRow(StrictSchema):
    level_of_care = fields.String(required=True, validate=validate.OneOf(vocab.LEVELS_OF_CARE))
    population = fields.String(load_default="adult_any", validate=validate.Regexp(
        POPULATION, error="lower-case letters, digits and _ (e.g. adult_men)"))
    capacity = fields.Integer(load_default=None, allow_none=True,
                              validate=validate.Range(0, 10_000))
    available = fields.Integer(load_default=None, allow_none=True,
                               validate=validate.Range(0, 10_000))
    status = fields.String(load_default=None, validate=validate.OneOf(vocab.BED_STATUSES),
                           metadata={"description": "Derived from available when omitted."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    reported_at = AwareDateTime(load_default=None, allow_none=True,
                                metadata={"description": "When counted; default now."})

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
        reported = data.get("reported_at")
        if reported is not None and reported > datetime.now(timezone.utc):
            raise ValidationError("reported_at is in the future", "reported_at")

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
    version = fields.Integer(validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "The version this report was made against (or send If-Match)."})

    @validates_schema
    def _one_row_each(self, data, **kwargs):
        keys = [(r["level_of_care"], r["population"]) for r in data["rows"]]
        if len(keys) != len(set(keys)):
            raise ValidationError("one row per level_of_care and population", "rows")


class BatchRow(BedReportRow):
    facility_id = fields.String(required=True, validate=validate.Length(min=3, max=200))


class BedsResponse(Schema):
    facility_id = fields.String()
    version = fields.Integer()
    rows = fields.List(fields.Dict(), metadata={"description": "Live rows over indexed rows."})
    figures = fields.Dict(metadata={"description": "Per level: open (net of holds) and age."})


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
    level_of_care = fields.String(required=True, validate=validate.OneOf(vocab.LEVELS_OF_CARE))
    population = fields.String(load_default=None, validate=validate.Regexp(POPULATION), metadata={
        "description": "Needed when the level has beds for several populations."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                         metadata={"description": "No personal data: " + NO_PERSONAL_DATA})
    expires_in_minutes = fields.Integer(load_default=None, validate=validate.Range(1, 24 * 60))

    @validates("note")
    def _no_personal_data(self, note, **kwargs):
        if note and PERSONAL_DATA.search(note):
            raise ValidationError(NO_PERSONAL_DATA)


class HoldSchema(Schema):
    id = fields.String()
    facility_id = fields.String()
    level_of_care = fields.String()
    population = fields.String()
    coach_key_id = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.String()
    expires_at = fields.String()
    state = fields.String(validate=validate.OneOf(
        ("active", "confirmed", "declined", "cancelled", "expired")))
    decided_at = fields.String(allow_none=True)


class HoldListSchema(Schema):
    holds = fields.List(fields.Nested(HoldSchema))


class MatchBody(StrictSchema):
    level_of_care = fields.String(required=True, validate=validate.Length(max=16), metadata={
        "description": "An ASAM code (3rd or 4th edition) or 'detox'."})
    payer = fields.String(validate=validate.OneOf(vocab.PAYMENT + ("uninsured",)))
    gender = fields.String(validate=validate.OneOf(("men", "women")))
    age = fields.Integer(validate=validate.Range(0, 120))
    pregnant = fields.Boolean(load_default=False)
    veteran = fields.Boolean(load_default=False)
    moud = fields.String(load_default="none", validate=validate.OneOf(
        ("methadone", "buprenorphine", "none")))
    language = fields.String(validate=validate.Regexp(r"^[a-z]{2}$"))
    max_distance = fields.Float(load_default=40.0, validate=validate.Range(
        0, max(MAX_RADIUS.values()), min_inclusive=False))
    unit = fields.String(load_default="mi", validate=validate.OneOf(tuple(MAX_RADIUS)))
    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    near = fields.String(validate=validate.Length(min=2, max=200))
    include_stale = fields.Boolean(load_default=False)
    include_fallbacks = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))

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
        if data.get("max_distance", 0) > MAX_RADIUS[data.get("unit", "mi")]:
            raise ValidationError(f"at most {MAX_RADIUS[data.get('unit', 'mi')]}", "max_distance")


class MatchHit(Schema):
    id = fields.String()
    name = fields.String()
    distance_m = fields.Float()
    distance_mi = fields.Float()
    score = fields.Float()
    components = fields.Dict()
    beds_open = fields.Nested(BedFigureSchema, allow_none=True)
    met = fields.List(fields.String())
    unmet = fields.List(fields.String())
    fallback = fields.Boolean()
    phone = fields.String(allow_none=True)
    record = fields.Dict()


class MatchResponse(Schema):
    origin = fields.Nested(OriginSchema)
    total = fields.Integer()
    results = fields.List(fields.Nested(MatchHit))

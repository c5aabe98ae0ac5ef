"""Marshmallow schemas for indexed records (DESIGN §3): what a valid row looks like.

The indexer loads every row through `RecordSchema`, which picks the schema of the row's
`kind`; an invalid row is rejected with marshmallow's per-field messages and never stored.
Unknown fields are errors, so a misspelt field is reported instead of silently dropped.
"""
import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import (
    RAISE, Schema, ValidationError, fields, validate, validates, validates_schema,
)

from directory_service import vocab
from directory_service.schemas.fast_load import NotFast, compile_loader

# How a record's point was found: given, by ZIP, city or county centroid, or a region's pin.
LOCATION_PRECISIONS = ("exact", "zip", "city", "county", "region")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _one_of(values):
    return validate.OneOf(values)


def _list_of(values, **kwargs):
    return fields.List(fields.String(validate=_one_of(values)), load_default=list, **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class AwareDateTime(fields.AwareDateTime):
    """ISO 8601 with a zone; naive values are rejected rather than guessed."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class TimeOfDay(fields.String):
    def __init__(self, **kwargs):
        super().__init__(validate=validate.Regexp(HHMM, error="must be HH:MM (24 h)"), **kwargs)


# Bounds on free text, far above what real feeds hold (the longest meeting note in the
# shared samples is 962 characters, the longest id 162), so a broken or hostile feed cannot
# put megabytes into every answer that lists a record. Prose over its bound is cut with a
# warning by the indexer (indexer/row_step.py), not refused; anything else over is refused.
PROSE_LIMITS = {"description": 10_000, "notes": 4_000, "location_notes": 4_000,
                "conference_notes": 4_000}
MAX_ID, MAX_URL, MAX_LINE, MAX_PHONE = 512, 2_048, 500, 200


def _text(limit, **kwargs):
    """An optional string of at most `limit` characters."""
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=limit), **kwargs)


class Address(StrictSchema):
    street = _text(MAX_LINE)
    city = _text(MAX_LINE)
    state = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=2))
    postal_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^\d{5}(-\d{4})?$"))


# Defaults loaded once: building a schema per row would dominate index time.
EMPTY_ADDRESS = Address().load({})


class Location(StrictSchema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


class Phones(StrictSchema):
    main = _text(MAX_PHONE)
    intake = _text(MAX_PHONE)
    hotline = _text(MAX_PHONE)


EMPTY_PHONES = Phones().load({})


class Interval(StrictSchema):
    day = fields.Integer(required=True, validate=validate.Range(0, 6))
    open = TimeOfDay(required=True)
    close = TimeOfDay(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["close"] <= data["open"]:
            raise ValidationError("close must be after open", "close")


class Hours(StrictSchema):
    open_24_7 = fields.Boolean(load_default=False)
    intervals = fields.List(fields.Nested(Interval), load_default=list)


class Source(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(max=MAX_LINE))
    id = _text(MAX_ID)
    url = _text(MAX_URL)


ID_PATTERN = [validate.Length(max=MAX_ID),
              validate.Regexp(r"^[a-z0-9_-]+:[A-Za-z0-9_.:/-]+$",
                              error="must look like 'source:identifier'")]


class BaseRecord(StrictSchema):
    id = fields.String(required=True, validate=ID_PATTERN)
    # Ids that merged into this one (published ids never change; they redirect here).
    aliases = fields.List(fields.String(validate=ID_PATTERN), load_default=list)
    kind = fields.String(required=True, validate=_one_of(vocab.KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    description = _text(PROSE_LIMITS["description"])
    address = fields.Nested(Address, load_default=lambda: dict(EMPTY_ADDRESS))
    location = fields.Nested(Location, required=True)
    location_precision = fields.String(load_default="exact",
                                       validate=_one_of(LOCATION_PRECISIONS))
    phones = fields.Nested(Phones, load_default=lambda: dict(EMPTY_PHONES))
    website = _text(MAX_URL)
    # Never a fixed default: the zone of the record's point when the row names none.
    timezone = fields.String(load_default=None, validate=validate.Length(max=64))
    hours = fields.Nested(Hours, load_default=lambda: {"open_24_7": False, "intervals": []})
    languages = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]{2}$")),
                            load_default=lambda: ["en"])
    source = fields.Nested(Source, load_default=lambda: {"name": "unknown"})
    sources = fields.List(fields.Nested(Source), load_default=list)
    source_updated_at = AwareDateTime(load_default=None, allow_none=True)
    verified_at = AwareDateTime(load_default=None, allow_none=True)
    updated_at = AwareDateTime(load_default=None, allow_none=True)
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _has_zone(self, data, **kwargs):
        if not data.get("timezone"):
            raise ValidationError("no time zone: give one, or a location on land", "timezone")

    @validates_schema
    def _aliases_are_other_ids(self, data, **kwargs):
        if data.get("id") in data.get("aliases", ()):
            raise ValidationError("a record's id cannot be one of its aliases", "aliases")

    @validates("timezone")
    def _known_zone(self, value, **kwargs):
        if value is None:
            return  # _has_zone says what is missing, once the point is valid
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationError(f"unknown IANA time zone {value!r}") from None


class Populations(StrictSchema):
    genders = fields.String(load_default="any", validate=_one_of(vocab.GENDERS))
    min_age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 120))
    max_age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 120))
    veterans = fields.Boolean(load_default=False)
    pregnant_postpartum = fields.Boolean(load_default=False)
    lgbtq = fields.Boolean(load_default=False)
    adolescents = fields.Boolean(load_default=False)
    criminal_justice = fields.Boolean(load_default=False)


DEFAULT_POPULATIONS = Populations().load({})


class BedRow(StrictSchema):
    level_of_care = fields.String(required=True, validate=_one_of(vocab.LEVELS_OF_CARE))
    population = fields.String(load_default="adult_any")
    capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 10_000))
    available = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 10_000))
    status = fields.String(load_default="unknown", validate=_one_of(vocab.BED_STATUSES))
    reported_at = AwareDateTime(load_default=None, allow_none=True)
    reported_by = _text(MAX_LINE)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _consistent(self, data, **kwargs):
        capacity, available = data.get("capacity"), data.get("available")
        if capacity is not None and available is not None and available > capacity:
            raise ValidationError("available must not exceed capacity", "available")
        if data.get("status") == "unknown" and available is not None:
            raise ValidationError("an unknown status cannot carry an available count", "available")
        if data.get("status") in ("open", "full", "closed") and data.get("reported_at") is None:
            raise ValidationError("a known bed status needs reported_at", "reported_at")
        reported = data.get("reported_at")
        if reported is not None and reported > datetime.now(timezone.utc):
            raise ValidationError("reported_at is in the future", "reported_at")


class TreatmentFacility(BaseRecord):
    levels_of_care = _list_of(vocab.LEVELS_OF_CARE)
    settings = _list_of(vocab.SETTINGS)
    medications = _list_of(vocab.MEDICATIONS)
    accepts_clients_on_moud = fields.Boolean(load_default=False)
    payment = _list_of(vocab.PAYMENT)
    populations = fields.Nested(Populations, load_default=lambda: dict(DEFAULT_POPULATIONS))
    walk_in = fields.Boolean(load_default=False)
    intake_24_7 = fields.Boolean(load_default=False)
    accepts_police_or_peer_dropoff = fields.Boolean(load_default=False)
    medical_clearance_required = fields.Boolean(load_default=False)
    beds = fields.List(fields.Nested(BedRow), load_default=list)

    @validates_schema
    def _beds_match_levels(self, data, **kwargs):
        offered = set(data.get("levels_of_care", ()))
        for i, bed in enumerate(data.get("beds", ())):
            if bed["level_of_care"] not in offered:
                raise ValidationError(
                    {i: {"level_of_care": [f"{bed['level_of_care']} is not in levels_of_care"]}},
                    "beds")


class Meeting(BaseRecord):
    fellowship = fields.String(required=True, validate=_one_of(vocab.FELLOWSHIPS))
    day = fields.Integer(required=True, validate=validate.Range(0, 6))
    time = TimeOfDay(required=True)
    end_time = TimeOfDay(load_default=None, allow_none=True)
    types = _list_of(tuple(vocab.MEETING_TYPES))
    attendance = fields.String(load_default="in_person", validate=_one_of(vocab.ATTENDANCE))
    conference_url = _text(MAX_URL)
    conference_phone = _text(MAX_PHONE)
    # How to get in once joined: meeting ids and passcodes, as the feed publishes them.
    conference_notes = _text(PROSE_LIMITS["conference_notes"])
    location_name = _text(MAX_LINE)
    # Where in the building: "side door, basement".
    location_notes = _text(PROSE_LIMITS["location_notes"])
    notes = _text(PROSE_LIMITS["notes"])

    @validates_schema
    def _online_has_a_way_in(self, data, **kwargs):
        # The Meeting Guide spec: without a link or dial-in it is not an active online meeting.
        online = data.get("attendance") in ("online", "hybrid")
        if online and data.get("active", True) and not (
                data.get("conference_url") or data.get("conference_phone")):
            raise ValidationError("an active online or hybrid meeting needs conference_url "
                                  "or conference_phone", "attendance")


class NaloxoneSite(BaseRecord):
    site_type = fields.String(required=True, validate=_one_of(vocab.NALOXONE_SITE_TYPES))
    cost = fields.String(load_default="free", validate=_one_of(vocab.NALOXONE_COST))
    no_prescription_needed = fields.Boolean(load_default=True)
    fentanyl_test_strips = fields.Boolean(load_default=False)


class TakebackSite(BaseRecord):
    site_type = fields.String(required=True, validate=_one_of(vocab.TAKEBACK_SITE_TYPES))
    receptacle = fields.String(load_default="kiosk", validate=_one_of(vocab.TAKEBACK_RECEPTACLES))
    accepts = _list_of(vocab.TAKEBACK_ACCEPTS)
    event_dates = fields.List(fields.Date(), load_default=list)


SCHEMAS = {
    "treatment_facility": TreatmentFacility(),
    "meeting": Meeting(),
    "naloxone_site": NaloxoneSite(),
    "takeback_site": TakebackSite(),
}


class _RecordDispatch:
    """Loads any record by its `kind` and returns it as plain JSON-ready data.

    A row is first tried through a loader compiled from the kind's schema
    (schemas/fast_load.py: the same fields, validators and hooks, several times faster);
    any row it cannot vouch for is loaded by marshmallow itself, so a rejected row always
    gets marshmallow's messages. `fast=False` loads every row through marshmallow.
    """

    def __init__(self, fast=True):
        self.fast = fast

    def load(self, row):
        if not isinstance(row, dict):
            raise ValidationError({"_schema": ["a record must be a JSON object"]})
        kind = row.get("kind")
        if not isinstance(kind, str) or kind not in SCHEMAS:  # a list or object too
            raise ValidationError({"kind": [f"must be one of: {', '.join(vocab.KINDS)}"]})
        if not row.get("timezone") and (zone := _zone_of(row.get("location"))):
            row = dict(row, timezone=zone)
        if self.fast:
            try:
                return FAST_LOADERS[kind](row)
            except NotFast:
                pass
        return _jsonable(SCHEMAS[kind].load(row))


def _zone_of(location):
    """The IANA zone at a row's point, or None when the point is missing, invalid or at sea."""
    from directory_service.timezones import zone_at

    if not isinstance(location, dict):
        return None
    return zone_at(location.get("lat"), location.get("lon"))


def _jsonable(value):
    """Loaded data as JSON-ready values: times as ISO 8601 ("...Z"), dates as YYYY-MM-DD.

    Cheaper than a marshmallow dump of the whole record, which doubled index time.
    """
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


# Compiled from SCHEMAS once, at import: one definition of a record.
FAST_LOADERS = {kind: compile_loader(schema, _jsonable) for kind, schema in SCHEMAS.items()}

RecordSchema = _RecordDispatch


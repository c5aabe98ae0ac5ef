"""Request and response schemas of `GET /v1/search` (DESIGN §6).

The same schemas validate requests and generate the OpenAPI document. Unknown query
parameters are errors (a typo such as `ditance=5` must not be silently ignored), and so
is a one-value parameter given twice (`page=1&page=2`): nothing is silently dropped. A
list parameter may be comma-separated or repeated: `kind=a&kind=b` is `kind=a,b`.
"""
from marshmallow import (
    RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema,
)
from marshmallow.utils import missing as ma_missing
from webargs.fields import DelimitedList as _DelimitedList

from directory_service import vocab
from directory_service.schemas.codes import Code
from directory_service.schemas.language import LanguageCode
from directory_service.schemas.records import HHMM

MAX_RADIUS = {"m": 500_000, "km": 500, "mi": 310}
MAX_TEXT = 200
# `near` takes a pasted map link, and Google's place links run past 200 characters.
MAX_NEAR = 1000
# Every parameter is bounded: a code list holds at most as many values as its vocabulary,
# a free list at most MAX_LIST, a string at most MAX_TEXT characters, a number a range.
MAX_LIST = 32
REPEATED = "given more than once; this parameter takes one value"


class DelimitedList(_DelimitedList):
    """A comma-separated list that may also be repeated: `kind=a&kind=b` == `kind=a,b`.

    webargs hands a repeated parameter over as a list of strings (is_multiple); the
    pieces are joined and split again, so both spellings load the same. OpenAPI still
    documents the comma form (flask-smorest: style form, explode false).
    """

    is_multiple = True

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (list, tuple)):
            if not all(isinstance(v, (str, bytes)) for v in value):
                raise self.make_error("invalid")
            value = self.delimiter.join(v for v in value if v)
        return super()._deserialize(value, attr, data, **kwargs)


class QueryArgs(Schema):
    """Base of every query-string schema: unknown names and repeated one-value names are 422."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_repeated(self, data, **kwargs):
        # webargs passes a MultiDictProxy: `.data` is the request's multidict, and
        # `multiple_keys` the parameters that may repeat (the list parameters).
        raw, lists = getattr(data, "data", None), getattr(data, "multiple_keys", set())
        if hasattr(raw, "getlist"):
            repeated = sorted(k for k in raw if k not in lists and len(raw.getlist(k)) > 1
                              and k in self.fields)
            if repeated:
                raise ValidationError({k: [REPEATED] for k in repeated})
        return data


def _codes(values, description, **kwargs):
    description += " Codes are read in any case and word separator ('Meeting', 'in-person')."
    return DelimitedList(Code(values),
                         validate=validate.Length(max=len(values)),
                         metadata={"description": description}, **kwargs)


class SearchArgs(QueryArgs):
    lat = fields.Float(validate=validate.Range(-90, 90), metadata={"description": "Latitude of the origin."})
    lon = fields.Float(validate=validate.Range(-180, 180), metadata={"description": "Longitude of the origin."})
    near = fields.String(validate=validate.Length(min=2, max=MAX_NEAR), metadata={
        "description": "Origin as a ZIP (or ZIP+4), 'City, ST', 'City State', a city alone "
                       "(the one nearest the directory's records, else the most populous; "
                       "others in origin.alternatives), "
                       "'Name County, ST', or a point as pasted (latitude first, "
                       "'41.88, -87.63', '41°52′N 87°37′W', a geo: URI or a map link with "
                       "its coordinates), resolved offline; a street address is placed "
                       "at its city unless a geocoder is configured. Words around a place "
                       "('near Naperville', 'Chicago area') are read past. Use instead of "
                       "lat/lon."})
    # Bounded by `_origin`, which knows the unit, so the error names the bound in that unit
    # ("at most 310 mi"); the document states what any unit accepts: above 0, at most
    # 500,000 (metres).
    radius = fields.Float(load_default=25.0, metadata={
        "description": "Search radius in `unit`: more than 0 and at most 310 mi, 500 km "
                       "or 500,000 m.",
        "minimum": 0, "exclusiveMinimum": True, "maximum": max(MAX_RADIUS.values())})
    unit = Code(tuple(MAX_RADIUS), load_default="mi")
    kind = _codes(vocab.KINDS, "Kinds of resource (any of; comma-separated or repeated).")
    q = fields.String(validate=validate.Length(min=1, max=MAX_TEXT),
                      metadata={"description": "Words in the name, description or place."})
    level_of_care = DelimitedList(fields.String(validate=validate.Length(max=16)),
                                  validate=validate.Length(max=MAX_LIST), metadata={
        "description": "ASAM codes (3rd or 4th edition) or 'detox', 'residential', "
                       "'outpatient' (any of)."})
    payment = _codes(vocab.PAYMENT + ("uninsured",),
                     "Accepted payment (any of); 'uninsured' means free, sliding fee, payment "
                     "assistance, state funded or self pay.")
    setting = _codes(vocab.SETTINGS, "Service settings (any of).")
    medication = _codes(vocab.MEDICATIONS, "Medications for opioid use disorder (any of).")
    population = _codes(vocab.POPULATION_PROGRAMS, "Special programmes (any of).")
    gender = Code(("men", "women"), metadata={
        "description": "The person's gender: programmes for the other gender are excluded."})
    age = fields.Integer(validate=validate.Range(0, 120),
                         metadata={"description": "The person's age: eligibility filter."})
    language = DelimitedList(LanguageCode(), validate=validate.Length(max=MAX_LIST),
                             metadata={"description": "Languages (any of): ISO 639-1 codes "
                                                      "('es'), in any case, or names "
                                                      "('Spanish', 'español')."})
    accepts_moud = fields.Boolean(load_default=False, metadata={
        "description": "Only facilities accepting clients on methadone or buprenorphine."})
    walk_in = fields.Boolean(load_default=False)
    intake_24_7 = fields.Boolean(load_default=False)
    police_dropoff = fields.Boolean(load_default=False, metadata={
        "description": "Accepts police or peer drop-off (deflection)."})
    has_open_beds = fields.Boolean(load_default=False, metadata={
        "description": "Only facilities with open beds reported for the requested levels."})
    open_now = fields.Boolean(load_default=False, metadata={
        "description": "Open now (meetings: in progress now)."})
    fellowship = _codes(vocab.FELLOWSHIPS, "Meeting fellowships (any of).")
    day = DelimitedList(fields.Integer(validate=validate.Range(0, 6)),
                        validate=validate.Length(max=7),
                        metadata={"description": "Meeting days, 0 = Sunday (any of)."})
    starts_after = fields.String(validate=validate.Regexp(HHMM), metadata={
        "description": "Meetings starting at or after HH:MM local time."})
    starts_within = fields.Integer(validate=validate.Range(1, 7 * 1440), metadata={
        "description": "Meetings starting within this many minutes from now."})
    attendance = _codes(vocab.ATTENDANCE, "Meeting attendance (any of). With `online`, "
                        "online-only meetings anywhere in the origin's time zone match too.")
    types = _codes(tuple(vocab.MEETING_TYPES), "Meeting Guide type codes (any of).")
    site_type = _codes(vocab.SITE_TYPES, "Naloxone or take-back site types (any of).")
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    per_page = fields.Integer(validate=validate.Range(1, 100))
    view = Code(("full", "compact"), load_default="full", metadata={
        "description": "'compact': per hit only what a phone list needs to call, go, join "
                       "or hold (E.164 phones and tel: links, coordinates, hours and open "
                       "now, meeting time and link, components, beds per population); "
                       "no full record."})

    @validates_schema
    def _origin(self, data, **kwargs):
        has_point = "lat" in data or "lon" in data
        if has_point and ("lat" not in data or "lon" not in data):
            missing = "lon" if "lat" in data else "lat"
            raise ValidationError("lat and lon go together", missing)
        if has_point and "near" in data:
            raise ValidationError("give lat/lon or near, not both", "near")
        if not has_point and "near" not in data:
            raise ValidationError("an origin is required: lat and lon, or near", "near")
        unit = data.get("unit", "mi")
        if not 0 < data.get("radius", 1) <= MAX_RADIUS[unit]:
            raise ValidationError(
                f"Must be more than 0 and at most {MAX_RADIUS[unit]:,} {unit}.", "radius")
        for code in data.get("level_of_care", ()):
            try:
                vocab.expand_levels([code])
            except ValueError as exc:
                raise ValidationError(str(exc), "level_of_care") from None


class OriginSchema(Schema):
    lat = fields.Float(metadata={"description": "Rounded to about 1 km."})
    lon = fields.Float(metadata={"description": "Rounded to about 1 km."})
    precision = fields.String(metadata={"description": "exact, address, zip, city or county."})
    label = fields.String()
    alternatives = fields.List(fields.String(), metadata={
        "description": "Other places of the same name, when `near` was a city alone."})


class BedFigureSchema(Schema):
    """`beds_open`: what search ranks by. Open beds for the asked levels (all when none)
    that the person may take, added up, so one number can be filtered and ranked on; as
    fresh as the oldest figure counted (docs/ranking.md §5). Show people the figures one
    level and population at a time (`beds`, the record's bed rows), never this sum."""
    open = fields.Integer(allow_none=True, metadata={"description": "null means unknown, never 0."})
    reported_at = fields.String(allow_none=True, metadata={
        "description": "The oldest report among the figures counted."})
    age_seconds = fields.Integer(allow_none=True)
    freshness = fields.String(validate=validate.OneOf(vocab.FRESHNESS), metadata={
        "description": "That of the oldest figure counted: one old row is never hidden "
                       "behind a fresh one."})


class LevelBedFigureSchema(Schema):
    """One bed figure: one level of care and one population, with its own age."""
    level_of_care = fields.String(required=True)
    population = fields.String(required=True)
    open = fields.Integer(allow_none=True, metadata={
        "description": "Open beds net of active holds; null means unknown, never 0."})
    reported_at = fields.String(allow_none=True)
    age_seconds = fields.Integer(allow_none=True)
    freshness = fields.String(validate=validate.OneOf(vocab.FRESHNESS))


class ComponentsSchema(Schema):
    distance = fields.Float(allow_none=True)
    capacity = fields.Float(allow_none=True)
    payment = fields.Float(allow_none=True)
    level_of_care = fields.Float(allow_none=True)
    confirmed_problems = fields.Float(allow_none=True, metadata={
        "description": "Present when a hit on the page has confirmed public-report "
                       "problems: the factor its score was multiplied by (0.5 each)."})


class HitSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    distance_m = fields.Float(required=True)
    distance_mi = fields.Float(required=True)
    score = fields.Float(required=True)
    components = fields.Nested(ComponentsSchema, required=True)
    beds_open = fields.Nested(BedFigureSchema, allow_none=True, metadata={
        "description": "Open beds for the requested levels of care (facilities only)."})
    record = fields.Dict(required=True, metadata={"description": "The full resource record."})


def live_figures_field():
    """`live_figures`: present only while the availability database is down."""
    return fields.String(validate=validate.OneOf(["unavailable"]), metadata={
        "description": "Present (\"unavailable\") when live bed figures could not be read: "
                       "every bed figure is then unknown (not 0, not open); call the facility."})


class SearchResponseSchema(Schema):
    live_figures = live_figures_field()
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
    origin = fields.Nested(OriginSchema, required=True)
    results = fields.List(fields.Nested(HitSchema), required=True)


class _Refused(Exception):
    """The fast load cannot promise the schema's answer: the schema loads it."""


def fast_load(schema, args):
    """What `schema.load` (webargs, query string, unknown=RAISE) gives for the werkzeug
    MultiDict `args` when it accepts them, at a fraction of the cost; None for anything
    it might refuse, which the schema then loads itself and words its error as always.

    Only the parameters given are deserialised, each by its own field (the same code and
    validators), the absent ones take their `load_default`, and the schema's own
    `_origin` check runs: marshmallow's load of a whole schema visited all thirty-odd
    fields and built an error store per request (a seventh of a served search, issue 25).
    `tests/test_search_args_fast.py` holds both to the same result."""
    fields = schema.load_fields
    names = set(args.keys())
    if not names <= fields.keys() or any(f.data_key for f in fields.values()):
        return None
    out = {}
    try:
        for name, field in fields.items():
            if name in names:
                values = args.getlist(name)
                multiple = getattr(field, "is_multiple", False)
                if len(values) > 1 and not multiple:
                    return None
                out[name] = field.deserialize(values if multiple else values[0], name, args)
            elif field.load_default is not ma_missing:
                default = field.load_default
                out[name] = default() if callable(default) else default
        schema._origin(out)
    except (ValidationError, _Refused):
        return None
    return out

"""What a facility may declare about itself, validated as strictly as the indexer does.

Every field is the indexer's own field object (schemas/records.py `TreatmentFacility`,
copied, so vocabularies and validators are defined once); a profile bed row takes its
level and capacity from the record's `BedRow` and its population from the published bed
populations a bed report accepts, so every declared row can be reported. A body names only
the fields it declares: nothing is filled in by default.
"""
import copy

from marshmallow import fields as mf
from marshmallow import Schema, ValidationError, fields, missing, validate, validates_schema

from directory_service.schemas.availability import POPULATIONS, _one_of
from directory_service.schemas.records import (
    BedRow, Hours, Phones, Populations, StrictSchema, TreatmentFacility,
)

# Declared as a whole (a list or a schedule is one fact) …
WHOLE_FIELDS = ("levels_of_care", "beds", "settings", "payment", "medications",
                "accepts_clients_on_moud", "hours", "walk_in", "intake_24_7",
                "accepts_police_or_peer_dropoff", "medical_clearance_required")
# … and part by part where the record nests independent facts.
NESTED = {"phones": ("main", "intake", "hotline"),
          "populations": ("genders", "min_age", "max_age", "veterans",
                          "pregnant_postpartum", "lgbtq", "adolescents", "criminal_justice")}
PROFILE_FIELDS = WHOLE_FIELDS + tuple(f"{parent}.{part}" for parent, parts in NESTED.items()
                                      for part in parts)


# A profile arrives over the API, so every part of it is bounded (tests/test_request_limits.py):
# lists by the size of their vocabulary at most, phones by a generous length, a week's
# schedule by a few intervals a day.
LIST_MAX, PHONE_MAX, INTERVALS_MAX = 32, 40, 70


def _record_field(schema, name, longest=None):
    """The indexer's field, without its default: a profile declares only what it names.
    `longest` bounds a list's items or a string's length (a copy: the indexer's own field,
    which reads files, is left as it is)."""
    found = copy.deepcopy(schema._declared_fields[name])
    found.load_default = missing
    if longest is not None:
        found.validators = [*found.validators, validate.Length(max=longest)]
    return found


class ProfileHours(Hours):
    """The record's weekly hours, with the number of intervals bounded."""

    intervals = _record_field(Hours, "intervals", INTERVALS_MAX)


class ProfileBedRow(StrictSchema):
    level_of_care = _record_field(BedRow, "level_of_care")
    level_of_care.required = True
    population = fields.String(load_default="adult_any",
                               validate=_one_of(POPULATIONS, "bed populations"))
    capacity = _record_field(BedRow, "capacity")


def _nested(schema_class, parent, longest=None):
    return type(f"Profile{schema_class.__name__}", (StrictSchema,), {
        part: _record_field(schema_class, part, longest) for part in NESTED[parent]})


ProfilePhones = _nested(Phones, "phones", PHONE_MAX)
ProfilePopulations = _nested(Populations, "populations")


class ProfileFields(StrictSchema):
    """The declarable fields of a treatment facility record (DESIGN §3, §12)."""

    levels_of_care = _record_field(TreatmentFacility, "levels_of_care", LIST_MAX)
    settings = _record_field(TreatmentFacility, "settings", LIST_MAX)
    payment = _record_field(TreatmentFacility, "payment", LIST_MAX)
    medications = _record_field(TreatmentFacility, "medications", LIST_MAX)
    accepts_clients_on_moud = _record_field(TreatmentFacility, "accepts_clients_on_moud")
    hours = fields.Nested(ProfileHours)
    walk_in = _record_field(TreatmentFacility, "walk_in")
    intake_24_7 = _record_field(TreatmentFacility, "intake_24_7")
    accepts_police_or_peer_dropoff = _record_field(TreatmentFacility,
                                                   "accepts_police_or_peer_dropoff")
    medical_clearance_required = _record_field(TreatmentFacility, "medical_clearance_required")
    phones = fields.Nested(ProfilePhones)
    populations = fields.Nested(ProfilePopulations)
    beds = fields.List(fields.Nested(ProfileBedRow), validate=validate.Length(max=60),
                       metadata={"description": "The bed rows the facility keeps: level, "
                                 "population, staffed capacity. Each level must be among "
                                 "the levels of care."})

    @validates_schema
    def _one_row_each(self, data, **kwargs):
        keys = [(r["level_of_care"], r["population"]) for r in data.get("beds") or ()]
        if len(keys) != len(set(keys)):
            raise ValidationError("one row per level_of_care and population", "beds")


_NAMES = validate.OneOf(PROFILE_FIELDS, error="must be one of the profile's fields: "
                                              + ", ".join(PROFILE_FIELDS) + " (got {input!r})")


class ProfileBody(StrictSchema):
    fields = mf.Nested(ProfileFields, load_default=dict, metadata={
        "description": "Fields the facility declares (replacing the source's), nested as "
                       "in the record: phones and populations part by part."})
    accept_source = mf.List(mf.String(validate=_NAMES), load_default=list,
                                validate=validate.Length(max=len(PROFILE_FIELDS)),
                                metadata={"description": "Fields that go back to what the "
                                          "source says (a declaration withdrawn)."})
    keep = mf.List(mf.String(validate=_NAMES), load_default=list,
                       validate=validate.Length(max=len(PROFILE_FIELDS)),
                       metadata={"description": "Fields whose source changed, kept as the "
                                 "facility declared them (\"the source now says …\" "
                                 "answered)."})
    version = mf.Integer(strict=True, validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "Optional cross-check of If-Match."})

    @validates_schema
    def _each_field_once(self, data, **kwargs):
        declared = set(flatten(data.get("fields") or {}))
        for name in ("accept_source", "keep"):
            both = declared & set(data.get(name) or ())
            if both:
                raise ValidationError(f"{', '.join(sorted(both))} cannot be declared and "
                                      f"named in {name} at once", name)
        clash = set(data.get("accept_source") or ()) & set(data.get("keep") or ())
        if clash:
            raise ValidationError(f"{', '.join(sorted(clash))}: accept the source or keep "
                                  f"yours, not both", "keep")


def flatten(loaded):
    """{profile field name: value} of loaded `ProfileFields` data (phones.intake …)."""
    flat = {}
    for name, value in loaded.items():
        if name in NESTED:
            flat.update({f"{name}.{part}": v for part, v in value.items()})
        else:
            flat[name] = value
    return flat


class ProfileFieldState(Schema):
    value = mf.Raw(allow_none=True)
    origin = mf.String(validate=validate.OneOf(("source", "facility")))
    at = mf.String(allow_none=True, metadata={
        "description": "facility: when it was declared; source: the source's own date."})
    source_value = mf.Raw(allow_none=True, metadata={
        "description": "facility fields: what the source says now."})
    source_changed = mf.Boolean(metadata={
        "description": "The source changed this field since the facility declared it: "
                       "accept the source's value or keep the facility's."})


class ProfileResponse(Schema):
    facility_id = mf.String()
    version = mf.Integer()
    updated_at = mf.String(allow_none=True)
    verified_at = mf.String(allow_none=True)
    claimed_at = mf.String(allow_none=True)
    fields = mf.Dict(keys=mf.String(), values=mf.Nested(ProfileFieldState))
    conflicts = mf.List(mf.String(), metadata={
        "description": "Fields where the source now says something else than when the "
                       "facility declared them."})

"""`view=compact` on /v1/search: what a coach's phone shows in a list, and needs to act.

A full hit carries the whole record, several kilobytes; a phone on a weak signal needs
enough to pick a place, call it (E.164 and a `tel:` link), go there (coordinates), know
whether it is open (hours, open now and when that changes), join a meeting (day, time,
zone, link) and hold a bed (level and population of each bed row) without a second call.
"""
from marshmallow import Schema, fields, validate

from directory_service import vocab
from directory_service.phones import phone
from directory_service.api import open_hours
from directory_service.availability.figures import row_open
from directory_service.schemas.records import Address, Hours, LOCATION_PRECISIONS
from directory_service.schemas.search import (
    BedFigureSchema, ComponentsSchema, OriginSchema, live_figures_field)

class PhoneSchema(Schema):
    text = fields.String(required=True, metadata={"description": "As the source wrote it."})
    e164 = fields.String(allow_none=True, metadata={
        "description": "+15555550100; null for a short code (988, 211) or a number that "
                       "cannot be read."})
    extension = fields.String(allow_none=True)
    tel = fields.String(allow_none=True, metadata={
        "description": "A tel: URI (RFC 3966) to put in a link: tel:+15555550100, with "
                       ";ext=12 for an extension, tel:988 for a short code; a conference "
                       "dial-in keeps its pauses and keyed-in meeting id and passcode "
                       "(tel:+16465550100,,123456789%23)."})


class CompactPhonesSchema(Schema):
    """Only the roles the record has a number for; call intake first, then hotline, main."""
    main = fields.Nested(PhoneSchema)
    intake = fields.Nested(PhoneSchema)
    hotline = fields.Nested(PhoneSchema)


class CompactLocationSchema(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    precision = fields.String(validate=validate.OneOf(LOCATION_PRECISIONS), metadata={
        "description": "exact, or a zip/city/county centroid or a region's pin (online "
                       "meetings): do not route to anything but an exact point."})


class CompactBedSchema(Schema):
    level_of_care = fields.String(required=True)
    population = fields.String(required=True, metadata={
        "description": "With level_of_care, what POST /v1/facilities/{id}/holds takes."})
    open = fields.Integer(allow_none=True, metadata={
        "description": "Open beds net of active holds; null means unknown, never 0."})
    reported_at = fields.String(allow_none=True)
    freshness = fields.String(validate=validate.OneOf(vocab.FRESHNESS))


class CompactMeetingSchema(Schema):
    fellowship = fields.String()
    day = fields.Integer(metadata={"description": "0 = Sunday, in the hit's timezone."})
    time = fields.String(metadata={"description": "HH:MM local time."})
    end_time = fields.String(allow_none=True)
    attendance = fields.String(validate=validate.OneOf(vocab.ATTENDANCE))
    join_url = fields.String(allow_none=True, metadata={"description": "The meeting's link."})
    join_phone = fields.Nested(PhoneSchema, allow_none=True)
    join_notes = fields.String(allow_none=True, metadata={
        "description": "Meeting id and passcode, as the feed publishes them."})


class CompactHitSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    distance_mi = fields.Float(required=True)
    score = fields.Float(required=True)
    components = fields.Nested(ComponentsSchema, required=True)
    beds_open = fields.Nested(BedFigureSchema, allow_none=True, metadata={
        "description": "Open beds for the requested levels and the person (facilities), "
                       "added up for ranking and as fresh as the oldest figure counted; "
                       "show people `beds`, one level and population at a time."})
    beds = fields.List(fields.Nested(CompactBedSchema), metadata={
        "description": "Facilities: one row per level of care and population, for the "
                       "searched levels (all when none was asked)."})
    phones = fields.Nested(CompactPhonesSchema, required=True)
    address = fields.Nested(Address, required=True)
    location = fields.Nested(CompactLocationSchema, required=True)
    timezone = fields.String(required=True, metadata={"description": "IANA zone of hours."})
    hours = fields.Nested(Hours, required=True)
    open_now = fields.Boolean(allow_none=True, metadata={
        "description": "Open (a meeting: in progress) at the time of the answer; null when "
                       "the hours are unknown."})
    changes_at = fields.String(allow_none=True, metadata={
        "description": "Local ISO 8601 time at which open_now flips next (opens or closes); "
                       "null for 24/7 or unknown hours."})
    meeting = fields.Nested(CompactMeetingSchema, metadata={"description": "Meetings only."})
    may_be_out_of_date = fields.Boolean(metadata={
        "description": "Someone reported this record wrong and it is not yet checked: "
                       "call first (docs/public-reports.md)."})


class CompactSearchResponseSchema(Schema):
    live_figures = live_figures_field()
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
    origin = fields.Nested(OriginSchema, required=True)
    results = fields.List(fields.Nested(CompactHitSchema), required=True)


def _beds(record, levels):
    """Bed rows of the searched levels (all when none was asked), one per population."""
    return [{"level_of_care": row["level_of_care"],
             "population": row.get("population") or "adult_any", "open": row_open(row),
             "reported_at": row.get("reported_at"), "freshness": row.get("freshness", "unknown")}
            for row in record.get("beds") or () if not levels or row["level_of_care"] in levels]


def _meeting(record):
    return {"fellowship": record.get("fellowship"), "day": record.get("day"),
            "time": record.get("time"), "end_time": record.get("end_time"),
            "attendance": record.get("attendance"), "join_url": record.get("conference_url"),
            "join_phone": phone(record.get("conference_phone")),
            "join_notes": record.get("conference_notes")}


def compact_hit(hit, now, levels=()):
    """One full hit (api/search.hit_body) → its compact form at `now`; `levels` are the
    query's levels of care (expanded), whose bed rows it keeps."""
    record = hit["record"]
    open_now, changes_at = open_hours.open_state(record, now)
    out = {
        "id": hit["id"], "kind": hit["kind"], "name": hit["name"],
        "distance_mi": hit["distance_mi"], "score": hit["score"],
        "components": hit["components"], "beds_open": hit["beds_open"],
        "phones": {role: phone(text) for role, text in (record.get("phones") or {}).items()
                   if text},
        "address": record.get("address") or {},
        "location": {**record["location"], "precision": record.get("location_precision", "exact")},
        "timezone": record.get("timezone"), "hours": record.get("hours") or {},
        "open_now": open_now,
        "changes_at": changes_at.isoformat() if changes_at else None,
        "may_be_out_of_date": bool(record.get("reported_problems")),
    }
    if record["kind"] == "treatment_facility":
        out["beds"] = _beds(record, levels)
    if record["kind"] == "meeting":
        out["meeting"] = _meeting(record)
    return out


def compact(body, now, levels=()):
    """A full search response body → its compact form (same envelope, small hits)."""
    hits = [compact_hit(hit, now, levels) for hit in body["results"]]
    return CompactSearchResponseSchema().dump({**body, "results": hits})

"""`view=compact` on /v1/search: the few fields a coach's phone shows in a list.

A full hit carries the whole record and the ranking components, several kilobytes each;
a phone on a weak signal only needs enough to pick a place and call it.
"""
from marshmallow import Schema, fields

from directory_service.schemas.records import Address
from directory_service.schemas.search import BedFigureSchema, OriginSchema


class CompactHitSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    distance_mi = fields.Float(required=True)
    score = fields.Float(required=True)
    beds_open = fields.Nested(BedFigureSchema, allow_none=True)
    phones = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    address = fields.Nested(Address)


class CompactSearchResponseSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
    origin = fields.Nested(OriginSchema, required=True)
    results = fields.List(fields.Nested(CompactHitSchema), required=True)


def compact(body):
    """A full search response body → its compact form (same envelope, small hits)."""
    hits = [{**hit, "phones": hit["record"].get("phones") or {},
             "address": hit["record"].get("address") or {}} for hit in body["results"]]
    return CompactSearchResponseSchema().dump({**body, "results": hits})

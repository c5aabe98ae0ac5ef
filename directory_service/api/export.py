"""`GET /v1/export`: the directory as NDJSON, GeoJSON or HSDS 3.0 JSON, one page at a time.

Partners sync with `modified_after` (records whose `updated_at` is later). A response is
one page of at most `limit` records in id order, built whole before it is sent (so it has
a Content-Length and arrives complete or visibly cut); `Link: <…>; rel="next"` names the
next page, with the same filters, until the last page, which has none. A page takes well
under a second, so an export of any size finishes without meeting the worker timeout that
used to cut a single streamed response off after 30 s.
"""
import base64
import binascii
import logging

from flask import current_app, request, url_for
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE, fields, validate

from directory_service import vocab
from directory_service.availability import outage
from directory_service.errors import ApiProblem
from directory_service.schemas.codes import Code
from directory_service.schemas.search import DelimitedList, QueryArgs
from indexer import export as exporter

blp = Blueprint("export", __name__, url_prefix="/v1", description="Bulk export and sync")
log = logging.getLogger(__name__)
DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
MAX_CURSOR = 2048


class ExportArgs(QueryArgs):
    format = Code(exporter.FORMATS, load_default="ndjson",
                  metadata={"description": "ndjson, geojson or hsds (a JSON array "
                                        "of HSDS 3.0 service_at_location objects)."})
    kind = DelimitedList(Code(vocab.KINDS),
                         validate=validate.Length(max=len(vocab.KINDS)),
                         metadata={"description": "Only these kinds (comma-separated or repeated)."})
    modified_after = fields.AwareDateTime(
        default_timezone=None, metadata={"description": "ISO 8601 with a zone: only "
                                         "records updated after it."})
    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": f"Records per page (at most {MAX_LIMIT})."})
    cursor = fields.String(validate=validate.Length(min=1, max=MAX_CURSOR), metadata={
        "description": "Where the page starts: copy it from the previous page's "
                       "`Link: rel=\"next\"` (opaque)."})


class _WithoutUnreadableFigures:
    """The store, its exported records' bed figures unknown while the availability
    database is down (the index's own may have been overtaken: availability/outage.py)."""

    def __init__(self, store):
        self.store = store

    def scan(self, *args, **kwargs):
        for record in self.store.scan(*args, **kwargs):
            yield outage.unavailable_record(record, annotated=False) if outage.is_down() \
                else record


def encode_cursor(record_id):
    return base64.urlsafe_b64encode(record_id.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor):
    """The id a cursor starts after; 422 for anything this service did not hand out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise ApiProblem(422, "invalid cursor", {"cursor": [
            "not a cursor this service gave; follow the Link header or start without one"]}) \
            from None


@blp.route("/export")
class Export(MethodView):
    @blp.arguments(ExportArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.doc(responses={"200": {
        "description": "One page, in the chosen format. Follow `Link: rel=\"next\"` until "
                       "a page has none.",
        "headers": {"Link": {
            "description": "`<url>; rel=\"next\"`: the next page, with the same filters; "
                           "absent on the last page.", "schema": {"type": "string"}}},
        "content": {
            "application/x-ndjson": {"schema": {
                "type": "string", "description": "format=ndjson: one record a line."}},
            "application/geo+json": {"schema": {
                "type": "object", "required": ["type", "features"],
                "description": "format=geojson: a FeatureCollection (RFC 7946)."}},
            "application/json": {"schema": {
                "type": "array", "items": {"type": "object"},
                "description": "format=hsds: HSDS 3.0 service_at_location objects."}}}}})
    def get(self, args):
        """Every record (active or not) of the chosen kinds, in id order, page by page."""
        fmt = args["format"]
        after = decode_cursor(args["cursor"]) if "cursor" in args else None
        store = current_app.extensions["store"]
        log.info("export format=%s kinds=%s incremental=%s paged=%s", fmt,
                 ",".join(args.get("kind") or ()) or "all", "modified_after" in args,
                 after is not None)
        body, next_after = exporter.page(_WithoutUnreadableFigures(store), fmt, args.get("kind") or (),
                                         args.get("modified_after"), after, args["limit"])
        response = current_app.response_class(body, mimetype=exporter.MEDIA_TYPES[fmt])
        if next_after is not None:
            query = request.args.to_dict(flat=False)
            query["cursor"] = encode_cursor(next_after)
            response.headers["Link"] = (
                f'<{url_for("export.Export", _external=True, **query)}>; rel="next"')
        return response

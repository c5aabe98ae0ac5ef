"""`GET /v1/export`: the directory as NDJSON, GeoJSON or HSDS 3.0 JSON, streamed.

Partners sync with `modified_after` (records whose `updated_at` is later). The response is
generated while the store is read (`stream_with_context`), so memory stays flat however
large the directory is.
"""
import logging

from flask import Response, current_app, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, fields, validate

from directory_service import vocab
from directory_service.schemas.search import DelimitedList, QueryArgs
from indexer import export as exporter

blp = Blueprint("export", __name__, url_prefix="/v1", description="Bulk export and sync")
log = logging.getLogger(__name__)


class ExportArgs(QueryArgs):
    format = fields.String(load_default="ndjson", validate=validate.OneOf(exporter.FORMATS),
                           metadata={"description": "ndjson, geojson or hsds (a JSON array "
                                     "of HSDS 3.0 service_at_location objects)."})
    kind = DelimitedList(fields.String(validate=validate.OneOf(vocab.KINDS)),
                         validate=validate.Length(max=len(vocab.KINDS)),
                         metadata={"description": "Only these kinds (comma-separated or repeated)."})
    modified_after = fields.AwareDateTime(
        default_timezone=None, metadata={"description": "ISO 8601 with a zone: only "
                                         "records updated after it."})


@blp.route("/export")
class Export(MethodView):
    @blp.arguments(ExportArgs, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, content_type="application/x-ndjson", description=(
        "NDJSON; application/geo+json for format=geojson; application/json for hsds."))
    def get(self, args):
        """Every record (active or not) of the chosen kinds, streamed in one response."""
        fmt = args["format"]
        store = current_app.extensions["store"]
        log.info("export format=%s kinds=%s incremental=%s", fmt,
                 ",".join(args.get("kind") or ()) or "all", "modified_after" in args)
        chunks = exporter.stream(store, fmt, args.get("kind") or (), args.get("modified_after"))
        return Response(stream_with_context(chunks), mimetype=exporter.MEDIA_TYPES[fmt])

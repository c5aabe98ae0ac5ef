"""`GET /v1/resources/{id}` and `GET /v1/vocabularies`."""
from datetime import datetime, timezone

from flask import current_app, redirect, url_for
from flask.views import MethodView
from directory_service.json_bodies import Blueprint

from directory_service import beds, ranking, vocab
from directory_service.errors import ApiProblem

blp = Blueprint("resources", __name__, url_prefix="/v1", description="Records and vocabularies")


@blp.route("/resources/<path:record_id>")
class Resource(MethodView):
    @blp.response(200)
    @blp.alt_response(301, description="The id merged into another record (it is one of "
                      "that record's `aliases`): `Location` names the id that serves it.",
                      headers={"Location": {"schema": {"type": "string"}}})
    def get(self, record_id):
        """One resource by id (for example `seed:fac-001`); bed rows carry their freshness.

        A published id never disappears: once it merged into another record it answers
        301 to that record's URL."""
        store = current_app.extensions["store"]
        record = store.get(record_id)
        if record is None:
            kept = store.resolve_alias(record_id)
            if kept is not None:
                return moved(url_for("resources.Resource", record_id=kept))
            raise ApiProblem(404, f"no resource with id {record_id!r}")
        return beds.annotate_record(record, datetime.now(timezone.utc),
                                    current_app.config["SETTINGS"])


def moved(location):
    """A 301 to where a merged id now lives, cacheable as briefly as a record."""
    response = redirect(location, 301)
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["SETTINGS"].cache_max_age_s
    return response


@blp.route("/vocabularies")
class Vocabularies(MethodView):
    @blp.response(200)
    def get(self):
        """Every code list, crosswalk and ranking constant the service uses."""
        return {**vocab.published(), "ranking": ranking.constants()}

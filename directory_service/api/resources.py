"""`GET /v1/resources/{id}` and `GET /v1/vocabularies`."""
from datetime import datetime, timezone

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from directory_service import beds, ranking, vocab
from directory_service.errors import ApiProblem

blp = Blueprint("resources", __name__, url_prefix="/v1", description="Records and vocabularies")


@blp.route("/resources/<path:record_id>")
class Resource(MethodView):
    @blp.response(200)
    def get(self, record_id):
        """One resource by id (for example `seed:fac-001`); bed rows carry their freshness."""
        record = current_app.extensions["store"].get(record_id)
        if record is None:
            raise ApiProblem(404, f"no resource with id {record_id!r}")
        return beds.annotate_record(record, datetime.now(timezone.utc),
                                    current_app.config["SETTINGS"])


@blp.route("/vocabularies")
class Vocabularies(MethodView):
    @blp.response(200)
    def get(self):
        """Every code list, crosswalk and ranking constant the service uses."""
        return {**vocab.published(), "ranking": ranking.constants()}

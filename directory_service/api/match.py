"""`POST /v1/match`: a person's needs → facilities with an open, unheld bed that fits.

The body holds the person's needs, so it is never logged; only coarse counts are.
"""
import logging

from flask import current_app
from flask.views import MethodView
from directory_service.json_bodies import Blueprint

from directory_service import geo
from directory_service.api import http_cache
from directory_service.api.beds import refuse_query_parameters
from directory_service.api.search import origin_body, resolve_origin
from directory_service.availability import match, outage
from directory_service.availability.bodies import bounded_json
from directory_service.schemas.availability import MatchBody, MatchResponse

blp = Blueprint("match", __name__, url_prefix="/v1", description="Match needs to open beds")
refuse_query_parameters(blp)
log = logging.getLogger(__name__)


@blp.route("/match")
class Match(MethodView):
    @bounded_json
    @blp.arguments(MatchBody)
    @blp.response(200, MatchResponse)
    @blp.alt_response(400, description="Malformed JSON, or a body nested too deep.")
    def post(self, needs):
        """Facilities with open, unheld beds that fit the needs, ranked and explained.

        Each result lists the criteria it `met` and `unmet` and its bed freshness. Stale
        figures are left out unless `include_stale`; `include_fallbacks` adds facilities
        with 24/7 phone intake but no open bed known, flagged `fallback: true`.
        """
        return run_match(needs)


def run_match(needs, now=None):
    """The match answer for loaded MatchBody `needs` (the API and the coach page) at `now`
    (default the clock of search answers; the coach page passes its own, page_now)."""
    settings = current_app.config["SETTINGS"]
    origin = resolve_origin(needs)
    results = match.match(current_app.extensions["store"], needs, origin, settings,
                          now or http_cache.utcnow())
    lat, lon = geo.coarse(origin.lat, origin.lon)
    log.info("match origin~%.2f,%.2f results=%d fallbacks=%d", lat, lon, len(results),
             sum(r["fallback"] for r in results))
    body = {"origin": origin_body(origin),
            "total": sum(not r["fallback"] for r in results), "results": results}
    if outage.is_down():
        body["live_figures"] = outage.UNAVAILABLE
    return body

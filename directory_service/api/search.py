"""`GET /v1/search`: validated parameters → a store query → ranked, explained hits."""
import functools
import logging
import math
import time
import weakref

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from directory_service.json_bodies import Blueprint
from marshmallow import RAISE
from directory_service.json_bodies import BodyParser
from webargs.multidictproxy import MultiDictProxy

from directory_service import beds, fast_json, geo, metrics, service_region, vocab
from directory_service.api import compact_view, http_cache
from directory_service.availability import outage
from directory_service.errors import ApiProblem
from directory_service.schemas.search import SearchArgs, SearchResponseSchema, fast_load
from directory_service.search.store import SearchQuery, StoreError


class _QueryProxy(MultiDictProxy):
    """webargs' view of the query string, the same values at less cost: the schema asks
    for each of its thirty-odd names, and werkzeug answers every name not given by
    building a BadRequestKeyError; the multi-valued names are found once per schema."""

    _multiple = weakref.WeakKeyDictionary()

    def _collect_multiple_keys(self, schema):
        keys = self._multiple.get(schema)
        if keys is None:
            keys = self._multiple[schema] = frozenset(super()._collect_multiple_keys(schema))
        return keys

    def __getitem__(self, key):
        if key not in self.data:
            return ma.missing
        return super().__getitem__(key)


class _SearchParser(BodyParser):
    def parse(self, argmap, req=None, *, location=None, **kwargs):
        """The query of a search loaded the fast way when it can be (schemas.search.
        fast_load, the same result), else by webargs and marshmallow, errors and all."""
        if argmap is SEARCH_ARGS and location == "query":
            loaded = fast_load(SEARCH_ARGS, (request if req is None else req).args)
            if loaded is not None:
                return loaded
        return super().parse(argmap, req, location=location, **kwargs)

    def _makeproxy(self, multidict, schema, *, cls=MultiDictProxy):
        return super()._makeproxy(multidict, schema,
                                  cls=_QueryProxy if cls is MultiDictProxy else cls)


blp = Blueprint("search", __name__, url_prefix="/v1", description="Search the directory")
blp.ARGUMENTS_PARSER = _SearchParser()
# One parser schema for every request: given the class, webargs would build (and deep-copy
# the fields of) a new SearchArgs per request, an eighth of a search's time (issue 15).
# Loading keeps no state on the schema, so sharing it across requests and greenlets is safe.
SEARCH_ARGS = SearchArgs()
log = logging.getLogger(__name__)
METRES_PER_MILE = 1609.344


def resolve_origin(args):
    """The search origin as a geo.Place, from lat/lon or `near` (a bare city name: the
    one nearest the directory's records, service_region.py).

    A place that cannot be resolved is a 422 naming `near`; when it could mean several
    places, `candidates` lists them so a client can offer a choice.
    """
    if "lat" in args:
        return geo.Place(args["lat"], args["lon"], "exact", "point")
    served = functools.partial(service_region.for_search, current_app.config["SETTINGS"],
                               current_app.extensions["store"])
    try:
        return geo.resolve_near(args["near"], current_app.extensions["geocoder"], served)
    except geo.PlaceNotFound as exc:
        extra = {"candidates": exc.candidates} if exc.candidates else None
        raise ApiProblem(422, str(exc), {"near": [str(exc)]}, extra=extra) from None


def origin_body(origin):
    """The origin echoed back: rounded to about 1 km, with how it was resolved."""
    lat, lon = geo.coarse(origin.lat, origin.lon)
    body = {"lat": lat, "lon": lon, "precision": origin.precision,
            "label": origin.label if origin.precision in ("zip", "city", "county") else "point"}
    if origin.alternatives:
        body["alternatives"] = list(origin.alternatives)
    return body


def build_query(args, origin, settings, now=None):
    """SearchArgs (validated) → the store's normalised SearchQuery (at `now`, default now)."""
    primary, related = vocab.expand_levels(args.get("level_of_care", ()))
    payment = args.get("payment", ())
    start = args.get("starts_after")
    return SearchQuery(
        lat=origin.lat, lon=origin.lon,
        radius_m=geo.to_metres(args["radius"], args["unit"]),
        kinds=tuple(args.get("kind", ())), q=args.get("q"),
        levels_primary=primary, levels_related=related,
        payment=vocab.expand_payment(payment), uninsured="uninsured" in payment,
        settings=tuple(args.get("setting", ())), medications=tuple(args.get("medication", ())),
        programs=tuple(args.get("population", ())), gender=args.get("gender"),
        age=args.get("age"), languages=tuple(args.get("language", ())),
        accepts_moud=args["accepts_moud"], walk_in=args["walk_in"],
        intake_24_7=args["intake_24_7"], police_dropoff=args["police_dropoff"],
        has_open_beds=args["has_open_beds"], open_now=args["open_now"],
        fellowships=tuple(args.get("fellowship", ())), days=tuple(args.get("day", ())),
        starts_after=int(start[:2]) * 60 + int(start[3:]) if start else None,
        starts_within=args.get("starts_within"), attendance=tuple(args.get("attendance", ())),
        types=tuple(args.get("types", ())), site_types=tuple(args.get("site_type", ())),
        page=args["page"], per_page=args.get("per_page") or settings.default_per_page,
        **({"now": now} if now is not None else {}),
    )


def hit_body(hit, now, settings, down=None):
    """One hit as the API returns it: why it ranks where it does, and its record.
    `down`: outage.is_down(), asked once per search by the caller (else here)."""
    record = beds.annotate_record(hit.record, now, settings, down)
    capacity = None
    if hit.capacity is not None:
        capacity = beds.figure(hit.capacity["open"], hit.capacity["reported_at"], now, settings,
                               down)
    return {
        "id": record["id"], "kind": record["kind"], "name": record["name"],
        "distance_m": round(hit.distance_m, 1),
        "distance_mi": round(hit.distance_m / METRES_PER_MILE, 2),
        "score": round(hit.score, 4), "components": hit.components,
        "beds_open": capacity, "record": record,
    }


def run_search(args, now=None):
    """Shared by the API and the public page: returns (query, origin, result)."""
    settings = current_app.config["SETTINGS"]
    if args.get("per_page", 0) > settings.max_per_page:
        raise ApiProblem(422, f"per_page is at most {settings.max_per_page}",
                         {"per_page": [f"at most {settings.max_per_page}"]})
    origin = resolve_origin(args)
    query = build_query(args, origin, settings, now)
    started = time.perf_counter()
    try:
        result = current_app.extensions["store"].search(query)
    except StoreError as exc:
        metrics.count_store_error(exc)
        raise
    metrics.observe_store_search(time.perf_counter() - started)
    lat, lon = geo.coarse(origin.lat, origin.lon)
    # Only coarse figures reach the log: never the searcher's precise place or text.
    log.info("search kinds=%s origin~%.2f,%.2f radius_km=%.0f total=%d",
             ",".join(query.kinds) or "all", lat, lon, query.radius_m / 1000, result.total)
    return query, origin, result


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SEARCH_ARGS, location="query", unknown=RAISE, as_kwargs=False)
    @blp.response(200, SearchResponseSchema)
    # view=compact answers in another shape: the document offers both.
    @blp.doc(responses={"200": {"description": "Ranked hits; view=compact: compact hits.",
                                "content": {"application/json": {"schema": {"anyOf": [
                                    SearchResponseSchema,
                                    compact_view.CompactSearchResponseSchema]}}}}})
    @blp.alt_response(304, description="Not modified: If-None-Match names the current ETag.")
    def get(self, args):
        """Search resources near a place, ranked by distance, beds, payment and level of care.

        Filters OR within one parameter (payment=medicaid,sliding_fee) and AND across
        parameters. A filter that concerns one kind (payment, day, ...) applies to that
        kind and lets other kinds through.
        """
        settings = current_app.config["SETTINGS"]
        validator = http_cache.SearchValidator(args)
        now = http_cache.utcnow()
        unchanged = validator.not_modified(now)
        if unchanged is not None:
            return unchanged
        query, origin, result = run_search(args, now)
        down = outage.is_down()  # no read between here and the body: the same throughout
        body = {
            "total": result.total, "page": query.page, "per_page": query.per_page,
            "total_pages": math.ceil(result.total / query.per_page),
            "origin": origin_body(origin),
            "results": [hit_body(h, query.now, settings, down) for h in result.hits],
        }
        if down:
            body["live_figures"] = outage.UNAVAILABLE
        if args["view"] == "compact":
            body = compact_view.compact(body, query.now, query.levels)
        validator.attach(body, query, query.now)
        # Served as built: SearchResponseSchema documents it, and dumping the body through
        # it changed nothing but cost a sixth of each request
        # (tests/test_search_fast_path.py holds the body to the schema). The bytes are
        # jsonify's, made by orjson (fast_json.py, tests/test_search_fast_json.py).
        return fast_json.response(body)

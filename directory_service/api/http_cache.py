"""What the coach's phone app needs from HTTP: validators, caching, CORS and gzip.

A coach re-runs the same search many times on a slow connection while driving; an ETag
lets the app ask "has anything changed?" and get a bodiless 304 when nothing has. CORS
is opened only to the origins an operator configures.

The search ETag is made from what the answer depends on, never from the answer itself
(whose scores and ages drift every second): the index build, the live bed data (the
availability database's change sequence, only when facilities can be in the answer),
the public reports' version (any kind can carry a report), the validated query, and the moment until which the answer's time-dependent parts hold
(`SearchValidator`, docs/coach-walkthrough.md). So a revalidation is answered before any
search runs. Records keep an ETag over their body less the ticking `age_seconds`.
"""
import bisect
import hashlib
import json
import math
import threading
import time
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata

from flask import current_app, g, request
from flask_compress import Compress
from flask_cors import CORS
from werkzeug.http import http_date

from directory_service import fast_json
from directory_service.availability import changes, outage, public_reports
from directory_service.search import live_overlay

# The API endpoints whose answers carry validators (flask-smorest names them
# "<blueprint>.<MethodView>").
SEARCH_ENDPOINT = "search.Search"
CACHEABLE_ENDPOINTS = (SEARCH_ENDPOINT, "resources.Resource")
# Only these are worth compressing; images and fonts are not served here.
COMPRESSED_TYPES = ["application/json", "application/problem+json", "text/html",
                    "text/css", "text/javascript", "application/javascript"]
# Bumped when the search answer's shape changes, so no app keeps an old shape by a 304.
SEARCH_FORMAT = "search-2"
# How long a ranking of facilities is reused: bed reports fade (half-life 12 h,
# docs/ranking.md), which moves scores by well under 1 % in 10 minutes; the labels a
# person reads (fresh, aging, stale) have exact deadlines of their own.
DECAY_WINDOW_S = 600
CORS_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"]
# Preflights are cached by the browser this long: one round trip fewer per write.
CORS_MAX_AGE_S = 600
# The availability database (availability/db.py): its global change sequence moves on
# every report, hold and decision; an active hold stops counting at `expires_at`.


def utcnow():
    """The clock of search answers (tests move it)."""
    return datetime.now(timezone.utc)


@lru_cache(maxsize=4096)
def _epoch(iso):
    """Epoch seconds of an ISO time: report times recur across searches, each parsed once
    (a pure function of its text)."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _normalised(args):
    """Validated search arguments as canonical JSON: list values are OR-ed, so sorted."""
    norm = {k: sorted(set(v)) if isinstance(v, (list, tuple)) else v for k, v in args.items()}
    # orjson's bytes where they equal json.dumps' (fast_json.dumps), else json.dumps.
    fast = fast_json.dumps(norm)
    if fast is not None:
        return fast.decode("ascii")
    return json.dumps(norm, sort_keys=True, separators=(",", ":"), default=str)


def can_hold_facilities(args):
    kinds = args.get("kind") or ()
    return not kinds or "treatment_facility" in kinds


class _Settling:
    """When this worker first saw each live sequence number, for stores that show a
    live change only after a delay (Elasticsearch's refresh): until it has settled, an
    ETag naming it must not outlive the delay, or it could stand for the older figures."""

    def __init__(self):
        self.seq, self.first_seen = None, 0.0

    def remaining_s(self, seq, settle_s):
        if settle_s <= 0:
            return 0.0
        now = time.monotonic()
        if seq != self.seq:
            self.seq, self.first_seen = seq, now
        return max(0.0, settle_s - (now - self.first_seen))


class _HoldExpiries:
    """The expiry times of active holds, read once per live sequence number.

    Every hold created or decided moves the sequence, so between two moves the list only
    loses holds as they expire; reading it per search would scan the holds table each time.
    """

    def __init__(self):
        self.seq, self.times = None, []
        self._lock = threading.Lock()

    def next_after(self, adb, seq, now):
        stamp = now.timestamp()
        with self._lock:
            if seq != self.seq:
                since = now.astimezone(timezone.utc).replace(microsecond=0).isoformat()
                rows = changes.all_active_expiries(adb.read(), since.replace("+00:00", "Z"))
                self.seq, self.times = seq, sorted(_epoch(at) for at in rows)
            i = bisect.bisect_right(self.times, stamp)
            return self.times[i] if i < len(self.times) else None


class SearchValidator:
    """The ETag of one search, from its inputs, read before the search runs.

    Reading the versions first means an ETag never names data newer than its body: a
    change landing mid-search makes the next request's ETag differ, never a stale 304.
    """

    def __init__(self, args):
        state = current_app.extensions["http_cache"]
        self.store = current_app.extensions["store"]
        self.settings = current_app.config["SETTINGS"]
        self.facilities = can_hold_facilities(args)
        self.live = None
        adb = current_app.extensions["availability"]
        # Public reports touch records of every kind (a caution, a closure): every search
        # reads their version, and the live change sequence in the same query; the key
        # names the sequence only when facilities can be in the answer. The sequence read
        # here is the one read of it this request makes: the live overlay (a poll per
        # search) asks for changes only when it moved past what the worker has applied
        # (`live_overlay.SEQUENCE_READ`), so a search with no change reads the availability
        # database once, not twice (issue 25).
        # Unreadable: a key of its own, so a degraded answer never matches a real one.
        seq, reported = outage.reading(lambda: public_reports.versions(adb.read()),
                                       (outage.UNAVAILABLE, outage.UNAVAILABLE))
        if self.facilities:
            self.live = seq
        if seq is not outage.UNAVAILABLE:
            setattr(g, live_overlay.SEQUENCE_READ, seq)
        self.key = "|".join((SEARCH_FORMAT, state["fingerprint"], self.store.build_id(),
                             str(self.live), str(reported), _normalised(args)))
        self._settling, self._holds = state["settling"], state["holds"]

    def tag(self, until):
        """`W/"<digest>.<until>"`: `until` (epoch seconds, 0 = never) is when the answer's
        time-dependent parts may change; it is in the digest, so it cannot be edited."""
        digest = hashlib.sha256(f"{self.key}|{until}".encode()).hexdigest()[:24]
        return f"{digest}.{until}"

    def not_modified(self, now):
        """A 304 response when the request names this answer's current ETag, else None."""
        stamp = now.timestamp()
        for candidate in request.if_none_match.as_set(include_weak=True):
            _, _, until = candidate.rpartition(".")
            if not until.isdigit() or (int(until) and stamp >= int(until)):
                continue
            if candidate == self.tag(int(until)):
                response = current_app.response_class(status=304)
                response.set_etag(candidate, weak=True)
                _cache_control(response, self.settings.cache_max_age_s, int(until), stamp)
                return response
        return None

    def until(self, body, query, now):
        """Epoch seconds (0 = never) at which this answer may change with no data change."""
        stamp = now.timestamp()
        moments = [m for m in search_deadlines(body, self.settings) if m > stamp]
        if query.open_now or query.starts_within is not None:
            # Which places are open (meetings starting) changes to the minute, and the
            # answer may gain places not on this page: only this minute is certain.
            moments.append((math.floor(stamp / 60) + 1) * 60)
        if "online" in query.attendance:
            # Online meetings are matched by the zones sharing the searcher's clock this year.
            moments.append(datetime(now.year + 1, 1, 1, tzinfo=timezone.utc).timestamp())
        if self.facilities:
            # A hold that expires frees a bed, which can bring a facility onto the page
            # even when none is on it now (has_open_beds with every bed held).
            expiry = self._holds.next_after(current_app.extensions["availability"],
                                            self.live, now)
            if expiry is not None:
                moments.append(expiry)
            wait = self._settling.remaining_s(self.live, self.store.live_settle_s)
            if wait:
                moments.append(stamp + wait)
            if _may_show_facilities(body):
                moments.append(stamp + DECAY_WINDOW_S)
        return math.floor(min(moments)) if moments else 0

    def attach(self, body, query, now):
        """Remember this answer's ETag for `add_validators`, which sets it. An answer
        made without live figures (database down) gets none: nobody may keep it."""
        if outage.is_down():
            g.search_etag = None
            return
        until = self.until(body, query, now)
        g.search_etag = (self.tag(until), until, now.timestamp())


def _may_show_facilities(body):
    """Whether a facility is on this page, or may be moved onto it by a fading report."""
    results = body["results"]
    return (any(hit["kind"] == "treatment_facility" for hit in results)
            or body["total"] > len(results))


def search_deadlines(body, settings):
    """`_answer_deadlines` of a search body (full or compact view), looking only where
    those can be: a hit's `beds_open` and `changes_at`, the bed rows of its record (full)
    or of its compact form. Records are strict (schemas/records.py): no other dict in them
    has a `reported_at`. A sixth of a served search walked every value of every record
    for these (issue 15); tests/test_search_deadlines.py holds both to the same moments."""
    moments = []
    for hit in body["results"]:
        _figure_deadlines(hit.get("beds_open"), settings, moments)
        if hit.get("changes_at"):
            moments.append(_epoch(hit["changes_at"]))
        rows = hit["record"].get("beds") if "record" in hit else hit.get("beds")
        for row in rows or ():
            _figure_deadlines(row, settings, moments)
    return moments


def _figure_deadlines(value, settings, moments):
    if value and value.get("reported_at") and "freshness" in value:
        reported = _epoch(value["reported_at"])
        moments.append(reported + settings.fresh_hours * 3600)
        moments.append(reported + settings.stale_hours * 3600)


def _answer_deadlines(value, settings, moments=None):
    """Every moment at which something shown in the answer flips: a bed figure's
    freshness label (fresh → aging → stale) and a place's `changes_at` (opens, closes).

    Collected into one list by plain recursion: nested generators cost a frame per level
    per value, and the walk visits every dict and list of the answer (issue 15)."""
    if moments is None:
        moments = []
    if isinstance(value, dict):
        if value.get("reported_at") and "freshness" in value:
            reported = _epoch(value["reported_at"])
            moments.append(reported + settings.fresh_hours * 3600)
            moments.append(reported + settings.stale_hours * 3600)
        if value.get("changes_at"):
            moments.append(_epoch(value["changes_at"]))
        value = value.values()
    elif not isinstance(value, list):
        return moments
    for item in value:
        if isinstance(item, (dict, list)):
            _answer_deadlines(item, settings, moments)
    return moments


def _cache_control(response, max_age_s, until, stamp):
    """Public, for at most max_age_s and never past the answer's own deadline."""
    left = max_age_s if not until else max(0, min(max_age_s, math.floor(until - stamp)))
    if "Cache-Control" not in response.headers:
        # The header werkzeug's `cache_control` writes, without parsing the absent one
        # twice (a twentieth of a served search, issue 25).
        response.headers["Cache-Control"] = f"public, max-age={left}"
        return
    response.cache_control.public = True
    response.cache_control.max_age = left


def _without_ages(value):
    if isinstance(value, dict):
        return {k: _without_ages(v) for k, v in value.items() if k != "age_seconds"}
    if isinstance(value, list):
        return [_without_ages(v) for v in value]
    return value


def _add_semantic_etag(response):
    """A weak ETag over the body less `age_seconds`, which ticks every second.

    Two answers that differ only in how old the same bed report has grown are the same
    answer; a new report, a hold or a change of freshness label changes the ETag.
    """
    data = response.get_json(silent=True)
    if data is None:
        response.add_etag()
        return
    canonical = json.dumps(_without_ages(data), sort_keys=True, separators=(",", ":"))
    response.set_etag(hashlib.sha256(canonical.encode()).hexdigest()[:32], weak=True)


def add_validators(response, max_age_s):
    """ETag + Cache-Control on a successful GET, answered with 304 on If-None-Match."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if outage.is_down():
        # Made without live figures: not to be kept or revalidated by anyone.
        response.headers["Cache-Control"] = "no-store"
        return response
    # The ETag is computed on the uncompressed body; flask-compress (registered before
    # this hook, so it runs after it) leaves a weak ETag as it is and re-checks
    # If-None-Match itself, so both plain and gzip clients get their 304.
    search = g.get("search_etag")
    if search is not None:
        etag, until, stamp = search
        response.set_etag(etag, weak=True)
        _cache_control(response, max_age_s, until, stamp)
    else:
        _add_semantic_etag(response)
        _cache_control(response, max_age_s, 0, 0)
    return _conditional(response)


# Request headers that make `make_conditional` do more than add Date and Content-Length.
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE",
                       "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE", "HTTP_IF_RANGE")


def _conditional(response):
    """`response.make_conditional(request)`: for a GET or HEAD without conditional or
    range headers (most searches) that is a Date and a Content-Length header, written
    here without werkzeug parsing the absent headers (issue 25)."""
    environ = request.environ
    if any(name in environ for name in CONDITIONAL_HEADERS):
        return response.make_conditional(request)
    if "date" not in response.headers:
        response.headers["Date"] = http_date()
    if response.automatically_set_content_length and "content-length" not in response.headers:
        length = response.calculate_content_length()
        if length is not None:
            response.headers["Content-Length"] = str(length)
    return response


def _fingerprint(app, settings):
    """The code and settings an answer was made with: a deploy or a new setting changes it."""
    try:
        version = metadata.version("directory-service")
    except metadata.PackageNotFoundError:
        version = "source"
    raw = f"{version}|{app.config.get('API_VERSION')}|{settings!r}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def init_app(app, settings):
    """Compression for every response, CORS for /v1, validators for search and records."""
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Streamed responses (static files) stay as they are: flask-compress's streaming path
    # leaves the file it streams from open, and our static files are a few kilobytes.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    app.extensions["http_cache"] = {"fingerprint": _fingerprint(app, settings),
                                    "settling": _Settling(), "holds": _HoldExpiries()}
    if settings.cors_origins:
        CORS(app, resources={r"/v1/*": {"origins": list(settings.cors_origins)}},
             expose_headers=["ETag", "Location", "Link", "Retry-After"], methods=CORS_METHODS,
             max_age=CORS_MAX_AGE_S)

    @app.after_request
    def _validators(response):
        if settings.cors_origins and request.path.startswith("/v1/"):
            # Whether CORS headers are sent depends on Origin, for every origin and for
            # none: a shared cache must not hand one origin's answer to another.
            response.vary.add("Origin")
        if request.endpoint in CACHEABLE_ENDPOINTS:
            return add_validators(response, settings.cache_max_age_s)
        return response

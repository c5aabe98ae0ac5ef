"""Routes of the public page: search (`/`), one resource (`/r/<id>`) and its print view,
and the page's own error pages.

The search reuses the API's `run_search` (through `results.collect`), so the page and
the API can never disagree about what is near or open; only the words and, for "now"
searches, the order differ.
"""
import logging
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from marshmallow import RAISE, Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException

from directory_service import beds, geo
from directory_service.api.search import resolve_origin
from directory_service.availability import outage
from directory_service.errors import ApiProblem, problem
from directory_service.search.store import StoreUnavailable
from directory_service.web import (
    blp, chosen_lang, labels, nearer, present, results, search_form, summary,
)

PER_PAGE = 10
# Paths of the API and its documents: their errors stay application/problem+json.
API_PATHS = ("/v1/", "/openapi.json", "/docs", "/healthz", "/readyz")
log = logging.getLogger(__name__)


class DetailArgs(Schema):
    class Meta:
        unknown = RAISE

    lang = search_form.PageLang()
    print = fields.Boolean(load_default=False)


def page_now():
    """The moment the page calls "now": the clock, or `PAGE_NOW` when a test fixes it.

    `PAGE_NOW` (an aware datetime, or a callable returning one) lets the night scenarios
    of the tests run at 11 p.m. whatever time they are run; nothing else sets it.
    """
    fixed = current_app.config.get("PAGE_NOW")
    if callable(fixed):
        return fixed()
    return fixed or datetime.now(timezone.utc)


@blp.app_template_global()
def page_url(endpoint, **values):
    """url_for that keeps an explicitly chosen language (there is no cookie to keep it)."""
    if chosen_lang() and "lang" not in values:
        values["lang"] = chosen_lang()
    return url_for(endpoint, **values)


def echoed_args():
    """This request's query for links back to it, its point coarsened to ~1 km.

    Links (language switch, next page) must not carry a precise location further than
    the request that brought it.
    """
    args = request.args.to_dict()
    try:
        args["lat"], args["lon"] = geo.coarse(float(args["lat"]), float(args["lon"]))
    except (KeyError, ValueError):
        args.pop("lat", None), args.pop("lon", None)
    return args


FORM_FIELDS = ("near", "radius", "need", "care", "payment", "day", "time", "attendance", "type",
               "gender", "age", "language", "open_now", "beds", "stale", "lang")


def search_url(form, **changes):
    """A link to the search `form` describes with some fields changed (None removes one).

    Built from the form's values, not the raw query, so a quick start in the URL cannot
    undo the change; a typed place wins over a point, which is coarsened (~1 km).
    """
    args = {name: form[name] for name in FORM_FIELDS
            if form.get(name) is not None and form[name] is not False and form[name] != ""}
    if "near" not in form and "lat" in form and "lon" in form:
        args["lat"], args["lon"] = geo.coarse(form["lat"], form["lon"])
    if chosen_lang():
        args["lang"] = chosen_lang()
    args.update(changes)
    values = {k: (1 if v is True else v) for k, v in args.items() if v is not None}
    return url_for("web.search_page", **values)


def page_context():
    """What every page template needs; error pages outside the blueprint use it too."""
    locale = str(get_locale())
    other = "en" if locale == "es" else "es"
    args = {**echoed_args(), "lang": other}
    if request.endpoint and request.endpoint.startswith("web."):
        switch = url_for(request.endpoint, **{**(request.view_args or {}), **args})
    else:
        switch = request.path + "?" + urlencode(args)
    return {"labels": labels, "present": present, "locale": locale, "other_locale": other,
            "switch_url": switch, "search_url": search_url,
            "language_options": [(code, present.language_name(code, capital=True))
                                 for code in search_form.LANGUAGES]}


@blp.context_processor
def _helpers():
    return page_context()


def _form_page(form, errors, status=200, **context):
    context.setdefault("place_choices", [])
    return render_template("search.html", form=form, errors=errors, listing=None,
                           **context), status


@blp.get("/")
def search_page():
    raw = request.args
    if not set(raw) - {"lang"}:
        return _form_page({}, {})
    form, errors = search_form.read_form(raw)
    if errors:
        return _form_page(form, errors, 422)
    settings = current_app.config["SETTINGS"]
    now = page_now()
    try:
        zone = settings.site_timezone
        if form.get("day") == "today" and ("near" in form or "lat" in form):
            origin = resolve_origin({"near": form["near"]} if "near" in form else
                                    {"lat": form["lat"], "lon": form["lon"]})
            zone = results.searcher_zone(origin, zone)
        args, errors = search_form.search_args(form, zone, PER_PAGE, now)
        if errors:
            return _form_page(form, errors, 422)
        listing = results.collect(args, form, now, PER_PAGE, settings.site_timezone)
    except ApiProblem as exc:
        field = "near" if "near" in (exc.errors or {}) else "form"
        message = search_form.MESSAGES["not_found" if field == "near" else "choice"]
        choices = place_links(exc.extra.get("candidates", ())) if field == "near" else []
        return _form_page(form, {field: message}, 422, place_choices=choices)
    context = {"form": form, "errors": {}, "listing": listing, "now": now,
               "active": search_form.active_start(form), "search_words": summary.describe(form),
               "place": summary.place(listing.origin),
               "place_choices": place_links(listing.origin.alternatives),
               "nearer_places": [] if listing.cards else place_links(
                   nearer.namesakes_with_places(listing.origin, listing.query)),
               "tomorrow": (listing.query.days[0] + 1) % 7 if listing.query.days else None}
    if form.get("print"):
        return render_template("print_list.html", **context)
    return render_template("search.html", **context)


def place_links(labels_):
    """(label, link) for each place a typed name could also mean, same search otherwise.

    "Aurora" in a Chicago-area directory is Aurora, IL; someone in Colorado needs a
    one-tap way to Aurora, CO.
    """
    args = echoed_args()
    for name in ("lat", "lon", "page"):
        args.pop(name, None)
    return [(label, url_for("web.search_page", **{**args, "near": label})) for label in labels_]


def _detail(record_id, printable):
    try:
        values, repeated = search_form.single_values(request.args)
        if repeated:
            raise ValidationError({name: ["given more than once"] for name in repeated})
        args = DetailArgs().load(values)
    except ValidationError:
        return render_template("message.html", status=422,
                               message=search_form.MESSAGES["unknown"]), 422
    store = current_app.extensions["store"]
    record = store.get(record_id)
    if record is None:
        kept = store.resolve_alias(record_id)
        if kept is not None:  # merged into another record: its page, same view
            endpoint = "web.print_page" if printable else "web.resource_page"
            extra = {"print": "1"} if args["print"] and not printable else {}
            return redirect(page_url(endpoint, record_id=kept, **extra), 301)
        return render_template("message.html", status=404, message=None), 404
    now = page_now()
    record = beds.annotate_record(record, now.astimezone(timezone.utc),
                                  current_app.config["SETTINGS"])
    template = "print.html" if printable or args["print"] else "detail.html"
    return render_template(template, r=record, now=now, zone=record.get("timezone"))


@blp.get("/r/<path:record_id>")
def resource_page(record_id):
    return _detail(record_id, printable=False)


@blp.get("/r/<path:record_id>/print")
def print_page(record_id):
    return _detail(record_id, printable=True)


# --- the page's own error pages -------------------------------------------------------

def is_api_path(path):
    return path == "/v1" or path.startswith(API_PATHS)


def error_page(status, headers=None):
    """An HTML error page in the visitor's language (Accept-Language or ?lang=)."""
    body = render_template("message.html", status=status, message=None, **page_context())
    return body, status, headers or {}


def http_error(exc):
    """404/405 and the like: an HTML page for the page's URLs, problem+json for the API's."""
    allow = {k: v for k, v in exc.get_headers() if k == "Allow"}
    if is_api_path(request.path):
        return problem(exc.code, exc.name, exc.description, headers=allow)
    return error_page(exc.code, allow)


@blp.errorhandler(Exception)
def page_failure(exc):
    """Anything that goes wrong while building a page is a page, never JSON."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    if isinstance(exc, StoreUnavailable):
        log.warning("search store unavailable: %s", exc)
        return error_page(503, {"Retry-After": "5"})
    if isinstance(exc, outage.outages()):  # a staff page needs the database: 503, no trace
        outage.mark_down(exc)
        return error_page(503, {"Retry-After": "5"})
    log.exception("unhandled error on the public page")
    return error_page(500)


def register_error_pages(app):
    for status in (404, 405):
        app.register_error_handler(status, http_error)

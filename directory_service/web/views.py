"""Routes of the public page: search (`/`), one resource (`/r/<id>`) and its print view.

The search reuses the API's `run_search`, so the page and the API can never disagree
about what is near or open; only the words differ.
"""
import math
from datetime import datetime, timezone

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from directory_service import beds, geo
from directory_service.api.search import hit_body, run_search
from directory_service.errors import ApiProblem
from directory_service.web import SUPPORTED_LOCALES, blp, labels, present, search_form

PER_PAGE = 10


class DetailArgs(Schema):
    class Meta:
        unknown = RAISE

    lang = fields.String(validate=validate.OneOf(SUPPORTED_LOCALES))
    print = fields.Boolean(load_default=False)


@blp.app_template_global()
def page_url(endpoint, **values):
    """url_for that keeps an explicitly chosen language (there is no cookie to keep it)."""
    if request.args.get("lang") in SUPPORTED_LOCALES and "lang" not in values:
        values["lang"] = request.args["lang"]
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


@blp.context_processor
def _helpers():
    locale = str(get_locale())
    other = "en" if locale == "es" else "es"
    switch = url_for(request.endpoint, **{**(request.view_args or {}), **echoed_args(),
                                          "lang": other})
    return {"labels": labels, "present": present, "locale": locale,
            "other_locale": other, "switch_url": switch, "here": echoed_args()}


@blp.get("/")
def search_page():
    raw = request.args
    if not set(raw) - {"lang"}:
        return render_template("search.html", form={}, errors={}, results=None)
    form, errors = search_form.read_form(raw)
    settings = current_app.config["SETTINGS"]
    args = None
    if not errors:
        args, errors = search_form.search_args(form, settings.site_timezone, PER_PAGE)
    if errors:
        return render_template("search.html", form=form, errors=errors, results=None), 422
    try:
        query, origin, result = run_search(args)
    except ApiProblem as problem:
        field = "near" if "near" in (problem.errors or {}) else "form"
        message = search_form.MESSAGES["not_found" if field == "near" else "choice"]
        choices = place_links(problem.extra.get("candidates", ())) if field == "near" else []
        return render_template("search.html", form=form, errors={field: message},
                               results=None, place_choices=choices), 422
    hits = [hit_body(hit, query.now, settings) for hit in result.hits]
    pages = max(1, math.ceil(result.total / PER_PAGE))
    return render_template("search.html", form=form, errors={}, results=hits,
                           total=result.total, page=query.page, pages=pages,
                           origin=origin, now=query.now,
                           place_choices=place_links(origin.alternatives))


def place_links(labels_):
    """(label, link) for each place a typed name could also mean, same search otherwise.

    "Aurora" is Aurora, CO first; someone in Illinois needs a one-tap way to Aurora, IL.
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
        return render_template("message.html", message=search_form.MESSAGES["unknown"]), 422
    store = current_app.extensions["store"]
    record = store.get(record_id)
    if record is None:
        kept = store.resolve_alias(record_id)
        if kept is not None:  # merged into another record: its page, same view
            endpoint = "web.print_page" if printable else "web.resource_page"
            extra = {"print": "1"} if args["print"] and not printable else {}
            return redirect(page_url(endpoint, record_id=kept, **extra), 301)
        return render_template("message.html", message=None, missing=True), 404
    now = datetime.now(timezone.utc)
    record = beds.annotate_record(record, now, current_app.config["SETTINGS"])
    template = "print.html" if printable or args["print"] else "detail.html"
    return render_template(template, r=record, now=now, today=format_date(now, "long"))


@blp.get("/r/<path:record_id>")
def resource_page(record_id):
    return _detail(record_id, printable=False)


@blp.get("/r/<path:record_id>/print")
def print_page(record_id):
    return _detail(record_id, printable=True)

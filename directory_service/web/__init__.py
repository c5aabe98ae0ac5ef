"""The public lookup page: server-rendered, usable with JavaScript off, in English or Spanish.

Everything the page loads comes from our own origin; the Content-Security-Policy set here
makes the browser refuse anything else, so no font, script, map tile or image from a third
party can learn that a person is looking for help. No cookie is set: the language travels
in the URL (`?lang=es`). Staff pages (web/staff/) live under /staff, where alone a
session cookie exists.
"""
from flask import Blueprint, request
from flask_babel import Babel

from directory_service.availability import outage

SUPPORTED_LOCALES = ("en", "es")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'; object-src 'none'")

blp = Blueprint("web", __name__)


def page_lang(text):
    """The page language a `lang` value names, or None: "es", and as partners' links write
    it, "ES", "es-MX" or "es_US" (its first part)."""
    chosen = str(text or "").strip().lower().replace("_", "-").split("-")[0]
    return chosen if chosen in SUPPORTED_LOCALES else None


@blp.app_template_global()
def chosen_lang():
    """The page language `?lang=` asks for, or None (templates keep it in their forms)."""
    return page_lang(request.args.get("lang"))


def select_locale():
    """`?lang=` first (the visible switch), then the browser's Accept-Language."""
    return chosen_lang() or request.accept_languages.best_match(SUPPORTED_LOCALES, "en")


@blp.after_request
def _page_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # A tapped directions or website link must not tell the other site what was searched.
    # Staff forms send it to our own origin only: Flask-WTF checks it over HTTPS.
    staff = request.path.startswith("/staff")
    response.headers["Referrer-Policy"] = "same-origin" if staff else "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
    # Pages may hold a searcher's place: keep them out of shared caches. Staff pages hold
    # private figures, notes and once-shown keys: stored nowhere.
    response.headers["Cache-Control"] = "no-store" if staff else "private, no-cache"
    response.vary.add("Accept-Language")
    return response


def init_app(app):
    """Register the page, its translations and its view helpers on `app`."""
    Babel(app, locale_selector=select_locale)
    app.add_template_global(outage.is_down, "live_figures_unavailable")
    from directory_service.web import (  # noqa: F401 (routes attach to `blp`)
        bed_figures, facts, report_problem, share, staff, views)

    staff.init_app(app)
    # Card facts and Send links, for the page's templates (cards, detail, print).
    app.jinja_env.globals.update(bed_figures=bed_figures, facts=facts, share=share)
    app.register_blueprint(blp)
    report_problem.init_app(app)
    # A mistyped page URL answers a page in the visitor's language; /v1 stays JSON.
    views.register_error_pages(app)

"""The coach's page: a person's needs → matching open beds, explained → hold → my holds.

The needs go through the API's MatchBody and `run_match`, holds through `place_hold`, the
list through `coach_holds`: the page adds words, never rules. Needs are posted, not put
in the URL, so they stay out of logs and browser history. The session remembers only the
open count of each facility last shown for the same needs (a digest of them), so a
refresh can point at beds that opened since.
"""
import hashlib
import json
import re

from flask import current_app, flash, redirect, render_template, request, session
from flask_babel import gettext as _
from marshmallow import ValidationError

from directory_service import vocab
from directory_service.api.holds import place_hold
from directory_service.api.match import run_match
from directory_service.availability import figures, holds
from directory_service.errors import ApiProblem
from directory_service.schemas.availability import HoldBody, MatchBody
from directory_service.search import columns as cols
from directory_service.web import bed_figures, blp, search_form
from directory_service.web.staff import flashed_notices, signed_in
from directory_service.web.staff.coach_holds import holds_context, my_holds
from directory_service.web.staff.watches import my_watches, watches_context
from directory_service.web.views import page_now, page_url

LOOK_KEY = "coach_look"
WHOLE = re.compile(r"^\s*\d{1,3}\s*$")
DISTANCES = (10, 25, 40, 60, 100)


def _needs_from(form):
    """The posted form as a MatchBody document; text the schema refuses stays text."""
    needs = {"level_of_care": form.get("level_of_care") or "detox",
             "near": (form.get("near") or "").strip(),
             "moud": form.get("moud") or "none",
             "pregnant": form.get("pregnant") == "1", "veteran": form.get("veteran") == "1",
             "include_fallbacks": form.get("include_fallbacks") == "1",
             "include_stale": form.get("include_stale") == "1"}
    for name in ("payer", "gender", "language"):
        if form.get(name):
            needs[name] = form[name]
    age = (form.get("age") or "").strip()
    if age:
        needs["age"] = int(age) if WHOLE.match(age) else age
    distance = form.get("max_distance") or "40"
    needs["max_distance"] = float(distance) if distance.isdigit() else distance
    return needs


def _digest(needs):
    return hashlib.sha256(json.dumps(needs, sort_keys=True).encode()).hexdigest()[:16]


def mark_opened(results, needs):
    """Flag results whose open beds rose since the last look at the same needs, then
    remember this look (facility id → open count only)."""
    digest, look = _digest(needs), session.get(LOOK_KEY) or {}
    before = look.get("open") if look.get("needs") == digest else None
    for result in results:
        now_open = result["beds_open"]["open"] or 0
        was = (before or {}).get(result["id"])
        result["opened"] = before is not None and now_open > 0 and (was is None
                                                                   or now_open > was)
    session[LOOK_KEY] = {"needs": digest, "open": {
        r["id"]: r["beds_open"]["open"] or 0 for r in results if not r["fallback"]}}


def holdable_rows(result, needs):
    """Bed rows of the result a coach can hold for this person: the matched levels, a
    population the person may take, an open bed (the rules search and holds use)."""
    levels = set(sum(vocab.expand_levels([needs["level_of_care"]]), ()))
    allowed = set(cols.allowed_groups(needs.get("gender"), needs.get("age")))
    rows = []
    for row in result["record"].get("beds", ()):
        population = row.get("population") or "adult_any"
        if (row["level_of_care"] in levels and cols.population_group(population) in allowed
                and (figures.row_open(row) or 0) > 0):
            rows.append({**row, "population": population, "open": figures.row_open(row)})
    return rows


def _minutes_choices(settings):
    """Hold lengths to offer: never beyond HOLD_MAX_MINUTES, the default always among them."""
    return sorted({m for m in (30, 60, 90, 120, 180, 240) if m <= settings.hold_max_minutes}
                  | {settings.hold_default_minutes})


def _page(principal, needs=None, answer=None, errors=None, status=200):
    settings = current_app.config["SETTINGS"]
    form = request.form if request.method == "POST" else {}
    return render_template(
        "staff/coach.html", principal=principal, form=form, needs=needs, answer=answer,
        errors=errors or {}, holds=my_holds(principal), notices=flashed_notices(),
        distances=DISTANCES, minutes=_minutes_choices(settings),
        default_minutes=settings.hold_default_minutes, levels=vocab.LEVELS_OF_CARE,
        payers=vocab.PAYMENT, languages=search_form.LANGUAGES, holdable=holdable_rows,
        bed_lines=match_lines, **holds_context(),
        **watches_context(principal, my_watches(principal))), status


def match_lines(result, needs):
    """The bed lines of one match, as the public card writes them: one per level of care
    and population the person may take, each with its own age (bed_figures.bed_line)."""
    levels = sum(vocab.expand_levels([needs["level_of_care"]]), ())
    groups = bed_figures.bed_groups(result["record"], levels, needs.get("gender"), needs.get("age"))
    zone = result["record"].get("timezone")
    return bed_figures.bed_lines(groups, zone)


@blp.get("/staff/coach")
def staff_coach():
    return _page(signed_in("coach", "admin"))


@blp.post("/staff/coach")
def staff_coach_match():
    principal = signed_in("coach", "admin")
    raw = _needs_from(request.form)
    try:
        needs = MatchBody().load(raw)
        answer = run_match(needs, page_now())
    except ValidationError as exc:
        return _page(principal, raw, errors=_field_errors(exc.messages), status=422)
    except ApiProblem as exc:
        fields = exc.errors or {"near": [exc.detail]}
        return _page(principal, raw, errors=_field_errors(fields), status=422)
    mark_opened(answer["results"], needs)
    return _page(principal, needs, answer)


def _field_errors(messages):
    return {name: "; ".join(value) if isinstance(value, list) else str(value)
            for name, value in messages.items()}


@blp.post("/staff/coach/holds")
def staff_coach_hold():
    """Hold one bed, as POST /v1/facilities/{id}/holds does; on to the hold's card (My
    holds, with the intake phone and directions), or back to the search with why not."""
    principal = signed_in("coach", "admin")
    form = request.form
    facility_id = form.get("facility_id", "")
    minutes = form.get("minutes", "")
    raw = {"level_of_care": form.get("level_of_care", ""),
           "population": form.get("population") or None,
           "note": (form.get("note") or "").strip() or None,
           "expires_in_minutes": int(minutes) if minutes.isdigit() else minutes or None}
    back = page_url("web.staff_coach") + "#my-holds"
    try:
        hold = place_hold(principal, facility_id, HoldBody().load(raw))
    except ValidationError as exc:
        flash(_("Not held: %(why)s", why=" · ".join(
            f"{k}: {v}" for k, v in _field_errors(exc.messages).items())), "error")
    except ApiProblem as exc:
        flash(_("Not held: %(why)s", why=exc.detail), "error")
    except holds.HoldLimit as exc:
        flash(_("Not held: you already have %(n)d active holds, the most one key may have. "
                "Cancel one that is no longer needed.", n=exc.active), "error")
    else:
        flash(_("Held. The facility sees it now; call intake to say you are on the way."),
              "done|" + hold["id"])
        return redirect(page_url("web.staff_coach_holds") + "#hold-" + hold["id"], 303)
    return redirect(back, 303)

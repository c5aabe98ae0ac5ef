"""The facility's profile page: what the directory says about it, corrected by itself.

One plain form (works without JavaScript) with every declarable field, each marked with
where its value comes from. Saving declares only the fields whose value the form changed
(so an untouched field stays the source's) through the API's own `save_profile`, with
the version the page was drawn from as its If-Match. A field whose source changed since
the facility declared it shows "The source now says …" with two buttons: use the
source's value, or keep the facility's.
"""
import re

from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from directory_service import vocab
from directory_service.api.profile import profile_body, save_profile
from directory_service.availability import profiles
from directory_service.availability.profile_merge import same
from directory_service.errors import ApiProblem
from directory_service.schemas.profile import NESTED, PROFILE_FIELDS, ProfileFields, flatten
from directory_service.web import blp, labels, present
from directory_service.web.staff import StaffProblem, flashed_notices, signed_in
from directory_service.web.staff.facility import facility_for
from directory_service.web.views import page_url

WHOLE = re.compile(r"^\s*\d{1,6}\s*$")
SPARE_ROWS = 2
# The form never draws more row slots than a profile may hold plus the spare ones.
MAX_SLOTS = 62
INTERVALS_PER_DAY = 2
FLAGS = ("walk_in", "intake_24_7", "accepts_police_or_peer_dropoff",
         "medical_clearance_required", "accepts_clients_on_moud")
FIELD_NAMES = {
    "levels_of_care": _l("Levels of care"), "beds": _l("Bed rows"),
    "settings": _l("Settings"), "payment": _l("Payment accepted"),
    "medications": _l("Medications offered"),
    "accepts_clients_on_moud": _l("Takes people already on medication (MOUD)"),
    "hours": _l("Intake hours"), "walk_in": _l("Walk-ins welcome"),
    "intake_24_7": _l("Intake 24 hours, 7 days"),
    "accepts_police_or_peer_dropoff": _l("Police or peer drop-off accepted"),
    "medical_clearance_required": _l("Medical clearance needed first"),
    "phones.main": _l("Main phone"), "phones.intake": _l("Intake phone"),
    "phones.hotline": _l("Hotline"), "populations.genders": _l("Who is served"),
    "populations.min_age": _l("Youngest age served"),
    "populations.max_age": _l("Oldest age served"),
    "populations.veterans": _l("Veterans programme"),
    "populations.pregnant_postpartum": _l("Pregnant or postpartum programme"),
    "populations.lgbtq": _l("LGBTQ programme"), "populations.adolescents": _l("Teen programme"),
    "populations.criminal_justice": _l("Justice-involved programme"),
}
GENDERS = {"any": _l("Everyone"), "men": _l("Men only"), "women": _l("Women only")}
HISTORY_SHOWN = 10


def field_name(name):
    return FIELD_NAMES.get(name, name)


def shown_value(name, value):
    """A field's value in words, for "the source now says …" and the history."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "levels_of_care":
        return ", ".join(f"{labels.label(labels.LEVELS, c)} ({c})" for c in value)
    if name == "payment":
        return labels.names(labels.PAYMENT, value)
    if name == "medications":
        return labels.names(labels.MEDICATIONS, value)
    if name == "populations.genders":
        return str(GENDERS.get(value, value))
    if name == "beds":
        return "; ".join(_("%(level)s, %(who)s: %(n)s beds", level=r["level_of_care"],
                           who=labels.label(labels.POPULATIONS, r.get("population")),
                           n=r.get("capacity") if r.get("capacity") is not None else "?")
                         for r in value)
    if name == "hours":
        return "; ".join(present.hours_lines({"hours": value})) or "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@blp.get("/staff/facility/<path:facility_id>/profile")
def staff_profile(facility_id):
    principal = signed_in("facility", "admin")
    return _page(principal, facility_for(principal, facility_id))


def _page(principal, record, form=None, errors=None, status=200, **shown_once):
    body = profile_body(record)
    values = {name: state["value"] for name, state in body["fields"].items()}
    total, history = profiles.history(current_app.extensions["availability"], record["id"],
                                      1, HISTORY_SHOWN)
    return render_template(
        "staff/profile.html", principal=principal, record=record, profile=body,
        form=form or form_from_values(values), errors=errors or {}, history=history,
        history_total=total, notices=flashed_notices(), vocab=vocab, flags=FLAGS,
        field_name=field_name, shown_value=shown_value, genders=GENDERS,
        programs=NESTED["populations"][3:], days=range(7),
        intervals=range(INTERVALS_PER_DAY), **shown_once), status


def form_from_values(values):
    """The form's cells (strings, checked names) drawn from current field values."""
    form = {"levels_of_care": list(values["levels_of_care"] or ()),
            "payment": list(values["payment"] or ()),
            "medications": list(values["medications"] or ()),
            "checked": {name for name in PROFILE_FIELDS
                        if values.get(name) is True}}
    for name in PROFILE_FIELDS:
        if "." in name and not isinstance(values.get(name), bool):
            form[name] = "" if values.get(name) is None else str(values[name])
    rows = list(values["beds"] or ())
    form["beds"] = [{"level_of_care": r["level_of_care"],
                     "population": r.get("population") or "adult_any",
                     "capacity": "" if r.get("capacity") is None else str(r["capacity"])}
                    for r in rows] + [{"level_of_care": "", "population": "adult_any",
                                       "capacity": ""}] * SPARE_ROWS
    hours = values["hours"] or {}
    form["open_24_7"] = bool(hours.get("open_24_7"))
    by_day = {}
    for interval in sorted(hours.get("intervals") or (), key=lambda i: (i["day"], i["open"])):
        by_day.setdefault(interval["day"], []).append(interval)
    form["hours"] = {(d, k): by_day.get(d, [])[k] if k < len(by_day.get(d, [])) else {}
                     for d in range(7) for k in range(INTERVALS_PER_DAY)}
    return form


def _count(text):
    """A cell as a whole number, None when empty; other text is left for the schema to
    refuse ("2.5" is never rounded)."""
    if text is None or text.strip() == "":
        return None
    return int(text) if WHOLE.match(text) else text.strip()


def raw_from_form(posted):
    """The posted form as a profile `fields` body, nested as the API takes it."""
    raw = {name: posted.getlist(name) for name in ("levels_of_care", "payment", "medications")}
    raw.update({name: name in posted for name in FLAGS})
    raw["phones"] = {part: (posted.get(f"phones.{part}") or "").strip() or None
                     for part in NESTED["phones"]}
    populations = {"genders": posted.get("populations.genders") or "any",
                   "min_age": _count(posted.get("populations.min_age")),
                   "max_age": _count(posted.get("populations.max_age"))}
    populations.update({p: f"populations.{p}" in posted for p in NESTED["populations"][3:]})
    raw["populations"] = populations
    raw["beds"] = []
    slots = posted.get("bed_rows") or ""
    for i in range(min(int(slots), MAX_SLOTS) if slots.isdigit() else 0):
        level = posted.get(f"bed-{i}-level_of_care") or ""
        if not level:
            continue
        raw["beds"].append({"level_of_care": level,
                            "population": posted.get(f"bed-{i}-population") or "adult_any",
                            "capacity": _count(posted.get(f"bed-{i}-capacity"))})
    intervals = []
    for day in range(7):
        for k in range(INTERVALS_PER_DAY):
            opens = (posted.get(f"hours-{day}-{k}-open") or "").strip()
            closes = (posted.get(f"hours-{day}-{k}-close") or "").strip()
            if opens or closes:
                intervals.append({"day": day, "open": opens, "close": closes})
    raw["hours"] = {"open_24_7": "open_24_7" in posted, "intervals": intervals}
    return raw


def _posted_form(posted, raw):
    """The form as posted, to draw again beside its errors."""
    form = form_from_values({**flatten({k: v for k, v in raw.items() if k in NESTED}),
                             **{k: v for k, v in raw.items() if k not in NESTED},
                             "beds": [], "hours": {}})
    for name in ("populations.min_age", "populations.max_age"):
        form[name] = posted.get(name) or ""
    form["beds"] = [{k: "" if v is None else str(v) for k, v in r.items()}
                    for r in raw["beds"]] + form["beds"]
    form["open_24_7"] = raw["hours"]["open_24_7"]
    form["hours"] = {(d, k): {"open": posted.get(f"hours-{d}-{k}-open") or "",
                              "close": posted.get(f"hours-{d}-{k}-close") or ""}
                     for d in range(7) for k in range(INTERVALS_PER_DAY)}
    return form


@blp.post("/staff/facility/<path:facility_id>/profile")
def staff_save_profile(facility_id):
    """Save the changed fields, or answer one "the source now says …" (accept or keep)."""
    principal = signed_in("facility", "admin")
    record = facility_for(principal, facility_id)
    back = page_url("web.staff_profile", facility_id=facility_id)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        raise StaffProblem(400) from None
    answer = request.form.get("action")
    if answer in ("accept_source", "keep"):
        name = request.form.get("field")
        if name not in PROFILE_FIELDS:
            raise StaffProblem(400)
        body = {answer: [name]}
    else:
        raw = raw_from_form(request.form)
        try:
            loaded = flatten(ProfileFields().load(raw))
        except ValidationError as exc:
            return _page(principal, record, _posted_form(request.form, raw),
                         _errors(exc.messages), 422)
        current = {n: s["value"] for n, s in profile_body(record)["fields"].items()}
        body = {"fields": {n: v for n, v in loaded.items() if not same(v, current.get(n))}}
    try:
        save_profile(record, body, principal, {version})
    except ApiProblem as exc:
        if exc.status == 412:
            flash(_("Updated elsewhere meanwhile: here is the profile as it is now. Your "
                    "change was not saved; check it and save again."), "stale")
            return redirect(back, 303)
        if exc.status == 422 and answer not in ("accept_source", "keep"):
            return _page(principal, record, _posted_form(request.form, raw),
                         _errors((exc.errors or {}).get("fields") or {}), 422)
        flash(_("Not saved: %(why)s", why=exc.detail), "error")
        return redirect(back, 303)
    if answer == "accept_source":
        flash(_("%(field)s now shows what the source says.", field=field_name(name)), "done")
    elif answer == "keep":
        flash(_("%(field)s keeps your value.", field=field_name(name)), "done")
    elif body["fields"]:
        flash(_("Saved: %(fields)s.", fields=", ".join(str(field_name(n))
                                                       for n in body["fields"])), "done")
    else:
        flash(_("Nothing changed: your profile is confirmed as accurate today."), "done")
    return redirect(back, 303)


def _errors(messages):
    """{form field name: [messages]} from the schema's nested messages."""
    errors = {}
    for name, found in messages.items():
        if name in NESTED and isinstance(found, dict):
            for part, text in found.items():
                errors[f"{name}.{part}"] = _texts(text)
        else:
            errors[name] = _texts(found)
    return errors


def _texts(found):
    """Messages as a flat list of strings (lists and per-row dicts flattened)."""
    if isinstance(found, str):
        return [found]
    if isinstance(found, list):
        return [t for item in found for t in _texts(item)]
    if isinstance(found, dict):
        return [f"{_('row %(n)s', n=k + 1) if isinstance(k, int) else k}: {t}"
                for k, v in found.items() for t in _texts(v)]
    return [str(found)]

"""The active search in one line ("Naloxone · open now first · near 60540"), and the
links that change one thing about it (whom the bed is for, tomorrow's meetings).

On a phone the results come first and the form waits below them, so this line is what
tells a person which search is on screen.
"""
from flask_babel import gettext as _

from directory_service.web import labels, present, results, search_form


def person(form):
    """"for a man, age 30" / "age 15" / "" from the form's gender and age."""
    words = {"men": _("for a man"), "women": _("for a woman")}.get(form.get("gender"), "")
    if form.get("age") is not None:
        age = _("age %(age)d", age=form["age"])
        words = f"{words}, {age}" if words else age
    return words


def describe(form):
    """The words of the active search, most important first."""
    start = search_form.active_start(form)
    parts = [labels.QUICK_STARTS[start] if start else
             labels.NEEDS.get(form.get("need"), _("Everything"))]
    if form.get("care") and form.get("need") in (None, "treatment"):
        parts.append(labels.CARE[form["care"]])
    if form.get("beds") and start != "detox_now":
        parts.append(_("open beds"))
    if person(form):
        parts.append(person(form))
    if form.get("payment"):
        parts.append(labels.PAYMENT[form["payment"]])
    if form.get("day") and start != "meetings_today":
        parts.append(_("Today") if form["day"] == "today" else present.day_name(int(form["day"])))
    if form.get("time"):
        parts.append(labels.TIMES[form["time"]])
    if form.get("attendance"):
        parts.append(labels.ATTENDANCE[form["attendance"]])
    if form.get("type"):
        parts.append(labels.TYPE_FILTERS[form["type"]])
    if form.get("language"):
        parts.append(_("in %(language)s", language=present.language_name(form["language"])))
    if form.get("open_now"):
        parts.append(_("open now"))
    elif results.ordering(form) == "open":
        parts.append(_("open now first"))
    if form.get("stale"):
        parts.append(_("older bed counts included"))
    return parts


def place(origin):
    """The origin's label for a ZIP, city or county; None for a point ("your location")."""
    if origin is not None and origin.precision in ("zip", "city", "county"):
        return origin.label
    return None

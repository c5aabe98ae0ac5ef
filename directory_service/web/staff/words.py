"""Plain, translatable words for the codes and reasons the staff pages show.

The API explains itself in English sentences for programs; these pages say the same
things to a person, in the page's language, from the same data (match.reasons,
availability/hold_reasons.py), never by translating the API's text word for word.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import format_decimal, ngettext

from directory_service.availability import hold_reasons, match
from directory_service.schemas.availability import NO_PERSONAL_DATA
from directory_service.web import labels, present

FRESHNESS = {"fresh": _l("fresh"), "aging": _l("aging"), "stale": _l("stale"),
             "unknown": _l("never reported"), "never": _l("never reported")}
STATUS = {"open": _l("Open"), "full": _l("Full"), "closed": _l("Closed"),
          "unknown": _l("Unknown")}
EVENTS = {"report": _l("Report"), "confirmation": _l("Still accurate"),
          "admission": _l("Admission"), "baseline": _l("From the directory")}
HOLD_STATES = {"active": _l("Held"), "confirmed": _l("Confirmed: admitted"),
               "declined": _l("Declined by the facility"), "cancelled": _l("Cancelled"),
               "expired": _l("Expired"), "released": _l("Released")}
ROLES = {"facility": _l("Facility intake"), "coach": _l("Coach"),
         "admin": _l("Administrator")}
MOUD = {"none": _l("No medication"), "methadone": _l("Methadone"),
        "buprenorphine": _l("Buprenorphine")}
GENDERS = {"men": _l("Man"), "women": _l("Woman")}
SERVES = {"men": _l("Takes men"), "women": _l("Takes women")}
PROGRAMMES = {"veterans": (_l("Has a veterans programme"), _l("No veterans programme")),
              "pregnant_postpartum": (_l("Has a pregnancy and postpartum programme"),
                                      _l("No pregnancy and postpartum programme"))}
UNITS = {"mi": _l("mi"), "km": _l("km")}


def _levels(codes):
    """"Detox, medically monitored (3.7-WM)": each level's words with its code."""
    return ", ".join(f"{labels.label(labels.LEVELS, c)} ({c})" for c in codes)


def _medication(code):
    return str(labels.label(labels.MEDICATIONS, code)).lower()


def match_reason(item):
    """One of match.reasons' items as a sentence a coach can read aloud, in the page's
    language; an item this page does not know yet falls back to the API's sentence."""
    field, ok = item["field"], item["ok"]
    if field == "level_of_care":
        return _("Offers %(levels)s", levels=_levels(item["codes"]))
    if field == "payment":
        payment = labels.names(labels.PAYMENT, item["codes"])
        if item["uninsured"]:
            return _("Takes people without insurance: %(payment)s", payment=payment)
        return _("Accepts %(payment)s", payment=payment)
    if field == "gender":
        return str(SERVES.get(item["gender"], item["gender"]))
    if field == "age":
        if item["max"] is None:
            return _("Ages %(min)s and up, so %(age)s fits", min=item["min"], age=item["age"])
        return _("Ages %(min)s to %(max)s, so %(age)s fits", min=item["min"],
                 max=item["max"], age=item["age"])
    if field == "moud" and item["check"] == "accepts":
        return _("Takes people on %(medication)s", medication=_medication(item["medication"]))
    if field == "moud":
        return (_("Gives %(medication)s on site", medication=_medication(item["medication"]))
                if ok else _("Does not give %(medication)s on site",
                             medication=_medication(item["medication"])))
    if field in PROGRAMMES:
        return str(PROGRAMMES[field][0 if ok else 1])
    if field == "language":
        language = present.language_name(item["language"])
        return (_("Staff speak %(language)s", language=language) if ok
                else _("Does not list %(language)s", language=language))
    if field == "distance":
        unit = UNITS.get(item["unit"], item["unit"])
        return _("%(miles)s mi away (you asked within %(within)s %(unit)s)",
                 miles=present.miles(item["miles"]),
                 within=format_decimal(item["within"]), unit=unit)
    if field == "open_beds":
        freshness = FRESHNESS.get(item["freshness"], item["freshness"])
        # No number here: `open` adds levels of care up, and a person reads each level's
        # own figure in the bed lines above (bed_figures.bed_lines).
        if item["open"]:
            return _("An open bed that fits (oldest figure %(freshness)s)", freshness=freshness)
        return _("No open bed known (figure %(freshness)s)", freshness=freshness)
    if field == "intake_24_7":
        return _("Takes people around the clock: call first")
    return match.api_line(item)


def _when(at, zone_name):
    moment = present.parse_iso(at)
    return present.moment_words(moment, zone_name) if moment else at


def _bed(level, population):
    return _("%(level)s beds for %(population)s",
             level=labels.label(labels.LEVELS, level),
             population=str(labels.label(labels.POPULATIONS, population)).lower())


def hold_reason(text, zone_name=None):
    """A released hold's reason, or why a hold could not be decided, in the page's
    language (availability/hold_reasons.py reads the API's sentence); other text as is."""
    parts = hold_reasons.parse(text)
    if parts is None:
        return text
    kind = parts["kind"]
    if kind == "fewer_than_held":
        return ngettext(
            "Released: the facility reported %(num)d open bed (%(bed)s) at %(when)s, fewer "
            "than the %(held)s held. The newest holds were released first. Call intake or "
            "hold a bed elsewhere.",
            "Released: the facility reported %(num)d open beds (%(bed)s) at %(when)s, fewer "
            "than the %(held)s held. The newest holds were released first. Call intake or "
            "hold a bed elsewhere.", parts["open"], bed=_bed(parts["level"], parts["population"]),
            when=_when(parts["at"], zone_name), held=parts["held"])
    if kind == "bed_gone":
        return _("Released: the facility reported no open bed (%(bed)s, %(status)s) at "
                 "%(when)s. Record the admission as a bed report instead.",
                 bed=_bed(parts["level"], parts["population"]),
                 status=str(STATUS.get(parts["status"], parts["status"])).lower(),
                 when=_when(parts["at"], zone_name))
    if kind == "expired":
        return _("This hold expired at %(when)s.", when=_when(parts["at"], zone_name))
    if kind == "already":
        state = HOLD_STATES.get(parts["state"], parts["state"])
        said = _("This hold is already: %(state)s.", state=state)
        return f"{said} {hold_reason(parts['reason'], zone_name)}" if parts.get("reason") else said
    return _("This hold cannot be confirmed. %(why)s",
             why=hold_reason(parts["reason"], zone_name))


REPORT_FIELDS = {"available": _l("Open beds"), "capacity": _l("Capacity"),
                 "status": _l("Status"), "note": _l("Note"),
                 "level_of_care": _l("Level of care"), "population": _l("Who the beds are for"),
                 "reported_at": _l("Time of the report")}
# The report schema's messages (schemas/availability.py, marshmallow's own for ranges and
# lengths), each read into a sentence for intake staff; {value} is what they typed.
_REFUSALS = (
    (re.compile(r"^must be a whole number \(got (?P<value>.*)\)"),
     _l("Enter a whole number (you entered %(value)s).")),
    (re.compile(r"^Must be greater than or equal to (?P<low>\d+) and less than or equal to "
                r"(?P<high>\d+)\.$"), _l("Enter a number from %(low)s to %(high)s.")),
    (re.compile(r"^must be one of the published .*\(got (?P<value>.*)\)$"),
     _l("%(value)s is not one of the published choices.")),
    (re.compile(r"^available must not exceed capacity$"),
     _l("There cannot be more open beds than the capacity.")),
    (re.compile(r"^an unknown status cannot carry an available count$"),
     _l("With status Unknown, leave open beds empty.")),
    (re.compile(r"^a (?P<status>full|closed) row cannot have open beds$"),
     _l("A row marked %(status)s cannot have open beds: set the open beds to 0 or change "
        "the status.")),
    (re.compile(r"^an open row needs available > 0 \(or status full\)$"),
     _l("A row marked Open needs at least one open bed; if none is free, mark it Full.")),
    (re.compile(r"^give available, or status unknown$"),
     _l("Enter the open beds, or set the status to Unknown.")),
    (re.compile("^" + re.escape(NO_PERSONAL_DATA) + "$"),
     _l("The note looks like it holds personal data (a name, date of birth, phone number or "
        "e-mail). Say only what intake needs, e.g. \"arriving 22:00\".")),
    (re.compile(r"^Longer than maximum length (?P<high>\d+)\.$"),
     _l("Too long: at most %(high)s characters.")),
    (re.compile(r"^(?P<value>\S+) is not offered by \S+ \(offers (?P<offered>.*)\)$"),
     _l("The directory does not list %(value)s for this facility (it lists %(offered)s). "
        "Ask an administrator to correct the listing.")),
    (re.compile(r"^Unknown field\.$"), _l("This form sent a field the report does not take.")),
)


def _refusal(message):
    for pattern, words in _REFUSALS:
        found = pattern.match(message)
        if found:
            parts = found.groupdict()
            if "status" in parts:
                parts["status"] = STATUS.get(parts["status"], parts["status"])
            return str(words) % parts if parts else str(words)
    return message  # a message this page does not know yet: the schema's own words


def report_refusal(messages, level, population):
    """Why a bed row was not saved: the row and each field in the staff's words.

    `messages` is marshmallow's {field: [message]} for one row (or the API's per-row
    errors); messages this page does not know are kept as the schema wrote them.
    """
    parts = []
    for name, value in messages.items():
        texts = value if isinstance(value, list) else [value]
        field = REPORT_FIELDS.get(name, name)
        parts.append(_("%(field)s: %(problem)s", field=field,
                       problem=" ".join(_refusal(str(t)) for t in texts)))
    row = _("%(level)s · %(population)s", level=labels.label(labels.LEVELS, level),
            population=labels.label(labels.POPULATIONS, population))
    return _("Not saved (%(row)s). %(why)s", row=row, why=" ".join(parts))

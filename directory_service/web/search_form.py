"""The public page's search form: plain words in, validated `SearchArgs` out.

The form speaks the searcher's language ("No insurance", "Meetings today") and the API
speaks codes. This module validates the form with marshmallow, turns it into the API's
arguments, validates those with the very same `SearchArgs` schema, and maps any error
back to the form field a person can fix, in plain words.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from directory_service import geo
from directory_service.schemas.codes import Code
from directory_service.schemas.search import MAX_NEAR, SearchArgs

RADII_MI = (5, 10, 25, 50, 100)
NEEDS = ("treatment", "detox", "meetings", "naloxone", "takeback")
CARE = ("detox", "residential", "outpatient", "OTP")
PAYMENTS = ("uninsured", "medicaid", "medicare", "private", "military", "va")
TIMES = ("12:00", "17:00", "19:00")
GENDERS = ("men", "women")
# Meeting Guide types the page's "Kind of meeting" offers (web/labels.TYPE_FILTERS words).
MEETING_TYPES = ("O", "W", "M", "S", "X", "BE", "Y", "LGBTQ")
# Languages a person can ask for; their names come from the page's locale (babel).
LANGUAGES = ("es", "pl", "en", "ar", "zh", "ko", "ru", "vi", "fr")
# "Meetings today" asks the store for meetings that started at most this long ago, so
# the evening's list is not crowded out by the morning's; the page drops the ended ones.
TODAY_LOOKBACK_MINUTES = 180
# Quick starts set the form as a person would have set it by hand. A quick start first
# clears what belongs to another need (the open-beds box, a care type, a meeting day),
# and keeps the person's place, payment, gender, age, language and "older bed counts".
QUICK_START_CLEARS = ("need", "care", "beds", "day", "open_now")
QUICK_STARTS = {
    "detox_now": {"need": "detox", "beds": True},
    "treatment": {"need": "treatment"},
    "meetings_today": {"need": "meetings", "day": "today"},
    "naloxone": {"need": "naloxone"},
    "takeback": {"need": "takeback"},
}
NEED_KINDS = {"treatment": "treatment_facility", "detox": "treatment_facility",
              "meetings": "meeting", "naloxone": "naloxone_site", "takeback": "takeback_site"}
# "Online" includes hybrid meetings, and so does "in person".
ATTENDANCE = {"in_person": "in_person,hybrid", "online": "online,hybrid"}
# Which form field a SearchArgs error belongs to.
FIELD_OF_ARG = {"lat": "near", "lon": "near", "near": "near", "radius": "radius",
                "kind": "need", "level_of_care": "care", "payment": "payment", "day": "day",
                "starts_after": "time", "attendance": "attendance", "types": "type", "page": "page",
                "gender": "gender", "age": "age", "language": "language"}
MESSAGES = {
    "near": _l("Enter a 5-digit ZIP code (like 60540) or a city and state "
               "(like Naperville, IL), or use your location."),
    "not_found": _l("We could not find that place. Try a 5-digit ZIP code or a city "
                    "and state, like Naperville, IL."),
    "choice": _l("Please choose one of the options in the list."),
    "age": _l("Enter an age in years, like 30, or leave it empty."),
    "unknown": _l("This web address has parts we do not understand. "
                  "Please search again with the form."),
}


def _choice(values):
    return Code(values)


class PageLang(fields.String):
    """`lang` of a page's URL: "es" or "en", or a tag naming one ("es-MX"), loaded as it."""

    def __init__(self, **kwargs):
        # A language tag is rarely longer than 35 characters (RFC 5646 §4.4.1).
        kwargs.setdefault("validate", validate.Length(max=35))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        from directory_service.web import page_lang

        code = page_lang(super()._deserialize(value, attr, data, **kwargs))
        if code is None:
            raise ValidationError("Must be one of: en, es.")
        return code


class SearchForm(Schema):
    """The form's own fields; anything else in the URL is an error, not ignored."""

    class Meta:
        unknown = RAISE

    near = fields.String(validate=validate.Length(min=2, max=MAX_NEAR))
    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    radius = fields.Integer(load_default=25, validate=validate.OneOf(RADII_MI))
    start = _choice(tuple(QUICK_STARTS))
    need = _choice(NEEDS)
    care = _choice(CARE)
    payment = _choice(PAYMENTS)
    day = _choice(("today",) + tuple(str(d) for d in range(7)))
    time = _choice(TIMES)
    attendance = _choice(tuple(ATTENDANCE))
    type = _choice(MEETING_TYPES)
    gender = _choice(GENDERS)
    age = fields.Integer(validate=validate.Range(0, 120))
    language = _choice(LANGUAGES)
    open_now = fields.Boolean(load_default=False)
    beds = fields.Boolean(load_default=False)
    # Bed counts older than STALE_HOURS are left out of "open beds" unless this is set.
    stale = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1000))
    lang = PageLang()
    # The one-page printable list of these results.
    print = fields.Boolean(load_default=False)


def single_values(args):
    """Query args (a MultiDict or a dict) → (dict of one value each, names given twice).

    Every field of the page takes one value, so a repeated one is refused rather than
    silently reduced to its first value.
    """
    if not hasattr(args, "getlist"):
        return dict(args), []
    repeated = sorted(k for k in args if len([v for v in args.getlist(k) if v.strip()]) > 1)
    return args.to_dict(), repeated


def read_form(raw):
    """Query args (a MultiDict or a dict of strings) → (form values, errors by form field).

    Empty fields are simply not given: a select left at "Any" sends "". A field given
    twice with values is an error on that field.
    """
    raw, repeated = single_values(raw)
    given = {k: v for k, v in raw.items() if v.strip() != ""}
    if repeated:
        return given, _form_errors(repeated)
    try:
        form = SearchForm().load(given)
    except ValidationError as exc:
        return given, _form_errors(exc.messages)
    start = form.pop("start", None)
    if start:
        for name in QUICK_START_CLEARS:
            form.pop(name, None)
        form.update(open_now=False, beds=False)
        form.update(QUICK_STARTS[start])
    if "lat" in form and "lon" in form:
        # Only a ~1 km point is used, echoed into the page or logged, even if a client
        # sent a precise one.
        form["lat"], form["lon"] = geo.coarse(form["lat"], form["lon"])
    return form, {}


def _form_errors(names):
    """Plain-words messages for the form fields behind these parameter names."""
    known = set(SearchForm().fields)
    errors = {}
    for name in names:
        if name in ("near", "lat", "lon"):
            errors["near"] = MESSAGES["near"]
        elif name == "age":
            errors["age"] = MESSAGES["age"]
        elif name in known:
            errors[name] = MESSAGES["choice"]
        else:
            errors["form"] = MESSAGES["unknown"]
    return errors


def today(zone_name, now=None):
    """Today's weekday in `zone_name` (the searcher's), 0 = Sunday (as meetings count days)."""
    now = now or datetime.now(ZoneInfo(zone_name))
    return now.astimezone(ZoneInfo(zone_name)).isoweekday() % 7


def active_start(form):
    """The quick start this form amounts to (to mark it as the search on screen), or None."""
    need = form.get("need")
    if need == "detox" and form.get("beds"):
        return "detox_now"
    if need == "meetings" and form.get("day") == "today":
        return "meetings_today"
    if need in ("treatment", "naloxone", "takeback") and not form.get("beds"):
        return need
    return None


def search_args(form, zone_name, per_page, now=None):
    """Validated form → (SearchArgs as loaded, errors by form field).

    "Today" is today in `zone_name`, the searcher's own zone; for today's meetings the
    store is asked only for those that started within TODAY_LOOKBACK_MINUTES.
    """
    args = {"radius": form["radius"], "unit": "mi", "page": form["page"], "per_page": per_page}
    # A typed place wins over an earlier "use my location", whose point the form keeps.
    if "near" in form:
        args["near"] = form["near"]
    elif "lat" in form and "lon" in form:
        args["lat"], args["lon"] = form["lat"], form["lon"]
    else:
        return None, {"near": MESSAGES["near"]}
    need = form.get("need")
    if need:
        args["kind"] = NEED_KINDS[need]
    if need == "detox":
        args["level_of_care"] = "detox"
    elif form.get("care") and need in (None, "treatment"):
        args["kind"] = "treatment_facility"
        args["level_of_care"] = form["care"]
    elif form.get("type") and need is None:
        # A kind of meeting asks for meetings, as a type of care asks for treatment.
        args["kind"] = NEED_KINDS["meetings"]
    if form.get("type"):
        args["types"] = form["type"]
    if form.get("payment"):
        args["payment"] = form["payment"]
    if form.get("day"):
        args["day"] = str(today(zone_name, now) if form["day"] == "today" else form["day"])
    if form.get("time"):
        args["starts_after"] = form["time"]
    if form.get("day") == "today":
        local = (now or datetime.now(ZoneInfo(zone_name))).astimezone(ZoneInfo(zone_name))
        earliest = local - timedelta(minutes=TODAY_LOOKBACK_MINUTES)
        if earliest.date() == local.date():
            earliest = f"{earliest.hour:02d}:{earliest.minute:02d}"
            args["starts_after"] = max(earliest, args.get("starts_after", "00:00"))
    if form.get("gender"):
        args["gender"] = form["gender"]
    if form.get("age") is not None:
        args["age"] = form["age"]
    if form.get("language"):
        args["language"] = form["language"]
    if form.get("attendance"):
        args["attendance"] = ATTENDANCE[form["attendance"]]
    args["open_now"] = form["open_now"]
    args["has_open_beds"] = form["beds"]
    try:
        return SearchArgs().load(args), {}
    except ValidationError as exc:
        return None, {FIELD_OF_ARG.get(name, "form"): MESSAGES["near"] if name in (
            "near", "lat", "lon") else MESSAGES["choice"] for name in exc.messages}

"""Rules every meeting importer shares: attendance and activity, precision, languages, region.

Attendance follows the Meeting Guide spec and TSML: a declared `attendance_option` wins
when it can be true; otherwise a meeting with a conference link or dial-in is online, or
hybrid when it also has a street address that is neither approximate nor temporarily closed
(`TC`). An online meeting without a link or dial-in is not active ("must have either a
conference_url and/or conference_phone to be considered active"); `TC` without them, and
`inactive`, are not active either.

An online-only meeting has no place to go to. Its point only says which region it serves
(`location_precision` "region"): indexer/formats/online_region.py.
"""
from directory_service import gazetteer, vocab
from indexer.formats import common
from indexer.formats.common import Warned
from indexer.formats.online_region import FeedArea, Region  # noqa: F401 (one place to import)

OPTIONS = {"in_person": "in_person", "in-person": "in_person", "in person": "in_person",
           "inperson": "in_person", "hybrid": "hybrid", "online": "online",
           "virtual": "online", "inactive": "inactive"}


def attendance(option, has_link, has_street, approximate=False, closed=False):
    """(attendance, active, warnings) of one meeting; see the module docstring."""
    warnings = []
    declared = OPTIONS.get(str(option or "").strip().lower())
    if option not in (None, "") and declared is None:
        warnings.append(Warned(f"attendance_option:{option}", (
            f"attendance_option {option!r} is not in_person, hybrid, online or inactive: "
            "attendance derived from the conference details and address")))
    physical = has_street and not approximate and not closed
    derived = ("hybrid" if physical else "online") if has_link else "in_person"
    if declared == "inactive":
        return derived, False, warnings
    if declared in ("online", "hybrid") and not has_link:
        outcome = ("not active (the spec needs one of them)" if declared == "online" or closed
                   else "loaded as in person")
        warnings.append(Warned(f"attendance:{declared}-without-link", (
            f"attendance_option {declared} without conference_url or conference_phone: "
            f"{outcome}")))
        if declared == "online":
            return "online", False, warnings
        return "in_person", not closed, warnings
    if declared == "online":
        return "online", True, warnings
    if declared == "hybrid":
        return ("online" if closed else "hybrid"), True, warnings
    if declared == "in_person":
        return "in_person", not closed, warnings
    return derived, not (closed and not has_link), warnings


def precision(attendance_value, approximate):
    """The precision a reader knows before placing: region for online-only meetings."""
    if attendance_value == "online":
        return "region"
    return "city" if approximate else None


def languages(types, extra=()):
    """ISO 639-1 codes from language types (and `extra` codes), English when none is named."""
    found = [vocab.MEETING_TYPE_LANGUAGES[t] for t in types if t in vocab.MEETING_TYPE_LANGUAGES]
    found += [c for c in extra if c]
    return list(dict.fromkeys(found)) or ["en"]


def region_abbr(value):
    """'IL', 'Illinois', 'Alberta' → 'IL', 'IL', 'AB'; anything else → None."""
    found = gazetteer.region(common.text(value))
    return found[0] if found else None


def yes(value):
    return str(value or "").strip().lower() in ("yes", "y", "true", "1")


def notes(*parts):
    """Non-empty parts, each once, one per line; None when there are none."""
    kept = list(dict.fromkeys(p for p in (common.text(x) for x in parts) if p))
    return "\n".join(kept) or None


def gather(items, own, area):
    """First pass over one row's items: its own fellowship; in-person points and every
    row's state for the feed's region (online_region.FeedArea)."""
    for item in items:
        if isinstance(item, dict):
            item["fellowship"] = own
            area.add(item)


def finish(mapped, evidence, area, options):
    """Second pass: (row number, item) with the feed's fellowship where a row named none
    (or the operator's, which wins), and online meetings pinned to the feed's region,
    each pin made from a guess followed by its warning."""
    feed_fellowship, warned = evidence.decide(options.fellowship)
    if warned and any(isinstance(i, dict) for _n, items in mapped for i in items):
        yield 0, warned
    region = area.region(options.timezone, options.region)
    for number, items in mapped:
        for item in items:
            if isinstance(item, dict):
                if options.fellowship or not item["fellowship"]:
                    item["fellowship"] = feed_fellowship
                if item["attendance"] == "online":
                    region.pin(item)
            yield number, item
            for guess in region.take_warnings():
                yield number, guess

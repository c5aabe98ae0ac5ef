"""What a person needs to choose between places, in plain words on a card (issue 21).

Payment decides whether a person without insurance can go at all; a meeting's fellowship
and types (open or closed, women, wheelchair access) decide whether they may walk in; a
take-back site's receptacle decides whether they can just drop pills in a box. Pure
functions of a record, in the page's language, shared by cards, detail and print pages.
"""
from datetime import date

from flask_babel import gettext as _

from directory_service import ranking
from directory_service.web import labels, present

# Payment codes that make care free or cheaper for a person without insurance: the same
# line ranking.uninsured_tier draws, so the words and the order always agree.
REDUCED_COST = frozenset(code for code, value in ranking.UNINSURED_PAYMENT_VALUE.items()
                         if value >= ranking.REDUCED_COST_MIN)


def payment_words(record, most=None):
    """["Free", "Sliding scale fee", "Medicaid", …]: what a facility takes, reduced-cost first.

    A facility whose only way in without insurance is paying in full says so in words
    ("Without insurance: full price only"), so "No insurance" never hides that the care
    costs full price; that warning is kept even when a card shows only the `most` first.
    """
    accepted = set(record.get("payment") or ())
    words = [str(labels.label(labels.PAYMENT, code))
             for code in labels.PAYMENT_ORDER if code in accepted and code != "self_pay"]
    if most is not None and len(words) > most:
        words = words[:most] + [_("more")]
    if "self_pay" in accepted:
        reduced = accepted & REDUCED_COST
        words.append(str(labels.PAYMENT["self_pay"] if reduced else labels.SELF_PAY_ONLY))
    return words


def fellowship_name(record):
    """"Narcotics Anonymous (NA)": a meeting's fellowship, or "" when it has none."""
    code = record.get("fellowship")
    return str(labels.label(labels.FELLOWSHIPS, code)) if code else ""


def meeting_types(record):
    """The meeting's types a person chooses by, in plain words, in a fixed order."""
    codes = set(record.get("types") or ())
    return [str(words) for code, words in labels.MEETING_TYPES.items() if code in codes]


def takeback_facts(record, now=None):
    """["Drop-off box (kiosk)", "Takes: Pills, Patches"]: how and what a site takes.

    A site that takes medicines only on take-back days names the next one (from `now`,
    on the site's own calendar), since that date is all a person can plan by.
    """
    facts = []
    if record.get("receptacle"):
        facts.append(str(labels.label(labels.RECEPTACLES, record["receptacle"])))
    upcoming = next_event(record, now) if now is not None else None
    if upcoming:
        facts.append(_("Next: %(date)s", date=present.long_date(upcoming, None)))
    if record.get("accepts"):
        facts.append(_("Takes: %(items)s", items=labels.names(labels.ACCEPTS, record["accepts"])))
    return facts


def is_online_only(record):
    """An online-only meeting: there is no distance to walk and no address to go to."""
    return record.get("kind") == "meeting" and record.get("attendance") == "online"


def next_event(record, now):
    """The first of a take-back site's event dates on or after today (its zone), or None."""
    today = present.local_now(record, now).date()
    dates = sorted(date.fromisoformat(str(d)) for d in record.get("event_dates") or ())
    return next((d for d in dates if d >= today), None)

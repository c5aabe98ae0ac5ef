"""Weekly hours written in words, as public lists keep them, read into intervals only when
every part of the text is understood.

"Monday-Friday, 8:00am-4:00pm.", "8:00am-4:00pm, Monday-Friday, excluding holidays.",
"Monday-Saturday, 7:00am-10:00pm; Sunday, 10:00am-6:00pm.", "Wednesdays 1:00pm-6:30pm and
Saturdays 7:30am-1:00pm.", "Monday-Friday, 9:00am-12:00pm and 1:00pm-4:00pm.": each names
days (indexer/formats/weekdays.py) and times with am/pm, noon or midnight (common.hhmm), so
"open now" can answer for them. Anything not understood gives None and the text stays in
the description only, as before: a time without am/pm ("9-5"), days left out ("Open
9am-5pm"), a day excluded ("closed Sundays"), words that are not days. Holidays are not
modelled: "excluding holidays" is dropped from the reading (the text keeps it), and "or by
appointment" too; "by appointment only" with no times is not a schedule.
"""
import re

from indexer.formats import common, hours, weekdays

CLOCK = r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|noon|midnight)"
TIME_RANGE = re.compile(rf"({CLOCK})\s*(?:-|to|until|till)\s*({CLOCK})")
# Exceptions that only concern holidays, and offers beside the schedule: not a reading.
ASIDES = re.compile(r"\(?\b(?:excluding|except|closed(?:\s+on)?)\s+(?:all\s+|legal\s+|public\s+|"
                    r"major\s+|federal\s+|state\s+)?holidays?\b[^.;]*\)?|"
                    r"\bor\s+by\s+appointment\b|\band\s+by\s+appointment\b")
# Words around the days that say nothing about them; commas stay, to separate days.
FILLER = re.compile(r"\b(?:available|open|hours?|from|only|and)\b|[:()]")
COMMAS = re.compile(r"\s*(?:,\s*)+")
DAY_DOT = re.compile(r"\b(mon|tues?|wed|thur?s?|fri|sat|sun)\.")
SENTENCE = re.compile(r"[.;]\s+|[.;]$|\n")


def hours_from_text(text):
    """A record's `hours` from free text: always open, weekly intervals, or None."""
    if hours.is_24_7(text):
        return {"open_24_7": True, "intervals": []}
    found = weekly(text)
    if not found:
        return None
    if hours.covers_week(found):
        return {"open_24_7": True, "intervals": []}
    return {"open_24_7": False, "intervals": found}


def weekly(text):
    """Intervals (merged, 0 = Sunday) that `text` describes, or None unless all of it is
    understood. Equal open and close times, and none, are not read."""
    text = _plain(text)
    if not text or "appointment" in text or hours.EXCEPT_DAY.search(text):
        return None
    found = []
    for sentence in (s.strip() for s in SENTENCE.split(text)):
        if not sentence:
            continue
        read = _sentence(sentence)
        if read is None:
            return None
        found += read
    return hours.merged(found) if found else None


def _plain(text):
    # One space between words: a cell padded with spaces is read in linear time.
    text = " ".join((text or "").lower().replace("\u2013", "-").replace("\u2014", "-").split())
    text = re.sub(r"\b([ap])\.\s?m\.", r"\1m", text)  # "8 a.m." → "8 am"
    text = DAY_DOT.sub(r"\1", text)  # "Mon.-Fri." → "Mon-Fri": not the end of a sentence
    return ASIDES.sub("", text).strip()


def _sentence(sentence):
    """Intervals of one sentence: day texts and time ranges, each range getting the days
    written just before it, else just after it, else the ones of the range before."""
    times = [(m.group(1), m.group(2)) for m in TIME_RANGE.finditer(sentence)]
    texts = [_days_text(t) for t in TIME_RANGE.split(sentence)[::3]]
    if not times:
        return None
    used, out, days = set(), [], None
    for i, (opens, closes) in enumerate(times):
        if texts[i] and i not in used:
            days, source = weekdays.days_named(texts[i]), i
        elif texts[i + 1]:
            days, source = weekdays.days_named(texts[i + 1]), i + 1
        else:
            source = None
        if days is None:
            return None
        if source is not None:
            used.add(source)
        start, end = common.hhmm(opens), hours.close_time(closes)
        if start is None or end is None or start == end:
            return None
        for day in days:
            out += hours.day_intervals(day, start, end)
    if any(text and i not in used for i, text in enumerate(texts)):
        return None  # words that are no part of a reading: not understood
    return out


def _days_text(text):
    """The words of `text` that can name days: fillers out, commas kept between them."""
    return COMMAS.sub(", ", FILLER.sub(" ", text)).strip(" ,")

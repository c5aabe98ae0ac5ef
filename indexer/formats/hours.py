"""Opening hours as feeds write them → our weekly intervals or `open_24_7`.

Free-text hours cells say "always open" in many ways ("24/7", "Open 24 hours", "24 hrs, 7
days", "24 hours a day, 7 days a week", "Open 24/7/365"); `is_24_7` reads them, and
refuses the ones limited to some days ("24 hours, Monday-Friday"). Days and times in words
("Monday-Friday, 8:00am-4:00pm.") are read by hours_text.py when the whole text is
understood; the words stay in the description either way.

Our intervals never cross midnight (records.Interval wants close > open, 24:00 allowed):
`day_intervals` splits "Fri 22:00-02:00" into Fri 22:00-24:00 and Sat 00:00-02:00, and the
stores treat the two as one stretch. A close of 23:59 is read as 24:00, the convention
feeds use for "until midnight".
"""
import re

from indexer.formats import common

# "24/7", "24x7", "24-7", "24/7/365"; "always open", "around the clock", "never closes".
ALWAYS = re.compile(r"\b24\s*[/x×-]\s*7\b|\balways\s+open\b|\bopen\s+always\b|"
                    r"\bnever\s+clos|\b(around|round)\s+the\s+clock\b|\b24\s*/\s*365\b")
# "24 hours", "24 hrs", "24hr", "twenty-four hours", "00:00-24:00", "12am-12am", "all day".
ALL_DAY = re.compile(r"\b24\s*-?\s*h(ou)?rs?\b|\b24\s*-?\s*hour\b|\btwenty[\s-]*four\s+hours?\b|"
                     r"\b0?0[:.]?00\s*(-|to|–)\s*(24[:.]?00|23[:.]?59|midnight)\b|"
                     r"\b12\s*am\s*(-|to|–)\s*(12\s*am|11[:.]59\s*pm|midnight)\b|\ball\s+day\b")
# Every day of the week: "7 days", "daily", "every day", "365", "Mon-Sun", "Sun-Sat", "all week".
EVERY_DAY = re.compile(r"\b(7|seven)\s*days?\b|\bdaily\b|\bevery\s*day\b|\beach\s+day\b|"
                       r"\b365\b|\ball\s+week\b|\bmon(day)?\s*(-|–|to|through|thru)\s*sun(day)?\b|"
                       r"\bsun(day)?\s*(-|–|to|through|thru)\s*sat(urday)?\b|\bweekly\b")
DAY_NAME = re.compile(r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|s|\.)?\b|"
                      r"\bweekdays?\b|\bweekends?\b")
EXCEPT_DAY = re.compile(r"\b(except|excluding|closed)\b[^.;]*\b(mon|tue|wed|thu|fri|sat|sun)"
                        r"(day)?s?\b")


def is_24_7(text):
    """Whether free-text hours mean open all day, every day."""
    if not text:
        return False
    text = str(text).lower().replace("\u2013", "-").replace("\u2014", "-")
    if EXCEPT_DAY.search(text):
        return False
    if ALWAYS.search(text):
        return True
    if not ALL_DAY.search(text):
        return False
    return bool(EVERY_DAY.search(text)) or not DAY_NAME.search(text)


def close_time(value):
    """A closing time as HH:MM; 23:59 (and 23:59:59) mean midnight, so 24:00."""
    hhmm = common.hhmm(value)
    if hhmm == "23:59":
        return "24:00"
    if hhmm == "00:00":
        return "24:00"
    return hhmm


def day_intervals(day, opens, closes):
    """Intervals for one opening on `day` (0 = Sunday); one past midnight is split in two.

    `opens`/`closes` are HH:MM. Equal times mean the whole day (a feed's 00:00-00:00).
    """
    if opens is None or closes is None:
        return []
    if closes == "24:00" and opens in ("00:00", "24:00"):
        return [{"day": day, "open": "00:00", "close": "24:00"}]
    if closes > opens:
        return [{"day": day, "open": opens, "close": closes}]
    if closes == opens:
        return [{"day": day, "open": "00:00", "close": "24:00"}]
    out = [{"day": day, "open": opens, "close": "24:00"}]
    if closes != "00:00":
        out.append({"day": (day + 1) % 7, "open": "00:00", "close": closes})
    return out


def covers_week(intervals):
    """Whether intervals leave no minute of the week closed (then the place is 24/7)."""
    days = {}
    for iv in intervals:
        days.setdefault(iv["day"], []).append((iv["open"], iv["close"]))
    for day in range(7):
        reach = "00:00"
        for opens, closes in sorted(days.get(day, ())):
            if opens > reach:
                return False
            reach = max(reach, closes)
        if reach != "24:00":
            return False
    return True


def merged(intervals):
    """Intervals without duplicates, in day and time order (overlaps joined)."""
    out = []
    for iv in sorted({(i["day"], i["open"], i["close"]) for i in intervals}):
        day, opens, closes = iv
        if out and out[-1]["day"] == day and opens <= out[-1]["close"]:
            out[-1]["close"] = max(out[-1]["close"], closes)
        else:
            out.append({"day": day, "open": opens, "close": closes})
    return out

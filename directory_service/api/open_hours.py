"""Open now, and the moment that changes, for one record: what a phone list shows.

`open_now` alone goes wrong in a cached answer; with `changes_at` (the local moment the
place opens or closes next) an app can say "opens 9:00" and knows when its copy expires,
and the search ETag expires with it. The rules are the search filter's (`open_now`):
opening hours are [open, close) in the record's own zone, to the minute; a meeting is "open"
while in progress, an hour when it names no end (search/columns.py).
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from directory_service.search.columns import WEEK_MINUTES, hhmm_minutes, week_intervals


def meeting_span(record):
    """(start, length) of a meeting in minutes, start from local Sunday 00:00; None
    without a time. No end time means an hour; an end equal to the start, no time at all
    (the search filter's rule, search/columns.py)."""
    if not record.get("time") or record.get("day") is None:
        return None
    begin = hhmm_minutes(record["time"])
    end_time = record.get("end_time")
    length = ((hhmm_minutes(end_time) if end_time else begin + 60) - begin) % 1440
    return record["day"] * 1440 + begin, length


def _week_spans(record):
    """The record's open stretches as (start, end) minutes from local Sunday 00:00,
    or None when its hours or time are unknown."""
    if record["kind"] == "meeting":
        span = meeting_span(record)
        if span is None:
            return None
        start, length = span
        return [(start, start + length)] if length else []
    hours = record.get("hours") or {}
    if not hours.get("open_24_7") and not hours.get("intervals"):
        return None
    return week_intervals(hours)


def _merged(spans):
    """Spans copied one week either side and merged, so stretches that run over Saturday
    midnight (or meet at it) are one stretch."""
    copies = sorted((s + shift, e + shift) for s, e in spans
                    for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES) if e > s)
    out = []
    for start, end in copies:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def open_state(record, now):
    """(open_now, changes_at): True/False/None (unknown hours), and an aware local
    datetime when that flips next (None when it never does: 24/7, or unknown)."""
    spans = _week_spans(record)
    if spans is None:
        return None, None
    zone = ZoneInfo(record.get("timezone") or "UTC")
    local = now.astimezone(zone)
    minute = (local.isoweekday() % 7) * 1440 + local.hour * 60 + local.minute
    merged = _merged(spans)
    if not merged:
        return False, None
    if merged[0][1] - merged[0][0] >= 2 * WEEK_MINUTES:
        return True, None  # open around the clock
    for start, end in merged:
        if start <= minute < end:
            return True, _at(local, end)
        if start > minute:
            return False, _at(local, start)
    return False, None  # unreachable: the copy a week ahead always starts later


def _at(local, week_minute):
    """The wall-clock moment `week_minute` of the local week containing `local`."""
    sunday = (local - timedelta(days=local.isoweekday() % 7)).date()
    wall = datetime(sunday.year, sunday.month, sunday.day) + timedelta(minutes=week_minute)
    return wall.replace(tzinfo=local.tzinfo)

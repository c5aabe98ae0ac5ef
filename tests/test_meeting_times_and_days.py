"""Meeting times and days as schedules and lists are typed (indexer/formats/common.hhmm,
indexer/formats/weekdays.py): rows that named them so were rejected as having no time or
day."""
import pytest

from indexer.formats.common import hhmm
from indexer.formats.meeting_guide import parse_days


@pytest.mark.parametrize("typed, clock", [
    ("Noon", "12:00"), ("12 noon", "12:00"), ("12:00 Noon", "12:00"), ("Midnight", "00:00"),
    ("7.30pm", "19:30"), ("7.30 p.m.", "19:30"), ("6:30a", "06:30"), ("7p", "19:00"),
    ("19.30", "19:30"), ("19h30", "19:30"), ("1930", "19:30"), ("0730", "07:30"),
    ("1930 hrs", "19:30"), ("7:00 PM CT", "19:00"), ("19:00 EST", "19:00"),
    ("7:00 PM Central", "19:00"), ("7 pm local time", "19:00"),
    # A time cell as Google Sheets and Excel export it.
    ("7:00:00 PM", "19:00"), ("12:30:00 AM", "00:30"), ("6:45:00 a.m.", "06:45"),
    # What was read before still is.
    ("19:00", "19:00"), ("7:00 PM", "19:00"), ("19:00:00", "19:00"), ("12:00 AM", "00:00"),
])
def test_meeting_times_as_schedules_are_typed(typed, clock):
    assert hhmm(typed) == clock


@pytest.mark.parametrize("typed", ["730", "7", "2460", "25:00", "TBD", "by appointment",
                                   "7:00 AMish", "19 h 30 min", "7:00:60 PM", "7:60:00 PM"])
def test_what_is_no_clock_time_is_still_none(typed):
    assert hhmm(typed) is None


@pytest.mark.parametrize("typed, days", [
    ("Mon/Wed/Fri", [1, 3, 5]), ("Monday, Wednesday & Friday", [1, 3, 5]),
    ("Monday - Friday", [1, 2, 3, 4, 5]), ("Mon-Fri", [1, 2, 3, 4, 5]), ("M-F", [1, 2, 3, 4, 5]),
    ("Fri-Mon", [5, 6, 0, 1]), ("Weekdays", [1, 2, 3, 4, 5]), ("Weekends", [0, 6]),
    ("Daily", list(range(7))), ("Every Day", list(range(7))), ("Mondays", [1]),
    ("Tuesdays and Thursdays", [2, 4]), ("Tu/Th", [2, 4]), ("1, 3", [1, 3]),
    # Spanish and French lists (Puerto Rico, Quebec, Spanish-speaking groups).
    ("Lunes", [1]), ("miércoles", [3]), ("Sábado", [6]), ("Lunes a Viernes", [1, 2, 3, 4, 5]),
    ("samedi", [6]), ("lundi au vendredi", [1, 2, 3, 4, 5]), ("Martes y Jueves", [2, 4]),
    # What was read before still is.
    (1, [1]), ("1", [1]), ("Monday", [1]), ("Mon.", [1]), (["Mon", "Wed"], [1, 3]),
])
def test_days_as_meeting_lists_write_them(typed, days):
    assert parse_days(typed) == (days, None)


@pytest.mark.parametrize("typed", ["Someday", "by appointment", "Mon-Someday", "Monday or so"])
def test_text_that_names_no_day_is_still_refused_naming_it(typed):
    days, problem = parse_days(typed)
    assert days is None and repr(typed) in problem

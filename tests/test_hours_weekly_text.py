"""Weekly hours written in words (indexer/formats/hours_text.py): read into intervals only
when all of the text is understood, so "open now" answers for lists that write "Monday-
Friday, 8:00am-4:00pm."; anything else stays words in the description, never a guess."""
import os
import shutil

import pytest

from indexer.formats import hsds_records
from indexer.formats.hours_text import hours_from_text, weekly
from tests.test_import_formats import FIXTURES
from tests.test_workbooks import _records

WEEKDAYS = (1, 2, 3, 4, 5)


def _days(intervals, opens, closes):
    return tuple(i["day"] for i in intervals if (i["open"], i["close"]) == (opens, closes))


@pytest.mark.parametrize("text, opens, closes, days", [
    ("Monday-Friday, 8:00am-4:00pm.", "08:00", "16:00", WEEKDAYS),
    ("8:00am-4:00pm, Monday-Friday, excluding holidays.", "08:00", "16:00", WEEKDAYS),
    ("8:00am-3:00pm, Monday-Friday, or by appointment.", "08:00", "15:00", WEEKDAYS),
    ("8:30am-2:00pm, Monday, Wednesday, and Friday, or by appointment.", "08:30", "14:00",
     (1, 3, 5)),
    ("Monday, Wednesday, Friday, 8:00am-4:00pm.", "08:00", "16:00", (1, 3, 5)),
    ("Daily, 8:00am-midnight.", "08:00", "24:00", (0, 1, 2, 3, 4, 5, 6)),
    ("8:00am-12:00am, daily.", "08:00", "24:00", (0, 1, 2, 3, 4, 5, 6)),
    ("Available daily, 7:30am-7:00pm.", "07:30", "19:00", (0, 1, 2, 3, 4, 5, 6)),
    ("Mon-Fri 8 a.m. to 4 p.m.", "08:00", "16:00", WEEKDAYS),
    ("Monday through Friday from 9 am to 5 pm", "09:00", "17:00", WEEKDAYS),
    ("M-F 9am-5pm (except holidays)", "09:00", "17:00", WEEKDAYS),
    ("Hours: Mon-Fri: 9am-5pm", "09:00", "17:00", WEEKDAYS),
    ("Lunes a viernes 9am-5pm", "09:00", "17:00", WEEKDAYS),
    ("Mon.-Fri. 9am-5pm", "09:00", "17:00", WEEKDAYS),
    ("Monday\u2013Friday 8:30 AM \u2013 4:30 PM", "08:30", "16:30", WEEKDAYS),
    ("Tues & Thurs 6pm-8pm", "18:00", "20:00", (2, 4)),
])
def test_one_opening_on_named_days(text, opens, closes, days):
    found = weekly(text)
    assert _days(found, opens, closes) == days and len(found) == len(days)


def test_several_openings():
    found = weekly("Monday-Saturday, 7:00am-10:00pm; Sunday, 10:00am-6:00pm.")
    assert _days(found, "07:00", "22:00") == (1, 2, 3, 4, 5, 6)
    assert _days(found, "10:00", "18:00") == (0,)
    found = weekly("Wednesdays 1:00pm-6:30pm and Saturdays 7:30am-1:00pm. Closed on "
                   "holidays and Thanksgiving/Christmas weekends.")
    assert [(i["day"], i["open"], i["close"]) for i in found] == [
        (3, "13:00", "18:30"), (6, "07:30", "13:00")]
    # Two openings on the same days; a lunch break.
    found = weekly("Monday-Friday, 9:00am-12:00pm and 1:00pm-4:00pm.")
    assert _days(found, "09:00", "12:00") == WEEKDAYS == _days(found, "13:00", "16:00")
    found = weekly("Monday-Friday, 9:00am-4:00pm. Saturday, noon-midnight. Sunday, "
                   "4:00pm-midnight.")
    assert _days(found, "12:00", "24:00") == (6,) and _days(found, "16:00", "24:00") == (0,)
    # Past midnight: split at midnight into the next day.
    assert [(i["day"], i["open"], i["close"]) for i in weekly("Tuesday 10pm-2am")] == [
        (2, "22:00", "24:00"), (3, "00:00", "02:00")]


@pytest.mark.parametrize("text", [
    "Open during regular business hours.", "By appointment only. Call (607) 274-5367.",
    "Mon-Fri 9-5",            # no am/pm: 9 at night?
    "Open 9am-5pm",           # which days?
    "Mon-Fri 9am-5pm, closed Sundays", "Mon-Fri 9am-5pm, Sat-Sun closed",
    "Call for hours", "Mon 9am-9am", "Mon-Fri 9am-5pm except Tuesdays",
    "Mon-Fri 9am-5pm, summer only", "Mon-Fri 9am-5pm; closed weekends",
    "Mon-Fri 9am-5pm, Sat by appointment", "8:30-4:30 M-F", "Tuesdays and the first Saturday, 9am-noon", "",
])
def test_what_is_not_wholly_understood_is_not_read(text):
    assert weekly(text) is None
    assert hours_from_text(text) is None


def test_always_open_and_every_minute_of_the_week_are_24_7():
    assert hours_from_text("24/7") == {"open_24_7": True, "intervals": []}
    assert hours_from_text("Daily, 12:00am-midnight") == {"open_24_7": True, "intervals": []}


def test_a_mapped_list_gets_intervals_and_keeps_the_words(tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text(
        "Name,Address,City,State,Zip,Latitude,Longitude,Type,Training,Hours\n"
        "Weekday Box,1 Main St,Naperville,IL,60540,41.7508,-88.1535,pharmacy,FALSE,"
        '"8:00am-4:00pm, Monday-Friday, excluding holidays."\n'
        "Vague Box,2 Main St,Naperville,IL,60540,41.7509,-88.1536,pharmacy,FALSE,"
        "Open during regular business hours.\n", encoding="utf-8")
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"),
                tmp_path / "sites.mapping.yaml")
    found, report = _records(str(csv_path))
    by_name = {r["name"]: r for r in found.values()}
    # The operator hears which hours were not read, by row (row 3: the vague one).
    assert [w.split(" ", 1)[1] for w in report.warnings] == [
        "hours:words: hours 'Open during regular business hours.' not read as opening times "
        "(kept in the description): open now cannot answer"]
    assert report.warnings[0].startswith(f"{csv_path}:3 ")
    weekday = by_name["Weekday Box"]
    assert weekday["hours"]["open_24_7"] is False
    assert _days(weekday["hours"]["intervals"], "08:00", "16:00") == WEEKDAYS
    assert "Hours: 8:00am-4:00pm, Monday-Friday, excluding holidays." in weekday["description"]
    vague = by_name["Vague Box"]
    assert vague["hours"] == {"open_24_7": False, "intervals": []}
    assert "Hours: Open during regular business hours." in vague["description"]


def test_hsds_schedule_words_are_read_when_it_has_no_times():
    schedules = [{"id": "s1", "description": "Monday-Friday, 9:00am-5:00pm"}]
    read = hsds_records._hours(schedules)
    assert _days(read["intervals"], "09:00", "17:00") == WEEKDAYS
    # Structured times win over words.
    schedules = [{"id": "s2", "freq": "WEEKLY", "byday": "MO", "opens_at": "10:00",
                  "closes_at": "12:00", "description": "Monday-Friday, 9:00am-5:00pm"}]
    assert hsds_records._hours(schedules)["intervals"] == [
        {"day": 1, "open": "10:00", "close": "12:00"}]


@pytest.mark.realdata
def test_new_yorks_drop_boxes_open_now_answers_for_their_weekday_hours(shared_dir, tmp_path):
    stem = "ny_dec_medication_dropboxes.flat"
    source = tmp_path / f"{stem}.csv"
    shutil.copy(os.path.join(shared_dir, "data", "takeback", f"{stem}.csv"), source)
    shutil.copy(os.path.join(FIXTURES, "realdata_mappings", f"{stem}.mapping.yaml"), tmp_path)
    found, _report = _records(str(source))
    timed = [r for r in found.values() if r["hours"]["intervals"]]
    always = [r for r in found.values() if r["hours"]["open_24_7"]]
    # 117 say 24/7 in words; 47 more give days or times, of which 44 are read (the other
    # three: 'regular business hours' twice, 'by appointment only').
    assert len(always) == 117 and len(timed) == 44
    for record in timed:
        assert all(i["open"] < i["close"] for i in record["hours"]["intervals"])

"""Free-text hours: the phrasings of "always open", and intervals past midnight."""
import pytest

from indexer.formats import hours
from tests.test_import_formats import load

ALWAYS = ["24 hours daily", "24/7", "open 24 hours", "24 hrs, 7 days",
          "24 hours a day, 7 days a week", "Open 24/7/365", "always open", "Always Open",
          "Available 24 hours a day, 7 days a week.", "24x7", "Open 24hrs", "24-7 kiosk",
          "Mon-Sun 24 hours", "Open twenty-four hours, seven days a week",
          "Daily 00:00-24:00", "open around the clock", "24 Hours / 7 Days", "OPEN 24 HOURS",
          "24 hours a day, 7 days a week, except holidays", "24 hours – every day"]
NOT_ALWAYS = ["Monday-Friday, 8:00am-4:00pm.", "24 hours, Monday-Friday",
              "Open 24 hours on weekdays", "8:00am-12:00am, daily.", "Daily, 8:00am-midnight.",
              "Open during regular business hours.", "24/7 except Sundays", "",
              "By appointment only. Call (607) 274-5367.", "Mon-Fri 9-5", "Open 7 days, 9am-9pm",
              "Wednesdays 1:00pm-6:30pm and Saturdays 7:30am-1:00pm."]


@pytest.mark.parametrize("text", ALWAYS)
def test_phrasings_of_open_all_the_time(text):
    assert hours.is_24_7(text)


@pytest.mark.parametrize("text", NOT_ALWAYS)
def test_limited_hours_are_not_24_7(text):
    assert not hours.is_24_7(text)


def test_an_opening_past_midnight_is_split_and_saturday_wraps_to_sunday():
    assert hours.day_intervals(5, "22:00", "02:00") == [
        {"day": 5, "open": "22:00", "close": "24:00"}, {"day": 6, "open": "00:00", "close": "02:00"}]
    assert hours.day_intervals(6, "21:00", "01:30") == [
        {"day": 6, "open": "21:00", "close": "24:00"}, {"day": 0, "open": "00:00", "close": "01:30"}]
    assert hours.day_intervals(1, "09:15", "17:45") == [{"day": 1, "open": "09:15", "close": "17:45"}]
    assert hours.close_time("23:59:00") == "24:00" and hours.close_time("17:45:00") == "17:45"


def test_a_week_round_the_clock_is_24_7_and_a_gap_is_not():
    full = [{"day": d, "open": "00:00", "close": "24:00"} for d in range(7)]
    assert hours.covers_week(full)
    assert not hours.covers_week(full[:6])
    gap = full[:6] + [{"day": 6, "open": "00:00", "close": "12:00"},
                      {"day": 6, "open": "12:01", "close": "24:00"}]
    assert not hours.covers_week(gap)


def test_csv_hours_columns_read_the_phrasings():
    _report, records = load("csv/programs.csv")
    by_name = {r["name"]: r for r in records.values()}
    assert by_name["Prairie Crossing Recovery Center"]["hours"]["open_24_7"]  # 24 hours daily
    assert by_name["Heritage Withdrawal Unit"]["hours"]["open_24_7"]  # Open 24/7/365
    cedar = by_name["Cedar Outpatient Clinic"]
    assert not cedar["hours"]["open_24_7"] and "Hours: Mon-Thu 9am-7pm" in cedar["description"]

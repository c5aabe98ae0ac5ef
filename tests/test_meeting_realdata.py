"""Meeting importers on the real public samples in ../shared/data (read, never copied)."""
import json
import os
from collections import Counter

import pytest

from directory_service import vocab
from indexer.formats import FORMATS, bmlt, detect
from tests.test_realdata import run

pytestmark = pytest.mark.realdata
FEEDS = "meetings/meeting-guide-feeds"


def test_aasepia_online_meetings_are_online_in_their_region(shared_dir):
    report, records = run(shared_dir, f"{FEEDS}/aasepia.json")
    assert report.loaded == 2038 and not report.rejected
    online = [r for r in records.values() if r["attendance"] == "online"]
    # 610 rows have a link or dial-in; 305 of them have no street or a closed (TC) location.
    assert len(online) == 305
    assert all(r["location_precision"] == "region" and r["active"] for r in online)
    # "Philadelphia, PA, USA" never becomes a street, so no city-only meeting is hybrid.
    assert not any(r["address"]["street"] in ("Philadelphia", "PA") for r in records.values())
    hybrid = [r for r in records.values() if r["attendance"] == "hybrid"]
    assert len(hybrid) == 305 and all(r["address"]["street"] for r in hybrid)
    assert sum("es" in r["languages"] for r in records.values()) == 48
    assert sum(r["languages"] == ["es"] for r in records.values()) == 48
    assert {r["fellowship"] for r in records.values()} == {"AA"}
    assert all(key.startswith("mg:aasepia:") for key in records)


def test_al_anon_attendance_follows_attendance_option(shared_dir):
    with open(os.path.join(shared_dir, "data", FEEDS, "al-anon.json"), encoding="utf-8") as fh:
        declared = Counter(r["attendance_option"] for r in json.load(fh))
    _report, records = run(shared_dir, f"{FEEDS}/al-anon.json")
    got = Counter(r["attendance"] for r in records.values())
    assert got["online"] == declared["online"] and got["hybrid"] == declared["hybrid"]
    assert sum(not r["active"] for r in records.values()) == declared["inactive"]
    assert {r["fellowship"] for r in records.values()} == {"Al-Anon"}


def test_every_language_in_the_spec_type_list_sets_languages(shared_dir):
    with open(os.path.join(shared_dir, "data", "meetings", "types.json"), encoding="utf-8") as fh:
        types = json.load(fh)
    from babel import Locale

    iso = {name: code for code, name in Locale("en").languages.items() if len(code) == 2}
    languages = {code: iso[t["en"]] for code, t in types.items() if t["en"] in iso}
    assert languages == vocab.MEETING_TYPE_LANGUAGES


def test_recorded_bmlt_answers_are_the_api_shape_and_count_sunday_as_one(shared_dir):
    folder = os.path.join(shared_dir, "data", "meetings", "bmlt")
    for name in sorted(os.listdir(folder)):
        assert detect(os.path.join(folder, name)) is FORMATS["bmlt"], name
    assert bmlt.shape_of(os.path.join(folder, "meeting-search-42.867970-day3.json"))[0] == "api"
    _report, records = run(shared_dir, "meetings/bmlt/meeting-search-42.867970-day3.json")
    assert {r["day"] for r in records.values()} == {2}  # weekday_tinyint 3 is Tuesday
    assert {r["fellowship"] for r in records.values()} == {"NA"}


def test_online_meetings_without_coordinates_are_pinned_not_rejected(shared_dir):
    _report, records = run(shared_dir, f"{FEEDS}/appointment.test.json")
    online = records["mg:appointment:time-meeting"]
    assert (online["attendance"], online["location_precision"]) == ("online", "region")
    assert online["timezone"] == "America/Los_Angeles"
    report, records = run(shared_dir, f"{FEEDS}/edmonton.json")
    online = [r for r in records.values() if r["attendance"] == "online"]
    assert len(online) == 44 and all(r["location_precision"] == "region" for r in online)
    with open(os.path.join(shared_dir, "data", FEEDS, "edmonton.json"), encoding="utf-8") as fh:
        rows = json.load(fh)
    # Rows are rejected only for small towns the gazetteer lacks, never for being online.
    assert not any(rows[r.row - 1]["conference_url"] or rows[r.row - 1]["conference_phone"]
                   for r in report.rejected)
    assert {r["timezone"] for r in records.values()} == {"America/Edmonton"}


def test_the_tsml_import_template_loads_as_a_meeting_guide_sheet(shared_dir):
    report, records = run(shared_dir, "meetings/tsml-import-template.csv")
    assert report.loaded == 36 and not report.rejected
    assert {r["timezone"] for r in records.values()} == {"America/Los_Angeles"}
    closed = [r for r in records.values() if "TC" in r["types"]]
    assert [(r["attendance"], r["active"]) for r in closed] == [("online", True)]
    assert sum(r["languages"] == ["es"] for r in records.values()) == 1


def test_al_anon_notes_read_and_as_written_not_as_html(shared_dir):
    # The WordPress feed escapes "&" in its notes ("GR's &amp; interested members").
    with open(os.path.join(shared_dir, "data", FEEDS, "al-anon.json"), encoding="utf-8") as fh:
        escaped = sum("&amp;" in (r.get("notes") or "") for r in json.load(fh))
    _report, records = run(shared_dir, f"{FEEDS}/al-anon.json")
    notes = [r["notes"] or "" for r in records.values()]
    assert escaped > 0 and not any("&amp;" in n for n in notes)
    assert sum("GR's & interested members" in n for n in notes) >= 3
    # The line breaks of the dial-in details stay.
    assert any("passcode: 085516\n" in n for n in notes)

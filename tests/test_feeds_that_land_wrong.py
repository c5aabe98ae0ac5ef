"""Feeds that still landed wrong (issue 22, item 4), each class on feeds written here:
a fellowship taken from one row's type code over the feed's own web site; online meetings
naming a region but no state; towns the gazetteer's own lists hold but placement missed
(or put 73 km off); an empty file failing a whole run; a BMLT export refused for a key."""
import csv
import json
import math

import pytest
from click.testing import CliRunner

from directory_service import towns
from directory_service.search.embedded.store import SqliteStore
from indexer import cli, pipeline
from indexer.formats import FORMATS, common, detect, fellowship
from tests.test_import_formats import Collector, reasons


def meeting(i, **fields):
    row = {"name": f"Meeting {i}", "slug": f"m{i}", "day": i % 7, "time": "19:00",
           "types": ["O"], "address": "100 Main St", "city": "Naperville", "state": "IL",
           "postal_code": "60540", "latitude": 41.7508, "longitude": -88.1535}
    row.update(fields)
    return row


def run(tmp_path, rows, name="feed.json", **kwargs):
    path = tmp_path / name
    path.write_text(json.dumps(rows), encoding="utf-8")
    writer = Collector()
    report = pipeline.run([str(path)], writer, max_rejected_fraction=1.0, **kwargs)
    return report, writer.records


def warned(report, code):
    return [w for w in report.warnings if f" {code}: " in w]


def km(point, lat, lon):
    dy = (point["lat"] - lat) * 111.2
    dx = (point["lon"] - lon) * 111.2 * math.cos(math.radians(lat))
    return math.hypot(dx, dy)


# --- Fellowship: the feed's own identity over one row's type code -------------------------

def site_feed(site, rows=20, big_book_rows=1):
    """A feed whose every row links to `site`, with AA's Big Book type on a few rows."""
    return [meeting(i, url=f"https://{site}/meetings/m{i}",
                    types=["O", "B"] if i < big_book_rows else ["O"]) for i in range(rows)]


def test_an_eating_disorders_anonymous_feed_is_not_aa_because_of_one_big_book(tmp_path):
    report, records = run(tmp_path, site_feed("www.eda-recovery.org"))
    assert {r["fellowship"] for r in records.values()} == {"other"}
    [line] = warned(report, "fellowship:not-listed")
    assert "Eating Disorders Anonymous" in line and "eda-recovery.org" in line


@pytest.mark.parametrize("site, expected", [
    ("na.org", "NA"), ("www.al-anon.org", "Al-Anon"), ("meetings.smartrecovery.org", "SMART"),
    ("eda-recovery.org", "other"), ("oa.org", "other"), ("www.ca.org", "CA"),
    ("crystalmeth.org", "CMA"), ("recoverydharma.org", "Recovery Dharma"),
    ("www.gamblersanonymous.org", "other"),
])
def test_a_fellowships_own_domain_outweighs_a_rows_type_code(tmp_path, site, expected):
    _report, records = run(tmp_path, site_feed(site, big_book_rows=3))
    assert {r["fellowship"] for r in records.values()} == {expected}


def test_domains_match_whole_labels_only():
    assert fellowship.site_hint("www.ca.org") == "CA"
    assert fellowship.site_hint("example.ca") is None  # Canada, not Cocaine Anonymous
    assert fellowship.site_hint("oa.org.example.com") is None
    assert fellowship.site_hint("boa.org") is None


def test_a_site_naming_no_fellowship_is_not_outweighed_by_one_row(tmp_path):
    report, records = run(tmp_path, site_feed("www.eatingrecovery-intergroup.org"))
    assert {r["fellowship"] for r in records.values()} == {"other"}
    [line] = warned(report, "fellowship:unsure")
    assert "eatingrecovery-intergroup.org" in line and "1 of 20" in line
    # Many rows with AA literature under such a site: AA, still warned.
    report, records = run(tmp_path, site_feed("www.nyintergroup.org", big_book_rows=4))
    assert {r["fellowship"] for r in records.values()} == {"AA"}
    [line] = warned(report, "fellowship:unsure")
    assert "nyintergroup.org" in line and "4 of 20" in line


def test_one_type_code_alone_decides_only_with_a_warning(tmp_path):
    rows = [dict(r, url=None) for r in site_feed("unused", big_book_rows=1)]
    report, records = run(tmp_path, rows)
    assert {r["fellowship"] for r in records.values()} == {"AA"}
    [line] = warned(report, "fellowship:unsure")
    assert "1 of 20" in line and "Big Book" in line
    # Many rows with AA literature: sure, no warning.
    rows = [dict(r, url=None) for r in site_feed("unused", big_book_rows=8)]
    report, records = run(tmp_path, rows)
    assert {r["fellowship"] for r in records.values()} == {"AA"}
    assert not [w for w in report.warnings if "fellowship:" in w]


def test_mixed_signals_each_in_its_place(tmp_path):
    # An NA site on every row; one row's Big Book and another row naming itself AA.
    rows = site_feed("www.na.org", rows=10, big_book_rows=1)
    rows[5]["name"] = "Perryton AA"
    report, records = run(tmp_path, rows)
    by_slug = {r["source"]["id"]: r["fellowship"] for r in records.values()}
    assert by_slug.pop("m5") == "AA"  # a row that names its own keeps it
    assert set(by_slug.values()) == {"NA"}
    assert not [w for w in report.warnings if "fellowship:" in w]
    # The entity names the fellowship the feed is: over the rows' types.
    rows = [dict(meeting(i, types=["O", "B"]), entity="Overeaters Anonymous of Ohio",
                 entity_url="https://www.oa.org") for i in range(4)]
    report, records = run(tmp_path, rows, name="ohio.json")
    assert {r["fellowship"] for r in records.values()} == {"other"}
    assert warned(report, "fellowship:not-listed")


def test_a_meeting_guide_sheet_takes_its_fellowship_from_its_website_column(tmp_path):
    path = tmp_path / "sheet.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Time", "Day", "Name", "Address", "Types", "Website", "Slug"])
        for i in range(6):
            out.writerow(["7:00 PM", "Monday", f"Group {i}", "100 Main St, Naperville, IL 60540",
                          "Open, Big Book" if i == 0 else "Open",
                          "https://eda-recovery.org/m", f"g{i}"])
    assert detect(str(path)) is FORMATS["meeting-guide-csv"]
    writer = Collector()
    report = pipeline.run([str(path)], writer)
    assert {r["fellowship"] for r in writer.records.values()} == {"other"}
    assert warned(report, "fellowship:not-listed")


# --- Online-only meetings that name a region but no state ---------------------------------

def zoom(i, **fields):
    row = {"address": None, "city": "Marin", "state": None, "postal_code": None,
           "latitude": None, "longitude": None, "conference_url": f"https://zoom.example/j/{i}"}
    return meeting(100 + i, **{**row, **fields})


def test_online_meetings_naming_a_region_without_a_state_take_the_feeds_state(tmp_path):
    # In-person rows without coordinates (no middle to fall back on), all in California.
    in_person = [meeting(i, address="1 Fifth Ave", city="San Rafael", state="CA",
                         postal_code=None, latitude=None, longitude=None) for i in range(4)]
    report, records = run(tmp_path, [zoom(i) for i in range(3)] + in_person)
    assert not report.rejected
    online = [r for r in records.values() if r["attendance"] == "online"]
    assert len(online) == 3
    for record in online:
        assert record["location_precision"] == "region"
        assert km(record["location"], 38.0, -122.6) < 40  # Marin County, CA
        assert record["timezone"] == "America/Los_Angeles"
    lines = warned(report, "location:feed-region")
    assert len(lines) == 3 and "'Marin'" in lines[0] and "other meetings" in lines[0]


def test_an_all_online_feed_uses_its_entity_location_or_a_declared_region(tmp_path):
    rows = [zoom(i, entity_location="San Rafael, CA") for i in range(3)]
    report, records = run(tmp_path, rows)
    assert len(records) == 3 and not report.rejected
    assert all(km(r["location"], 37.97, -122.53) < 10 for r in records.values())
    assert "entity_location" in warned(report, "location:feed-region")[0]
    # An entity_location only the towns list knows.
    rows = [zoom(i, entity_location="Fort Saskatchewan, Alberta") for i in range(2)]
    report, records = run(tmp_path, rows, name="fort.json")
    assert all(km(r["location"], 53.71, -113.21) < 5 for r in records.values())
    assert {r["timezone"] for r in records.values()} == {"America/Edmonton"}
    # No entity: the region the operator declares.
    report, records = run(tmp_path, [zoom(i) for i in range(3)],
                          options=common.ImportOptions(region="Marin County, CA"))
    assert len(records) == 3
    assert all(km(r["location"], 38.0, -122.6) < 40 for r in records.values())
    assert "declared" in warned(report, "location:feed-region")[0]
    # Nothing to go on: rejected with the reason, never an invented point.
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        run(tmp_path, [zoom(i) for i in range(3)])
    report = failed.value.report
    assert len(report.rejected) == 3 and not warned(report, "location:feed-region")
    assert "neither the address, the ZIP nor the city could be placed" in reasons(report)[0]


def test_online_meetings_with_their_own_state_are_not_warned(tmp_path):
    rows = [zoom(i, city="Philadelphia", state="PA") for i in range(2)]
    report, records = run(tmp_path, rows)
    assert len(records) == 2 and not warned(report, "location:feed-region")
    # A county named as the city, with its state: the county's point.
    report, records = run(tmp_path, [zoom(i, state="CA") for i in range(2)])
    assert len(records) == 2 and not warned(report, "location:feed-region")
    assert all(km(r["location"], 38.0, -122.6) < 40 for r in records.values())


# --- The gazetteer's lists, honoured on every path the importers take -----------------------

def placed_rows(tmp_path, rows, name="sites.ndjson"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    writer = Collector()
    report = pipeline.run([str(path)], writer, max_rejected_fraction=1.0)
    return report, writer.records


def site(name, **address):
    return {"id": f"t:{name}", "kind": "naloxone_site", "name": f"Pharmacy {name}",
            "site_type": "pharmacy", "address": address}


def test_towns_the_lists_hold_are_placed_at_the_town(tmp_path):
    report, records = placed_rows(tmp_path, [
        site("fort", city="Fort Saskatchewan", state="AB"),  # about 27,000; geonames: 14,957
        site("wetaskiwin", city="Wetaskiwin", state="AB"),
        site("plateau", city="Le Plateau", state="QC"),  # exactly 15,000 in geonames
        site("nome", city="Nome", state="AK"),
        site("nomezip", city="Nome", state="AK", postal_code="99762"),  # its PO-box ZIP
        site("springfield", city="Springfield", state="IL"),
    ])
    assert not report.rejected, reasons(report)
    assert km(records["t:fort"]["location"], 53.71, -113.21) < 5
    assert km(records["t:wetaskiwin"]["location"], 52.97, -113.38) < 5
    assert km(records["t:plateau"]["location"], 45.435, -75.78) < 5
    assert km(records["t:nome"]["location"], 64.501, -165.406) < 5  # was 73 km north
    assert km(records["t:nomezip"]["location"], 64.501, -165.406) < 5
    assert records["t:nome"]["timezone"] == "America/Nome"
    assert km(records["t:springfield"]["location"], 39.80, -89.64) < 5  # the big city stays


def test_a_town_named_alone_in_an_alberta_feed_and_an_online_meetings_town(tmp_path):
    report, records = placed_rows(tmp_path, [
        site("edm", city="Edmonton", state="AB"),
        site("alone", city="Wetaskiwin"),
    ])
    assert not report.rejected, reasons(report)
    assert km(records["t:alone"]["location"], 52.97, -113.38) < 5
    rows = [meeting(i, address=None, city="Fort Saskatchewan", state="AB", postal_code=None,
                    latitude=None, longitude=None, conference_url="https://zoom.example/j/1")
            for i in range(2)]
    report, records = run(tmp_path, rows)
    assert not report.rejected
    assert all(km(r["location"], 53.71, -113.21) < 5 for r in records.values())


def test_a_same_name_town_far_from_the_zips_town_does_not_win():
    nome = towns.town("Nome", "ND")  # a ZIP-only hamlet: its ZIP stands
    assert km({"lat": nome.lat, "lon": nome.lon}, 46.64, -97.81) < 5
    # Huguenot, NY (Orange County, a delivery ZIP) is not Staten Island's Huguenot, 106 km off.
    huguenot = towns.town("Huguenot", "NY")
    assert km({"lat": huguenot.lat, "lon": huguenot.lon}, 41.43, -74.65) < 5
    assert towns.town("Nowhereville", "AB") is None


# --- An empty file among many ----------------------------------------------------------------

def test_empty_files_are_warnings_and_the_other_feeds_load(tmp_path):
    (tmp_path / "good.json").write_text(json.dumps([meeting(1)]), encoding="utf-8")
    (tmp_path / "none.json").write_text("[]", encoding="utf-8")
    (tmp_path / "object.json").write_text("{ }\n", encoding="utf-8")
    (tmp_path / "blank.json").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "zero.csv").write_text("", encoding="utf-8")
    (tmp_path / "lines.ndjson").write_text("\n\n", encoding="utf-8")
    (tmp_path / "header.csv").write_text('"Time","Day","Name","Address","Slug"\n',
                                         encoding="utf-8")
    (tmp_path / "answer.json").write_text('{"meetings": [], "formats": []}', encoding="utf-8")
    writer = Collector()
    report = pipeline.run([str(tmp_path)], writer)
    assert report.swapped and len(writer.records) == 1
    lines = warned(report, "file:empty")
    assert len(lines) == 7 and any("header.csv has no rows" in w for w in lines)
    assert report.files[str(tmp_path / "none.json")]["read"] == 0
    # Forced to a format, the same.
    writer = Collector()
    report = pipeline.run([str(tmp_path / "none.json"), str(tmp_path / "good.json")], writer,
                          fmt="meeting-guide")
    assert len(writer.records) == 1 and warned(report, "file:empty")


def test_a_run_of_only_empty_files_still_fails(tmp_path):
    (tmp_path / "a.json").write_text("[]", encoding="utf-8")
    (tmp_path / "b.json").write_text("", encoding="utf-8")
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(tmp_path)], Collector())
    assert "no valid rows (2 of 2 files empty)" in str(failed.value)


# --- BMLT database exports with keys they do not need ------------------------------------------

def export_rows():
    return [{"id_bigint": str(i), "weekday_tinyint": str(i % 7), "venue_type": "1",
             "start_time": "19:00:00", "duration_time": "01:00:00", "formats": "17,3",
             "latitude": "41.75", "longitude": "-88.15", "meeting_name": f"Group {i}",
             "published": "1", "root_server_uri": "https://bmlt.example.org/main_server",
             "service_body_name": "Area 5"} for i in range(7)]


@pytest.mark.parametrize("fmt", [None, "bmlt-export"])
def test_a_bmlt_export_with_api_keys_is_read_by_its_shape(tmp_path, fmt):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_rows()), encoding="utf-8")
    if fmt is None:
        assert detect(str(path)) is FORMATS["bmlt-export"]
    writer = Collector()
    report = pipeline.run([str(path)], writer, fmt=fmt)
    assert len(writer.records) == 7
    assert writer.records["bmlt:export:0"]["day"] == 0  # 0 = Sunday, as the database stores
    [line] = warned(report, "bmlt-export:unknown-keys")
    assert "root_server_uri" in line and "service_body_name" in line


def test_a_bmlt_csv_export_with_extra_columns_loads(tmp_path):
    rows = export_rows()
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    writer = Collector()
    report = pipeline.run([str(path)], writer)
    assert len(writer.records) == 7 and warned(report, "bmlt-export:unknown-keys")


def test_api_answers_with_extra_keys_are_still_the_api(tmp_path):
    rows = [dict(r, weekday_tinyint=str(i % 7 + 1), formats="O,BT", distance_in_km="3")
            for i, r in enumerate(export_rows())]
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    assert detect(str(path)) is FORMATS["bmlt"]
    writer = Collector()
    pipeline.run([str(path)], writer)
    assert writer.records["bmlt:bmlt.example.org:0"]["day"] == 0
    # Only API-only keys to go on (no weekday 0 or 7, no formats): still the API.
    rows = [{k: v for k, v in r.items() if k != "formats"} for r in rows[1:6]]
    path.write_text(json.dumps(rows), encoding="utf-8")
    assert detect(str(path)) is FORMATS["bmlt"]


def test_a_bmlt_file_named_a_shape_is_not_refused_for_its_keys(tmp_path):
    # Days 1-6 and no formats: only root_server_uri hints at the API; the operator says export.
    rows = [{k: v for k, v in r.items() if k != "formats"} for r in export_rows()[1:6]]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    writer = Collector()
    report = pipeline.run([str(path)], writer, fmt="bmlt-export",
                          options=common.ImportOptions(fellowship="NA"))
    assert writer.records["bmlt:export:1"]["day"] == 1  # 1 = Monday, as the database stores
    assert warned(report, "bmlt-export:unknown-keys")
    # Its days and formats still decide: an API answer forced as an export is refused.
    rows = [dict(r, weekday_tinyint="7", formats="O") for r in rows]
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(pipeline.IndexRunFailed):
        pipeline.run([str(path)], Collector(), fmt="bmlt-export")


def test_the_command_takes_a_declared_region_and_loads_past_an_empty_file(tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "zoom.json").write_text(json.dumps([zoom(i) for i in range(2)]), encoding="utf-8")
    (feeds / "quiet.json").write_text("[]", encoding="utf-8")
    store = str(tmp_path / "index.sqlite")
    result = CliRunner().invoke(cli.main, ["load", "--quiet", "--store", store, "--region",
                                           "Marin County, CA", str(feeds)])
    assert result.exit_code == 0, result.stderr
    assert "location:feed-region" in result.stderr and "file:empty" in result.stderr
    assert SqliteStore(store).health()["records"] == 2

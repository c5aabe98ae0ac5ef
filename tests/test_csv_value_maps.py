"""CSV value maps: label text in list cells → our vocabularies, unknown labels warned."""
import os

import pytest

from directory_service import vocab
from directory_service.search.store import SearchQuery
from indexer import pipeline
from indexer.formats import csv_mapping
from tests.factories import NAPERVILLE, NOW
from tests.test_import_formats import FIXTURES, Collector, load

PROGRAMS = os.path.join(FIXTURES, "csv", "programs.csv")


def by_name(records):
    return {r["name"]: r for r in records.values()}


def test_labels_in_list_cells_become_codes():
    report, records = load("csv/programs.csv")
    assert report.loaded == 4 and not report.rejected
    rows = by_name(records)
    prairie = rows["Prairie Crossing Recovery Center"]
    assert prairie["levels_of_care"] == ["3.2-WM", "3.7-WM", "3.5"]  # one label, two codes
    assert prairie["settings"] == ["detox", "residential"]
    assert prairie["payment"] == ["medicaid", "private", "sliding_fee"]
    assert prairie["populations"]["genders"] == "men" and prairie["populations"]["veterans"]
    assert prairie["languages"] == ["en", "es"]
    # Bullets, line breaks and a label mapped to [] ("Aftercare": known, no code).
    fox = rows["Fox River Women's Residence"]
    assert fox["levels_of_care"] == ["3.1"]
    assert fox["populations"]["genders"] == "women" and fox["populations"]["pregnant_postpartum"]
    # Case-insensitive labels, a regex pattern, "|" and ";" separators.
    heritage = rows["Heritage Withdrawal Unit"]
    assert heritage["levels_of_care"] == ["3.7-WM", "2.1"]
    assert heritage["settings"] == ["detox", "iop"]
    assert heritage["payment"] == ["medicaid", "medicare"]
    assert heritage["populations"]["adolescents"] is True


def test_unknown_labels_are_warned_and_counted_never_dropped_silently():
    report, records = load("csv/programs.csv")
    warned = [w for w in report.warnings if "payment:ATR vouchers" in w]
    assert len(warned) == 1 and ":3 " in warned[0]  # spreadsheet row 3
    assert report.tallies[PROGRAMS]["warnings"]["payment:ATR vouchers"] == 1
    # The row still loads with the labels that did map.
    assert by_name(records)["Fox River Women's Residence"]["payment"] == [
        "self_pay", "state_funded"]


def test_detox_and_medicaid_search_finds_the_mapped_rows(make_store):
    _report, records = load("csv/programs.csv")
    store = make_store(list(records.values()))
    primary, related = vocab.expand_levels(["detox"])
    result = store.search(SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], radius_m=80_000,
                                      now=NOW, levels_primary=primary, levels_related=related,
                                      payment=("medicaid",)))
    names = sorted(h.record["name"] for h in result.hits)
    assert names == ["Heritage Withdrawal Unit", "Prairie Crossing Recovery Center"]


def test_cells_already_holding_codes_are_split(tmp_path):
    (tmp_path / "list.csv").write_text(
        "Name,Lat,Lon,Levels,Pay\nA,41.77,-88.15,3.7-WM; 3.5,medicaid|self_pay\n")
    (tmp_path / "list.mapping.yaml").write_text(
        "kind: treatment_facility\nprefix: t\ncolumns: {name: Name, location.lat: Lat, "
        "location.lon: Lon, levels_of_care: Levels, payment: Pay}\n")
    writer = Collector()
    pipeline.run([str(tmp_path / "list.csv")], writer)
    (record,) = writer.records.values()
    assert record["levels_of_care"] == ["3.7-WM", "3.5"]
    assert record["payment"] == ["medicaid", "self_pay"]


@pytest.mark.parametrize("body, named", [
    ("values: {payment: {Medicaid: medicaid, Cash: cash}}", "'Cash' → 'cash'"),
    ("values: {levels_of_care: {Detox: [3.7-WM, 3.8-WM]}}", "'3.8-WM'"),
    ("values: {populations: {Vets: veteran}}", "'veteran'"),
    ("patterns: {payment: {'(unclosed': medicaid}}", "not a regular expression"),
    ("values: {paymnet: {Medicaid: medicaid}}", "no field 'paymnet'"),
    ("values: {site_type: {Pharmacy: pharmacy}}", "no field 'site_type'"),
])
def test_a_typo_in_the_mapping_is_one_clear_error(tmp_path, body, named):
    path = tmp_path / "m.yaml"
    path.write_text("kind: treatment_facility\nprefix: t\ncolumns: {name: Name, payment: Pay, "
                    "levels_of_care: Levels, populations: Pop}\n" + body + "\n")
    with pytest.raises(csv_mapping.MappingError) as error:
        csv_mapping.load(str(path))
    assert named in str(error.value)


def test_the_shipped_mappings_load(tmp_path):
    for folder in ("csv", "realdata_mappings"):
        for name in os.listdir(os.path.join(FIXTURES, folder)):
            if ".mapping." in name:
                csv_mapping.load(os.path.join(FIXTURES, folder, name))


def test_a_default_dict_is_each_rows_own(tmp_path):
    """`defaults: {address: {state: NY}}` gives every row its own address: a row without a
    street does not show the row before's, and rows read ahead (the indexer's load
    process) keep their own streets."""
    from indexer.formats import csv_mapped

    path = tmp_path / "sites.mapping.yaml"
    path.write_text("kind: takeback_site\nprefix: t\nsource: {name: t}\n"
                    "columns: {name: name, address.street: street, address.city: city, "
                    "location.lat: lat, location.lon: lon}\n"
                    "defaults: {address: {state: NY}, timezone: America/New_York, "
                    "receptacle: kiosk}\n")
    mapping = csv_mapping.load(str(path))
    rows = [{"name": "A", "street": "1 Main St", "city": "Albany", "lat": "42.65",
             "lon": "-73.75"},
            {"name": "B", "street": "", "city": "Troy", "lat": "42.73", "lon": "-73.69"}]
    records = [r for row in rows for r in csv_mapped.map_row(row, mapping)
               if isinstance(r, dict)]
    assert [r["address"] for r in records] == [
        {"state": "NY", "street": "1 Main St", "city": "Albany"},
        {"state": "NY", "city": "Troy"}]
    assert mapping["defaults"]["address"] == {"state": "NY"}

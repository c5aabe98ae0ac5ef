"""Lists kept in Excel (.xlsx) load as the same records as their CSV export: cells typed
as numbers (ZIPs that lost their leading zero, phones, coordinates), times and TRUE/FALSE
read as Excel's CSV export writes them; a workbook that cannot be opened fails the run
naming the file, and an old .xls is refused with what to do (indexer/formats/sheets.py)."""
import csv
import io
import os
import shutil
from datetime import time

import pytest
from openpyxl import Workbook

from indexer import pipeline
from indexer.formats import FORMATS, detect, sheets, unrecognised
from indexer.pipeline import IndexRunFailed
from tests.test_import_formats import FIXTURES, Collector


def _records(path):
    writer = Collector()
    report = pipeline.run([path], writer, max_rejected_fraction=1.0)
    return {k: {f: v for f, v in r.items() if f != "updated_at"}
            for k, r in writer.records.items()}, report


def _typed(cell):
    """A cell as Excel would type it when the list was keyed in: numbers, times, booleans."""
    if cell in ("TRUE", "FALSE"):
        return cell == "TRUE"
    if cell.upper().endswith((" AM", " PM")):
        clock, half = cell.rsplit(" ", 1)
        hours, minutes = (int(p) for p in clock.split(":"))
        return time(hours % 12 + (12 if half.upper() == "PM" else 0), minutes)
    for number in (int, float):
        try:
            return number(cell)
        except ValueError:
            pass
    return cell or None


def _as_workbook(source, target, extra_sheet=False, blank_columns=0):
    """`source` (a CSV fixture) saved as the workbook someone keeps it in."""
    with open(source, "rb") as fh:
        text, _encoding = sheets.decode(fh.read())
    rows = list(csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))))
    book = Workbook()
    sheet = book.active
    sheet.title = "Sites"
    for number, row in enumerate(rows):
        cells = row if number == 0 else [_typed(c) for c in row]
        sheet.append(cells + [None] * blank_columns)
    if extra_sheet:
        notes = book.create_sheet("Notes")
        notes.append(["Updated by", "the county"])
    book.save(target)


def test_a_mapped_list_as_a_workbook_loads_what_its_csv_does(tmp_path):
    source = os.path.join(FIXTURES, "csv", "naloxone.csv")
    target = tmp_path / "naloxone.xlsx"
    _as_workbook(source, target, extra_sheet=True, blank_columns=3)
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    assert detect(str(target)) is FORMATS["csv"]
    found, report = _records(str(target))
    expected, expected_report = _records(source)
    assert found and found == expected
    # The same rows rejected, by the same spreadsheet row numbers.
    rejected = [(p.row, p.errors) for p in report.rejected]
    assert rejected and rejected == [(p.row, p.errors) for p in expected_report.rejected]


def test_a_zip_typed_as_a_number_keeps_its_leading_zero(tmp_path):
    book = Workbook()
    book.active.append(["Name", "Address", "City", "State", "Zip", "Latitude", "Longitude",
                        "Type", "Training", "Hours"])
    book.active.append(["Boston Site", "1 Main St", "Boston", "MA", 2134, 42.3554, -71.1303,
                        "pharmacy", True, None])
    target = tmp_path / "boston.xlsx"
    book.save(target)
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"),
                tmp_path / "boston.mapping.yaml")
    found, _report = _records(str(target))
    (record,) = found.values()
    assert record["address"]["postal_code"] == "02134"
    assert record["location"] == {"lat": 42.3554, "lon": -71.1303}


def _with_instructions_first(source, target):
    """`source` as a workbook whose first tab is instructions, the list on the second."""
    _as_workbook(source, target)
    from openpyxl import load_workbook

    book = load_workbook(target)
    notes = book.create_sheet("Instructions", 0)
    notes.append(["How to keep this list"])
    notes.append(["One row per site; do not rename the columns."])
    book.save(target)


@pytest.mark.parametrize("save", [_as_workbook, _with_instructions_first])
def test_a_meeting_guide_sheet_as_a_workbook(tmp_path, save):
    source = os.path.join(FIXTURES, "meeting_guide_csv", "district.csv")
    target = tmp_path / "district.xlsx"
    save(source, target)
    assert detect(str(target)) is FORMATS["meeting-guide-csv"]
    found, _report = _records(str(target))
    expected, _ = _records(source)
    # A row with no slug gets an id from its cells as written ('12:00 PM' in the CSV, the
    # time 12:00 in the workbook): kept as it was for CSV, so published ids stay.
    def by_name(records):
        return {r["name"]: {**{k: v for k, v in r.items() if k != "id"},
                            "source": {**r["source"], "id": None}} for r in records.values()}
    assert found and by_name(found) == by_name(expected)
    assert set(found) - set(expected) == {"mg:district:noon-online-b89d0a68"}


def test_cells_read_as_excel_exports_them():
    assert [sheets.cell_text(v) for v in (None, True, False, 60540, 60540.0, 41.75,
                                          time(19, 0), time(7, 30, 15), "Main St")] == [
        "", "TRUE", "FALSE", "60540", "60540", "41.75", "19:00", "07:30:15", "Main St"]


def test_a_workbook_that_cannot_be_opened_fails_the_run_naming_it(tmp_path):
    source = os.path.join(FIXTURES, "csv", "naloxone.csv")
    whole = tmp_path / "whole.xlsx"
    _as_workbook(source, whole)
    cut = tmp_path / "naloxone.xlsx"
    cut.write_bytes(whole.read_bytes()[:400])  # cut short in transfer
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    with pytest.raises(IndexRunFailed) as failed:
        pipeline.run([str(cut)], Collector(), max_rejected_fraction=1.0)
    message = str(failed.value)
    assert str(cut) in message and "not a workbook Excel can open" in message
    assert "previous index keeps serving" in message


def test_an_old_xls_and_a_workbook_without_mapping_are_refused_with_what_to_do(tmp_path):
    old = tmp_path / "sites.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500)
    assert detect(str(old)) is None
    assert "save it as .xlsx or CSV" in unrecognised(str(old))
    bare = tmp_path / "sites.xlsx"
    _as_workbook(os.path.join(FIXTURES, "csv", "naloxone.csv"), bare)
    assert detect(str(bare)) is None
    assert "a workbook of our own needs a column mapping" in unrecognised(str(bare))


@pytest.mark.realdata
@pytest.mark.parametrize("sample, stem", [
    ("takeback/ny_dec_medication_dropboxes.flat.csv", "ny_dec_medication_dropboxes.flat"),
    ("naloxone/vancouver-pharmacies.csv", "vancouver-pharmacies"),
])
def test_real_lists_kept_as_workbooks_load_what_their_csv_does(shared_dir, tmp_path, sample,
                                                               stem):
    # New York's drop boxes (hours as prose, empty phones) and Vancouver's pharmacies
    # (TRUE/FALSE cells), typed into a workbook as Excel would keep them.
    source = os.path.join(shared_dir, "data", sample)
    target = tmp_path / f"{stem}.xlsx"
    _as_workbook(source, target)
    mapping = os.path.join(FIXTURES, "realdata_mappings", f"{stem}.mapping.yaml")
    shutil.copy(mapping, tmp_path)
    found, report = _records(str(target))
    csv_copy = tmp_path / f"{stem}.csv"
    shutil.copy(source, csv_copy)
    expected, expected_report = _records(str(csv_copy))
    assert len(found) > 40 and found == expected
    assert len(report.rejected) == len(expected_report.rejected)


def test_a_folder_load_takes_workbooks_but_not_excels_lock_files(tmp_path):
    _as_workbook(os.path.join(FIXTURES, "csv", "naloxone.csv"), tmp_path / "naloxone.xlsx")
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    (tmp_path / "~$naloxone.xlsx").write_bytes(b"\x0bowner" + b"\0" * 150)
    assert pipeline.source_files([str(tmp_path)]) == [str(tmp_path / "naloxone.xlsx")]
    found, _report = _records(str(tmp_path))
    assert found


def test_the_sheet_with_the_mapped_heading_is_read_not_the_instructions_tab(tmp_path):
    source = os.path.join(FIXTURES, "csv", "naloxone.csv")
    target = tmp_path / "naloxone.xlsx"
    _with_instructions_first(source, target)
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    found, report = _records(str(target))
    expected, _ = _records(source)
    assert found and found == expected
    assert any("csv:sheet: read the worksheet 'Sites'" in w for w in report.warnings)


def test_a_workbook_declaring_xml_entities_is_refused_not_expanded(tmp_path):
    # An "entity expansion" bomb inside a worksheet: openpyxl parses through defusedxml.
    import zipfile

    plain = tmp_path / "plain.xlsx"
    _as_workbook(os.path.join(FIXTURES, "csv", "naloxone.csv"), plain)
    bomb = tmp_path / "naloxone.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(bomb, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY a "aaaa">'
                                    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet', 1)
            zout.writestr(item, data)
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    with pytest.raises(IndexRunFailed) as failed:
        pipeline.run([str(bomb)], Collector(), max_rejected_fraction=1.0)
    assert str(bomb) in str(failed.value)
    assert "not a workbook Excel can open" in str(failed.value)

"""CSV as Excel saves it where the decimal mark is a comma (Quebec, most of Europe: cells
split by `;`) and as a tab-separated export: the indexer's CSV formats read the same
records from them as from the comma-separated file (csv_mapped.delimiter)."""
import csv
import io
import os
import shutil

import pytest

from indexer import pipeline
from indexer.formats import FORMATS, detect
from indexer.formats.csv_mapped import delimiter
from indexer.formats.sheets import decode
from tests.test_import_formats import FIXTURES, Collector


def _records(path):
    writer = Collector()
    pipeline.run([path], writer, max_rejected_fraction=1.0)
    return {k: {f: v for f, v in r.items() if f != "updated_at"}
            for k, r in writer.records.items()}


def _resaved(source, target, separator):
    """`source` saved again with another separator, in its own encoding."""
    with open(source, "rb") as fh:
        text, encoding = decode(fh.read())
    rows = list(csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))))
    out = io.StringIO()
    csv.writer(out, delimiter=separator).writerows(rows)
    with open(target, "wb") as fh:
        fh.write(out.getvalue().encode(encoding))


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_meeting_guide_sheet_split_by_semicolons_or_tabs(tmp_path, separator):
    source = os.path.join(FIXTURES, "meeting_guide_csv", "district.csv")
    target = tmp_path / "district.csv"
    _resaved(source, target, separator)
    assert detect(str(target)) is FORMATS["meeting-guide-csv"]
    found = _records(str(target))
    assert found and found == _records(source)


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_mapped_csv_split_by_semicolons_or_tabs(tmp_path, separator):
    source = os.path.join(FIXTURES, "csv", "naloxone.csv")
    target = tmp_path / "naloxone.csv"
    _resaved(source, target, separator)
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    found = _records(str(target))
    assert found and found == _records(source)


def test_the_separator_is_the_one_that_finds_the_columns():
    wanted = {"name", "day", "time"}
    def fits(header):
        return len(wanted & set(header))
    assert delimiter("name,day,time\n", fits) == ","
    assert delimiter("name;day;time\n", fits) == ";"
    assert delimiter("name\tday\ttime\n", fits) == "\t"
    # Commas inside a semicolon-separated header's cells do not fool it.
    assert delimiter("name;day;time;notes, if any\n", fits) == ";"
    # Nothing found either way: a comma, so the error names the comma-split columns.
    assert delimiter("a|b|c\n", fits) == ","


def test_excels_unicode_text_utf16_and_tab_separated(tmp_path):
    # Excel's "Unicode Text": UTF-16 with its byte-order mark, tabs, saved as .txt.
    source = os.path.join(FIXTURES, "csv", "naloxone.csv")
    with open(source, "rb") as fh:
        text, _encoding = decode(fh.read())
    rows = list(csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))))
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(rows)
    target = tmp_path / "naloxone.txt"
    target.write_bytes(out.getvalue().encode("utf-16"))
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    assert decode(target.read_bytes())[1] == "utf-16"
    found = _records(str(target))
    assert found and found == _records(source)


@pytest.mark.parametrize("separator", [",", ";"])
def test_a_title_above_the_heading_row_is_skipped_and_rows_keep_their_numbers(
        tmp_path, separator):
    # Published sheets often open with a title and a date above the heading row.
    source = os.path.join(FIXTURES, "csv", "naloxone.csv")
    with open(source, "rb") as fh:
        text, _encoding = decode(fh.read())
    rows = list(csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator)
    writer.writerows([["Naloxone sites, updated May 2024"], [], *rows])
    target = tmp_path / "naloxone.csv"
    target.write_text(out.getvalue(), encoding="utf-8")
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    collector = Collector()
    report = pipeline.run([str(target)], collector, max_rejected_fraction=1.0)
    found = {k: {f: v for f, v in r.items() if f != "updated_at"}
             for k, r in collector.records.items()}
    assert found and found == _records(source)
    assert any("csv:title-rows: rows 1-2 above the heading row skipped "
               "('Naloxone sites, updated May 2024')" in w for w in report.warnings)
    # Rejected rows are named by their row in the sheet as it is: two rows further down.
    plain = Collector()
    plain_report = pipeline.run([source], plain, max_rejected_fraction=1.0)
    assert [p.row for p in report.rejected] == [p.row + 2 for p in plain_report.rejected]
    assert report.rejected


def test_no_heading_row_anywhere_is_still_the_missing_columns_error(tmp_path):
    target = tmp_path / "naloxone.csv"
    target.write_text("Title\nfoo,bar\n1,2\n", encoding="utf-8")
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"), tmp_path)
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(target)], Collector(), max_rejected_fraction=1.0)
    (problem,) = failed.value.report.rejected
    assert problem.row == 1 and "columns not in the file" in str(problem.errors)


def test_a_meeting_guide_sheet_with_its_groups_name_above_the_heading(tmp_path):
    source = os.path.join(FIXTURES, "meeting_guide_csv", "district.csv")
    with open(source, "rb") as fh:
        text, _encoding = decode(fh.read())
    target = tmp_path / "district.csv"
    target.write_text("District 12 meetings,,,\nUpdated 2024-05-01,,,\n" + text,
                      encoding="utf-8")
    assert detect(str(target)) is FORMATS["meeting-guide-csv"]
    collector = Collector()
    report = pipeline.run([str(target)], collector, max_rejected_fraction=1.0)
    found = {k: {f: v for f, v in r.items() if f != "updated_at"}
             for k, r in collector.records.items()}
    assert found and found == _records(source)
    assert any("csv:title-rows: rows 1-2 above the heading row skipped" in w
               for w in report.warnings)

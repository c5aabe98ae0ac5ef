"""CSV lists (naloxone sites, take-back boxes, treatment lists) plus a column-mapping file.

Public lists arrive as whatever a spreadsheet exported: UTF-8 or latin-1, CRLF or CR-only
line endings, attributes buried in an HTML cell. The mapping (YAML or JSON, checked by
`csv_mapping.MappingSchema`) says which column feeds which of our fields; see
docs/importers.md. The mapping is `--mapping FILE`, or found beside the CSV as
`<name>.mapping.yaml|yml|json`. Row numbers in reports are spreadsheet rows (header = 1).
"""
import copy
import csv
import io
import os
import re

from indexer.formats import common, csv_mapping, hours_text, sheets
from indexer.problems import RowProblem

DELIMITERS = (",", ";", "\t")
# How far down a sheet its heading row is looked for, below a title or a date.
TITLE_ROWS = 10
HTML_PAIR = re.compile(r"<strong>\s*([^<:]+?)\s*:\s*</strong>\s*([^<]*)", re.I)
TRUTHY = {"true", "yes", "y", "1", "x"}
CONVERT = {"address.postal_code": common.postal_code, "address.state": common.state,
           "location.lat": common.coordinate, "location.lon": common.coordinate,
           "source_updated_at": common.timestamp}


def mapping_path(path, options=None):
    if options is not None and options.mapping:
        return options.mapping
    stem = os.path.splitext(path)[0]
    for suffix in (".mapping.yaml", ".mapping.yml", ".mapping.json"):
        if os.path.exists(stem + suffix):
            return stem + suffix
    return None


def detect(path, head):
    return sheets.is_sheet(path) and mapping_path(path) is not None


def why_not(path, head):
    """A CSV (or workbook) that no other format claims needs a column mapping: say where
    it goes; an old binary .xls needs saving as .xlsx or CSV first."""
    if path.lower().endswith(".xls"):
        return ("an Excel 97-2003 workbook (.xls) is not read: save it as .xlsx or CSV "
                "and run again")
    if sheets.is_sheet(path) and mapping_path(path) is None:
        stem = os.path.splitext(os.path.basename(path))[0]
        what = "a workbook" if sheets.is_workbook(path) else "a CSV"
        return (f"{what} of our own needs a column mapping: write {stem}.mapping.yaml beside "
                "it or pass --mapping (docs/importers.md, 'CSV'; examples in "
                "tests/fixtures/formats/realdata_mappings/)")
    return None


def delimiter(text, fits):
    """The cell separator of a CSV: of `,`, `;` (Excel where the decimal mark is a comma:
    Quebec, Europe) and tab (a TSV, Excel's "Unicode Text"), the one whose split of the
    first line `fits` best (a number: the columns it finds); a comma on a tie."""
    first = text.split("\n", 1)[0]
    return max(DELIMITERS, key=lambda d: (fits(next(csv.reader([first], delimiter=d), [])),
                                          d == ","))


def _finds_heading(content, mapping):
    return heading_row(content, mapping, fallback=False) is not None


def heading_row(content, mapping, fallback=True):
    """(rows above the heading, separator): a published sheet often has a title, a date or
    a blank row above its heading ("Naloxone sites, updated May 2024"); the heading is the
    first of the first TITLE_ROWS lines that holds every mapped column, else the first."""
    for index, line in enumerate(content.split("\n", TITLE_ROWS)[:TITLE_ROWS]):
        for separator in DELIMITERS:
            cells = next(csv.reader([line], delimiter=separator), [])
            if len(cells) > 1 and not csv_mapping.missing_columns(mapping, cells):
                return index, separator
    if not fallback:
        return None
    return 0, delimiter(content, lambda header: -len(
        csv_mapping.missing_columns(mapping, header)))


def read(path, transform=None, options=None):
    where = mapping_path(path, options)
    if where is None:
        yield 0, RowProblem({"_file": ["no column mapping: pass --mapping or put "
                                       "<name>.mapping.yaml beside the CSV"]})
        return
    try:
        mapping = csv_mapping.load(where)
    except csv_mapping.MappingError as exc:
        yield 0, RowProblem({"_mapping": [str(exc)]})
        return
    if sheets.is_workbook(path):
        # A workbook's cells are text already; its sheet is the one with the mapped heading.
        title, content = sheets.worksheet(path, lambda text: _finds_heading(text, mapping))
        if title and title != sheets.sheet_titles(path)[0]:
            yield 0, common.Warned("csv:sheet", f"read the worksheet {title!r}, the first "
                                   "holding the mapped columns")
    elif mapping["encoding"] == "auto":
        content, used = sheets.text_of(path)
        if used == "latin-1":
            yield 0, common.Warned("csv:latin-1", "not UTF-8: read as latin-1")
    else:
        with open(path, "rb") as fh:
            content = fh.read().decode(mapping["encoding"])
    # Universal newlines: CR-only files (old Mac exports) become ordinary rows.
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    skipped, separator = heading_row(content, mapping)
    if skipped:
        first = next(csv.reader([content.split("\n", 1)[0]], delimiter=separator), [])
        title = " ".join(" ".join(first).split())[:60]
        yield 1, common.Warned("csv:title-rows", f"row{'s 1-' if skipped > 1 else ' '}"
                               f"{skipped} above the heading row skipped ({title!r})")
        content = content.split("\n", skipped)[-1]
    reader = csv.DictReader(io.StringIO(content), delimiter=separator)
    missing = csv_mapping.missing_columns(mapping, reader.fieldnames or [])
    if missing:
        yield 1, RowProblem({"_header": [f"columns not in the file: {', '.join(missing)}"]})
        return
    seen = {}  # hash of a whole row -> its spreadsheet row
    for number, row in enumerate(reader, start=2 + skipped):
        whole = common.stable_hash(*row.values())
        if whole in seen:
            # The same line pasted twice is one place, not two records fighting for an id.
            yield number, common.Warned("csv:repeated-row", f"repeats row {seen[whole]} "
                                        "exactly: loaded once")
            continue
        seen[whole] = number
        if mapping["html_cell"]:
            row.update(dict(HTML_PAIR.findall(row.get(mapping["html_cell"]) or "")))
        yield from ((number, item) for item in map_row(row, mapping, options.feed
                                                        if options else None))


def map_row(row, mapping, feed=None):
    record = {"kind": mapping["kind"], "source": dict(mapping["source"])}
    for target, value in mapping["defaults"].items():
        # A copy per row: a default that is a dict (`address: {state: NY}`) would be the
        # one dict of every row, each row's street and city written into it, so a row
        # without a street showed the row before's, and rows read ahead all the last's.
        _set(record, target, copy.deepcopy(value))
    for target, columns in mapping["columns"].items():
        if target in mapping["lists"]:
            yield from _list_target(record, row, mapping, target, columns)
            continue
        value = ", ".join(v for v in (common.text(row.get(c)) for c in columns) if v) or None
        value = CONVERT.get(target, _same)(value)
        if value is None:
            continue
        table = mapping["values"].get(target)
        if table is not None:
            key = csv_mapping.label_key(value)
            if key not in table:
                yield common.Warned(f"{target}:{value}", f"{target} value {value!r} not in "
                                    "the mapping's value table")
                continue
            value = table[key]
        elif target in mapping["booleans"]:
            value = value.strip().lower() in TRUTHY
        _set(record, target, value)
    for target, rule in mapping["classify"].items():
        text = " ".join(row.get(c) or "" for c in rule["columns"])
        found = next((v for v, pattern in rule["patterns"].items()
                      if re.search(pattern, text, re.I)), rule.get("default"))
        if found is not None:
            _set(record, target, found)
    notes = [sentence for column, sentence in mapping["describe"].items()
             if (row.get(column) or "").strip().lower() in TRUTHY]
    if mapping["hours_column"]:
        text = common.text(row.get(mapping["hours_column"]))
        read = hours_text.hours_from_text(text) if text else None
        if read is not None:
            record["hours"] = read
        if text and not read or read and not read["open_24_7"]:
            # Kept in words too: what the reading leaves out (holidays, appointments).
            notes.append(f"Hours: {text}")
        if text and not read:
            yield common.Warned("hours:words", f"hours {text[:80]!r} not read as opening "
                                "times (kept in the description): open now cannot answer")
    if notes:
        record["description"] = " ".join(filter(None, [record.get("description")] + notes))
    source_id = common.id_part(row.get(mapping["id_column"])) if mapping["id_column"] else None
    source_id = source_id or common.stable_hash(*(row.get(c) for c in mapping["hash_columns"]))
    # One mapping may serve many files (--mapping), whose id columns are local to each:
    # the feed keeps their ids apart (docs/importers.md).
    record["id"] = ":".join(p for p in (mapping["prefix"], feed, source_id) if p)
    record["source"]["id"] = source_id
    yield record


def labels(cell, separators):
    """The labels of one cell: split on every separator, blanks dropped."""
    parts = [cell or ""]
    for separator in separators:
        parts = [piece for part in parts for piece in part.split(separator)]
    return [p.strip() for p in parts if csv_mapping.label_key(p)]


def codes_for(label, mapping, target):
    """Our codes for one label: the value table first, else every matching pattern.

    None when the label is unknown; [] when the mapping knows it and maps it to nothing.
    """
    table = mapping["values"].get(target)
    key = csv_mapping.label_key(label)
    if table is not None and key in table:
        return table[key]
    rules = mapping["patterns"].get(target)
    matched = [codes for pattern, codes in rules or () if pattern.search(key)]
    if matched:
        return list(dict.fromkeys(code for codes in matched for code in codes))
    if table is None and not rules:
        return [label.strip()]  # the cell holds our codes already; the schema checks them
    return None


def _list_target(record, row, mapping, target, columns):
    """Fill a list field (or `populations`) from label cells; unknown labels are Warned."""
    found = []
    for column in columns:
        for label in labels(row.get(column), mapping["separators"]):
            codes = codes_for(label, mapping, target)
            if codes is None:
                yield common.Warned(f"{target}:{label}", f"{target} label {label!r} "
                                    f"(column {column!r}) is not in the mapping")
                continue
            found += codes
    if not found:
        return
    if target == "populations":
        _set_populations(record, found)
        return
    *parents, last = target.split(".")
    holder = record
    for name in parents:
        holder = holder.setdefault(name, {})
    holder[last] = list(dict.fromkeys(list(holder.get(last) or []) + found))


def _set_populations(record, codes):
    populations = record.setdefault("populations", {})
    genders = {c for c in codes if c in ("men", "women")}
    if len(genders) == 1:
        populations["genders"] = genders.pop()
    elif genders:
        populations["genders"] = "any"
    for code in codes:
        if code not in ("men", "women"):
            populations[code] = True


def _same(value):
    return value


def _set(record, path, value):
    *parents, last = path.split(".")
    target = record
    for name in parents:
        target = target.setdefault(name, {})
    target[last] = value

"""The outcomes as flat rows: one CSV for spreadsheets, the same numbers as the JSON.

Holds: a row per group and a last `total` row. Freshness: a row per snapshot. A cell
that a spreadsheet would run as a formula (a group label starting with `=`, `+`, `-`, `@`,
or a tab or carriage return before one: OWASP's list) is written with a leading apostrophe.
"""
import csv
import io

from directory_service.outcomes.figures import REASONS
from directory_service.outcomes.freshness import BANDS

DURATIONS = ("decision_minutes", "opening_to_hold_minutes")
HOLD_COLUMNS = (("row", "group_by", "group", "name", "placed", "confirmed", "declined")
                + tuple(f"declined_{reason}" for reason in REASONS) + ("expired", "active")
                + tuple(f"{d}_{part}" for d in DURATIONS for part in ("count", "median", "p90")))
FRESHNESS_COLUMNS = (("taken_at", "facilities") + BANDS
                     + tuple(f"{band}_share" for band in BANDS))
TABLES = ("holds", "freshness")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def hold_row(kind, group_by, group, figures):
    """One group's (or the total's) figures as a flat dict of HOLD_COLUMNS."""
    row = {"row": kind, "group_by": group_by, "group": group, "name": figures.get("name"),
           **{k: figures[k] for k in ("placed", "confirmed", "declined", "expired", "active")}}
    row.update({f"declined_{r}": n for r, n in figures["declined_by_reason"].items()})
    for duration in DURATIONS:
        row.update({f"{duration}_{part}": value
                    for part, value in figures[duration].items()})
    return row


def hold_rows(result):
    rows = [hold_row("group", result["group_by"], g["group"], g) for g in result["groups"]]
    return rows + [hold_row("total", result["group_by"], None, result["totals"])]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_LEADS:
        return "'" + value
    return value


def to_csv(result, table="holds"):
    """The CSV text of one table of an outcomes result."""
    columns, rows = ((HOLD_COLUMNS, hold_rows(result)) if table == "holds"
                     else (FRESHNESS_COLUMNS, result["freshness"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()

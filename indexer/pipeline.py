"""read → validate → write new index → swap (DESIGN §2, §7).

Every row goes through the marshmallow record schema. A bad row is reported with file, row
and field and skipped; the good rows still load. The new index is built beside the old one
and swapped in only at the end, so a crash, an unreadable file or too many rejected rows
leave the previous index serving.
"""
import csv
import json
import os
from collections import Counter, deque
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from tqdm import tqdm

from directory_service.schemas.records import RecordSchema
from directory_service.search.embedded.load_apart import load_rows
from indexer import file_checks, formats
from indexer.dedupe import Deduper, place_key
from indexer.formats import sheets
from indexer.formats.common import ImportOptions, Warned, feed_name
from indexer.geocode import Placer
from indexer.problems import Report
from indexer.row_step import RowStep
from indexer.serving import Serving


@dataclass
class ImportReport(Report):
    """Report plus, per file, the top rejection reasons and warning codes, and the merges."""

    # file -> {"rejected": Counter of reasons, "warnings": Counter of codes}
    tallies: dict = field(default_factory=dict)
    merged: list = field(default_factory=list)   # row_step.Merge, one per id that merged
    not_kept: list = field(default_factory=list)  # published ids this run drops (they 404)
    # A dry run's findings that would stop a real run (the shrink guard): reported, not
    # raised, since a dry run never swaps and is how an operator checks a file first.
    would_stop: list = field(default_factory=list)

    def file(self, path):
        self.count(path, "read", 0)
        return self.tallies.setdefault(path, {"rejected": Counter(), "warnings": Counter()})


class IndexRunFailed(Exception):
    """The run stopped before the swap; the previous index is still the one serving."""

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


# What a folder load reads: not .txt, which folders also hold as notes and READMEs.
FOLDER_SUFFIXES = (".ndjson", ".jsonl", ".json", ".csv", ".tsv", ".xls") + sheets.WORKBOOK_SUFFIXES


def source_files(paths):
    """Files to load, in a stable order: directories are walked, manifests skipped."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                if "datapackage.json" in names:
                    # A tabular package (HSDS) is one source, read through its descriptor.
                    found.append(os.path.join(root, "datapackage.json"))
                    dirs.clear()
                    continue
                # Workbooks too (an old .xls fails the run saying to save it as .xlsx,
                # rather than its list going missing), but not the "~$name.xlsx" lock
                # file Excel leaves beside a workbook it has open.
                found += [os.path.join(root, n) for n in names
                          if n.lower().endswith(FOLDER_SUFFIXES)
                          and n.lower() != "manifest.json" and not n.startswith("~$")
                          and not n.lower().endswith(".mapping.json")]
        elif os.path.exists(path):
            found.append(path)
        else:
            raise IndexRunFailed(f"{path}: no such file or directory")
    return sorted(found)


def bed_time_shift(path, now):
    """Seconds to add to bed `reported_at` for a seed directory whose manifest asks for it.

    Seed files are written once; shifting their report times to "as if reported just now"
    keeps the demo's mix of fresh, aging and stale beds true whenever it is loaded.
    """
    manifest = os.path.join(os.path.dirname(path), "manifest.json")
    if not os.path.exists(manifest):
        return 0.0
    with open(manifest, encoding="utf-8") as fh:
        info = json.load(fh)
    if not info.get("rebase_bed_times"):
        return 0.0
    as_of = datetime.fromisoformat(info["as_of"].replace("Z", "+00:00"))
    return (now - as_of).total_seconds()


def _shifter(seconds):
    if not seconds:
        return None

    def shift(row):
        for bed in (row.get("beds") or []) if isinstance(row, dict) else []:
            if isinstance(bed, dict) and bed.get("reported_at"):
                at = datetime.fromisoformat(bed["reported_at"].replace("Z", "+00:00"))
                bed["reported_at"] = _iso(at.timestamp() + seconds)
        return row

    return shift


def _iso(epoch):
    moment = datetime.fromtimestamp(epoch, timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def read_rows(module, path, transform, options):
    """(row number, row) of one file; a file that cannot be read as text fails the run.

    A wrong encoding or an I/O error is about the whole file, not a row: reporting it
    as one rejected row would let the run swap in a directory without that file."""
    number = 0
    try:
        for number, row in module.read(path, transform=transform, options=options):
            yield number, row
    except UnicodeDecodeError as exc:
        where = f"after row {number}" if number else "before its first row"
        raise IndexRunFailed(
            f"{path}: not UTF-8 text ({exc.encoding} cannot decode byte "
            f"0x{exc.object[exc.start]:02x} {where}); save it as UTF-8 and run again") from None
    except OSError as exc:
        raise IndexRunFailed(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except sheets.UnreadableWorkbook as exc:
        raise IndexRunFailed(f"{path}: {exc}; the previous index keeps serving") from None
    except csv.Error as exc:
        # A cell over the CSV reader's 128 KB limit, a NUL byte: the file cannot be read
        # past that point, so the run fails naming it (the rows after would be lost).
        where = f"after row {number}" if number else "before its first row"
        raise IndexRunFailed(f"{path}: unreadable as CSV {where} ({exc}); fix the file and "
                             "run again") from None
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        # A row's odd value is the row's problem (formats.common.guarded); this is a file
        # whose structure (an HSDS package's tables, a feed's format list) is not the
        # format's: the run fails naming the file rather than as a bare TypeError.
        where = f"after row {number}" if number else "before its first row"
        raise IndexRunFailed(
            f"{path}: not the shape of a {formats.name_of(module)} file {where} "
            f"({type(exc).__name__}: {exc}); the previous index keeps serving"
        ) from None


def _entries(files, fmt, options, now, bar):
    """Every file's rows as (path, row number, entry), in order, and between them what
    happens to the report at a file's start and end (a function of the report), a file
    that fails the run included: that raises when its turn comes, so the rows before it
    are reported as they would be without reading ahead (`_load_all`)."""
    for path in files:
        nothing = file_checks.empty(path)
        if nothing:
            # One feed with no meetings today must not stop the other feeds' run.
            yield lambda report, _step, path=path: report.file(path)
            yield path, 0, Warned("file:empty", nothing)
            yield _END_FILE
            continue
        try:
            module = formats.FORMATS[fmt] if fmt else (
                formats.FORMATS["csv"] if options.mapping and sheets.is_sheet(path)
                else formats.detect(path))
        except csv.Error as exc:  # a detector that reads the whole file (BMLT's CSV)
            yield _failure(IndexRunFailed(f"{path}: unreadable as CSV ({exc}); fix the file "
                                          "and run again"))
            return
        if module is None:
            yield _failure(IndexRunFailed(formats.unrecognised(path)))
            return
        cut = file_checks.truncated(path)
        if cut:
            yield _failure(IndexRunFailed(f"{cut}; the previous index keeps serving"))
            return
        transform = _shifter(bed_time_shift(path, now))
        yield lambda report, _step, path=path: report.file(path)
        file_options = replace(options, feed=options.feed or feed_name(path))
        bar.set_description(os.path.basename(path))
        items = 0
        try:
            for number, row in read_rows(module, path, transform, file_options):
                yield path, number, row
                bar.update(1)
                items += 1
        except IndexRunFailed as exc:  # not text, unreadable: no report, as before
            yield _failure(exc, with_report=False)
            return
        if not items:
            # A header-only sheet or an empty answer: say so, as for an empty file.
            yield path, 0, Warned("file:empty", (
                f"{os.path.basename(path)} has no rows: nothing to load from it"))
        yield _END_FILE


def _END_FILE(report, step):
    step.end_file(report)


def _failure(exc, with_report=True):
    def fail(report, _step):
        if with_report:
            exc.report = report
        raise exc
    return fail


def _load_all(step, report, entries):
    """Each entry placed (`step.prepare`), validated and encoded (load_apart.py: in a
    second process from 20,000 rows on, rows read and placed a few batches ahead) and
    completed (`step.complete`) in order, so the report reads as one row at a time."""
    pending = deque()

    def to_load():
        for entry in entries:
            if callable(entry):
                pending.append((entry, None))
                continue
            prepared = step.prepare(*entry)
            pending.append((entry, prepared))
            if prepared[0]:
                yield entry[2]

    def complete(loaded=None):
        while pending:
            entry, prepared = pending.popleft()
            if prepared is None:
                entry(report, step)
                continue
            if prepared[0]:
                step.complete(report, *entry, prepared, loaded)
                return
            step.complete(report, *entry, prepared)

    # closing: a failure here stops the process at once, not when the traceback goes.
    with closing(load_rows(step.schema, to_load(), place_key)) as loaded_rows:
        for loaded in loaded_rows:
            complete(loaded)
    complete()


def shrink_check(report, serving, max_shrink_fraction, dry_run=False):
    """Refuse a run that would drop more than `max_shrink_fraction` of the records
    serving now (ids neither written again nor kept as aliases): a cut or wrong file
    must not silently replace the directory. `--allow-shrink` lifts it. A dry run swaps
    nothing, so it is not refused: the report says a real run would be."""
    serving_count = len(serving.ids)
    dropped = len(report.not_kept)
    if serving_count and dropped > max_shrink_fraction * serving_count:
        why = (f"this run would drop {dropped} of the {serving_count} records serving now "
               f"({dropped / serving_count:.0%}, more than {max_shrink_fraction:.0%})")
        if dry_run:
            report.would_stop.append(f"{why}; swapping it in needs --allow-shrink (or a "
                                     "larger --max-shrink-fraction)")
            return
        raise IndexRunFailed(f"{why}; if that is intended, run again with --allow-shrink; "
                             "the previous index keeps serving", report)


def run(paths, writer, *, dry_run=False, max_rejected_fraction=0.25, progress=None,
        fmt=None, now=None, options=None, placer=None, dedupe=True, serving=None,
        max_shrink_fraction=0.5, allow_shrink=False):
    """Load `paths` through `writer` (a store index writer). Returns an ImportReport.

    Rows without coordinates are placed by `placer` (offline gazetteer by default); with
    `dedupe`, the same place from two sources is merged (indexer/dedupe.py) under the id
    that already serves according to `serving` (indexer/serving.py; None: nothing is
    published yet). Records without `updated_at` get their source's update time, else the
    run's time, so `modified_after` exports have something to compare.

    An empty file (file_checks.empty) is a `file:empty` warning, not a failure.
    Raises IndexRunFailed, without swapping, when a file looks truncated or cannot be
    read as text, when nothing valid was read, when more than `max_rejected_fraction` of
    the rows were rejected, or (unless `allow_shrink`) when more than
    `max_shrink_fraction` of the records serving now would be dropped (a dry run lists
    that in `report.would_stop` instead).
    """
    now = now or datetime.now(timezone.utc)
    options = options or ImportOptions()
    placer = placer or Placer(default_timezone=options.timezone)
    serving = serving or Serving()
    step = RowStep(RecordSchema(), writer, placer, Deduper(serving) if dedupe else None,
                   serving, _iso(now.timestamp()), dry_run)
    report = ImportReport()
    files = source_files(paths)
    if not files:
        raise IndexRunFailed("no source files found")
    show = progress if progress is not None else False
    with writer:
        # Rows, not files: one big feed is the long run a progress bar is for.
        bar = tqdm(unit=" rows", disable=not show, leave=False, mininterval=0.5)
        _load_all(step, report, _entries(files, fmt, options, now, bar))
        bar.close()
        placer.close()
        step.finish(report)
        report.not_kept = step.published_not_kept()
        total = report.written + report.total("merged") + len(report.rejected)
        if report.written == 0:
            empties = sum(1 for path in files if report.file(path)["warnings"]["file:empty"])
            why = f" ({empties} of {len(files)} files empty)" if empties else ""
            raise IndexRunFailed(f"no valid rows{why}; the previous index keeps serving",
                                 report)
        if len(report.rejected) > max_rejected_fraction * total:
            raise IndexRunFailed(
                f"{len(report.rejected)} of {total} rows rejected (more than "
                f"{max_rejected_fraction:.0%}); the previous index keeps serving", report)
        if not allow_shrink:
            shrink_check(report, serving, max_shrink_fraction, dry_run)
        if not dry_run:
            writer.commit({"sources": json.dumps(files)})
            report.swapped = True
    for leftover in getattr(writer, "removed_leftovers", ()):
        report.warnings.append(f"removed {leftover}, left by an index run that died")
    return report

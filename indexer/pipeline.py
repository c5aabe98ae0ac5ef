"""read → validate → write new index → swap (DESIGN §2, §7).

Every row goes through the marshmallow record schema. A bad row is reported with file, row
and field and skipped; the good rows still load. The new index is built beside the old one
and swapped in only at the end, so a crash, an unreadable file or too many rejected rows
leave the previous index serving.
"""
import json
import os
from datetime import datetime, timezone

from marshmallow import ValidationError
from tqdm import tqdm

from directory_service.schemas.records import RecordSchema
from indexer import formats
from indexer.problems import Rejected, Report, RowProblem


class IndexRunFailed(Exception):
    """The run stopped before the swap; the previous index is still the one serving."""

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


def source_files(paths):
    """Files to load, in a stable order: directories are walked, manifests skipped."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for root, _dirs, names in os.walk(path):
                found += [os.path.join(root, n) for n in names
                          if n.endswith((".ndjson", ".jsonl", ".json", ".csv"))
                          and n != "manifest.json"]
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


def run(paths, writer, *, dry_run=False, max_rejected_fraction=0.25, progress=None,
        fmt=None, now=None):
    """Load `paths` through `writer` (a store index writer). Returns a Report.

    Raises IndexRunFailed, without swapping, when nothing valid was read or more than
    `max_rejected_fraction` of the rows were rejected.
    """
    now = now or datetime.now(timezone.utc)
    report = Report()
    schema = RecordSchema()
    files = source_files(paths)
    if not files:
        raise IndexRunFailed("no source files found")
    show = progress if progress is not None else False
    with writer:
        bar = tqdm(total=len(files), unit="file", disable=not show, leave=False)
        for path in files:
            module = formats.FORMATS[fmt] if fmt else formats.detect(path)
            if module is None:
                raise IndexRunFailed(f"{path}: format not recognised (use --format)", report)
            transform = _shifter(bed_time_shift(path, now))
            for number, row in module.read(path, transform=transform):
                _one_row(report, schema, writer, path, number, row, dry_run)
            bar.update(1)
        bar.close()
        report.warnings += [f"duplicate id {d}: the later row replaced the earlier"
                            for d in writer.duplicates]
        total = report.loaded + len(report.rejected)
        if report.loaded == 0:
            raise IndexRunFailed("no valid rows; the previous index keeps serving", report)
        if len(report.rejected) > max_rejected_fraction * total:
            raise IndexRunFailed(
                f"{len(report.rejected)} of {total} rows rejected (more than "
                f"{max_rejected_fraction:.0%}); the previous index keeps serving", report)
        if not dry_run:
            writer.commit({"sources": json.dumps(files)})
            report.swapped = True
    return report


def _one_row(report, schema, writer, path, number, row, dry_run):
    if isinstance(row, RowProblem):
        report.rejected.append(Rejected(path, number, None, row.errors))
        report.count(path, "rejected")
        return
    try:
        record = schema.load(row)
    except ValidationError as exc:
        record_id = row.get("id") if isinstance(row, dict) else None
        report.rejected.append(Rejected(path, number, record_id, exc.messages))
        report.count(path, "rejected")
        return
    report.loaded += 1
    report.count(path, "loaded")
    if not dry_run:
        writer.add(record)

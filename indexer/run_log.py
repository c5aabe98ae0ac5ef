"""The last index run's report, kept as a small JSON file for the administrator's page.

The command line prints the report and forgets it; an administrator who did not run it
still needs to see what was loaded, merged and rejected, and why. The file lives beside
the embedded store (`<STORE_PATH's folder>/last-index-run.json`) and is replaced whole
(written to a temporary file, then renamed), so a reader never sees half of it.
"""
import json
import os
import tempfile
from collections import Counter
from datetime import datetime, timezone

FILE_NAME = "last-index-run.json"
MAX_REJECTED_LINES = 200


def path_for(settings):
    return os.path.join(os.path.dirname(os.path.abspath(settings.store_path)), FILE_NAME)


def summary(report, failure=None, dry_run=False, now=None):
    """The report as plain data: counts per file, top reasons, the first rejected rows."""
    reasons, warned = Counter(), Counter()
    for tally in getattr(report, "tallies", {}).values():
        reasons.update(tally.get("rejected", {}))
        warned.update(tally.get("warnings", {}))
    lines = [line for rejected in report.rejected for line in rejected.lines()]
    return {
        "finished_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "outcome": "failed" if failure else ("dry_run" if dry_run else "swapped"),
        "failure": failure,
        "files": report.files,
        "loaded": report.loaded,
        "replaced": report.total("replaced"),
        "merged": report.total("merged"),
        "rejected": len(report.rejected),
        "warnings": len(report.warnings),
        "warned": report.total("warned"),
        "top_reasons": reasons.most_common(10),
        "top_warnings": warned.most_common(10),
        "rejected_rows": lines[:MAX_REJECTED_LINES],
        "rejected_rows_left_out": max(0, len(lines) - MAX_REJECTED_LINES),
    }


def save(settings, report, failure=None, dry_run=False):
    """Write the run's summary; a failure to write is returned, never raised (the run's
    own outcome matters more than its record)."""
    target = path_for(settings)
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(summary(report, failure, dry_run), out, indent=1, default=str)
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; the web server must read it
        os.replace(temporary, target)
    except OSError as exc:
        return f"could not keep the run's report in {target}: {exc.strerror}"
    return None


def load(settings):
    """The last run's summary, or None when no run has been recorded (or it is unreadable)."""
    try:
        with open(path_for(settings), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None

"""`python -m indexer load PATH...` and `python -m indexer export` (console script too).

Exit status: 0 when every row loaded; 1 when rows were rejected (unless
--allow-rejected); 2 when the run failed and the previous index keeps serving. A failure
of any kind, expected or not (a truncated or non-UTF-8 file, a read-only target, a bug),
is one line on stderr saying why, never a traceback (`--debug` shows one), and exit 2:
exit 1 means "rows rejected" and nothing else.
"""
import os
import sys
import traceback

import click

from directory_service.config import Settings
from directory_service.search.store import StoreError
from directory_service import vocab
from directory_service.geocoder import make_geocoder
from indexer import export as exporter, pipeline, run_event, run_log
from indexer.formats import FORMATS
from indexer.formats.common import ImportOptions
from indexer.geocode import Placer
from indexer.output_file import write_atomically
from indexer.serving import Serving
from indexer.writers import open_writer


@click.group()
def main():
    """Load the directory into the search store."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--allow-rejected", is_flag=True,
              help="Exit 0 even when some rows were rejected.")
@click.option("--max-rejected-fraction", default=0.25, show_default=True, type=float,
              help="Fail (no swap) when more than this share of rows is rejected.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="Source format; detected from each file when omitted.")
@click.option("--store", "store_path", default=None,
              help="Embedded store file (default: STORE_PATH).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--kind", type=click.Choice(vocab.KINDS), default=None,
              help="HSDS: the kind every service becomes when its taxonomy does not say.")
@click.option("--fellowship", type=click.Choice(vocab.FELLOWSHIPS), default=None,
              help="Meeting Guide/BMLT: the feed's fellowship (default: what the feed's "
                   "names, web sites and types say; 'other', warned, when they say nothing).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV: the column-mapping file (default: <name>.mapping.yaml beside it).")
@click.option("--timezone", "zone", default=None,
              help="IANA zone for rows that name none and cannot be placed in one.")
@click.option("--region", default=None,
              help="Meetings: where online-only meetings naming a place but no state are "
                   "pinned when the feed's other meetings do not tell (e.g. 'Marin County, CA').")
@click.option("--feed", default=None,
              help="Short name of the feed, part of every id it makes (default: the file "
                   "name, e.g. aasepia for aasepia.json).")
@click.option("--geocode-cache", type=click.Path(dir_okay=False), default=None,
              help="JSON file caching the configured geocoder's answers between runs.")
@click.option("--no-dedupe", is_flag=True, help="Keep the same place from two sources twice.")
@click.option("--max-shrink-fraction", default=0.5, show_default=True,
              type=click.FloatRange(0, 1),
              help="Fail (no swap) when the run would drop more than this share of the "
                   "records serving now.")
@click.option("--allow-shrink", is_flag=True,
              help="Swap in even when the run drops more than --max-shrink-fraction.")
@click.option("--debug", is_flag=True, help="Show the traceback of a crash.")
def load(paths, dry_run, allow_rejected, max_rejected_fraction, fmt, store_path, quiet,
         kind, fellowship, mapping, zone, region, feed, geocode_cache, no_dedupe,
         max_shrink_fraction, allow_shrink, debug):
    """Validate PATHS (files or directories) and swap them in as the new index."""
    try:
        overrides = {"store_path": store_path} if store_path else {}
        settings = Settings.from_env(**overrides)
        options = ImportOptions(kind=kind, fellowship=fellowship, mapping=mapping,
                                timezone=zone, feed=feed, region=region)
        placer = Placer(make_geocoder(settings), geocode_cache, default_timezone=zone)
        # What serves now decides which id a merged record keeps (a published id stays).
        serving = Serving.from_settings(settings)
        report = pipeline.run(paths, open_writer(settings), dry_run=dry_run, fmt=fmt,
                              max_rejected_fraction=max_rejected_fraction,
                              progress=not quiet and sys.stderr.isatty(),
                              options=options, placer=placer, dedupe=not no_dedupe,
                              serving=serving, max_shrink_fraction=max_shrink_fraction,
                              allow_shrink=allow_shrink)
    except (pipeline.IndexRunFailed, StoreError) as exc:
        if getattr(exc, "report", None) is not None:
            print_report(exc.report)
            _keep_report(settings, exc.report, failure=str(exc))
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; the previous index keeps serving")
    except Exception as exc:  # noqa: BLE001 — a crash is reported, not shown as a traceback
        if debug:
            traceback.print_exc()
        fail(f"{crash_reason(exc)}; the previous index keeps serving")
    print_report(report)
    _keep_report(settings, report, dry_run=dry_run)
    verb = "validated (dry run, nothing written)" if dry_run else "written and swapped in"
    click.echo(f"{report.written} records {verb}: {report.loaded} new, "
               f"{report.total('replaced')} replacing serving ones; "
               f"{report.total('merged')} merged; {len(report.rejected)} rejected; "
               f"{report.total('warned')} skipped with a warning; "
               f"{len(report.warnings)} warnings")
    if report.rejected and not allow_rejected:
        sys.exit(1)


def _keep_report(settings, report, failure=None, dry_run=False):
    """For the administrator's page (indexer/run_log.py); a warning if it cannot be kept.
    A dry run changes nothing that serves, so it leaves the last real run's report. A run
    that swapped in is also announced to partners' webhooks (indexer/run_event.py)."""
    if dry_run:
        return
    problem = run_log.save(settings, report, failure=failure, dry_run=dry_run)
    if failure is None and getattr(report, "swapped", False):
        problem = run_event.announce(settings, report) or problem
    if problem:
        click.echo(f"warning: {problem}", err=True)


def fail(message):
    """Exit 2 after one line saying why, last on stderr. A message's further lines (the
    records Elasticsearch refused) are details printed before it."""
    first, *details = message.strip().splitlines() or ["unknown error"]
    for line in details:
        click.echo(line, err=True)
    click.echo(f"index run failed: {first}", err=True)
    sys.exit(2)


def crash_reason(exc):
    """An unexpected error in one line: what kind, and its message (no traceback)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def print_report(report):
    """Rejected rows and warnings with file and row on stderr; per file on stdout: the
    counts (read = loaded + replaced + merged + rejected + warned), top reasons, merges."""
    for rejected in report.rejected:
        for line in rejected.lines():
            click.echo(f"rejected {line}", err=True)
    for warning in report.warnings:
        click.echo(f"warning {warning}", err=True)
    merges = {}
    for merge in getattr(report, "merged", []):
        merges.setdefault(merge.file, []).append(merge)
    for path, counts in report.files.items():
        click.echo(f"{path}: {counts['read']} read = {counts['loaded']} loaded + "
                   f"{counts['replaced']} replaced + {counts['merged']} merged + "
                   f"{counts['rejected']} rejected + {counts['warned']} warned; "
                   f"{counts['warnings']} warnings")
        tally = getattr(report, "tallies", {}).get(path, {})
        for label in ("rejected", "warnings"):
            for what, n in tally.get(label, {}).most_common(5) if tally else ():
                click.echo(f"  top {label}: {n} × {what}")
        for merge in merges.get(path, ()):
            click.echo(f"  {_merge_line(merge)}")
    for merge in merges.get(None, ()):
        click.echo(_merge_line(merge))
    not_kept = getattr(report, "not_kept", [])
    if not_kept:
        click.echo(f"{len(not_kept)} published ids are in no file of this run and will "
                   f"answer 404, e.g. {', '.join(sorted(not_kept)[:5])}")
    for reason in getattr(report, "would_stop", []):
        click.echo(f"a real run would stop here: {reason}")


def _merge_line(merge):
    if merge.outcome == "written":
        return (f"{merge.id} (row {merge.row}) is written as {merge.into}, the id already "
                "serving that place")
    if merge.outcome == "published":
        return f"published id {merge.id} merged into {merge.into}: it redirects there"
    return f"merged {merge.id} (row {merge.row}) into {merge.into}"


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(exporter.FORMATS), default="ndjson",
              show_default=True)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(vocab.KINDS),
              help="Only these kinds (repeatable); all when omitted.")
@click.option("--modified-after", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z",
                                                               "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
              default=None, help="Only records updated after this time (UTC when no zone).")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Output file, written whole or not at all (default: standard output).")
@click.option("--store", "store_path", default=None,
              help="Embedded store file (default: STORE_PATH, relative to the working "
                   "directory).")
@click.option("--debug", is_flag=True, help="Show the traceback of a crash.")
def export_command(fmt, kinds, modified_after, out, store_path, debug):
    """Stream the directory as NDJSON, GeoJSON or HSDS 3.0 JSON.

    Exit 2 with one line on stderr when it fails (no store there, a store that cannot be
    read, an output that cannot be written); a file given with --out is then untouched.
    """
    from directory_service.search import open_store

    try:
        overrides = {"store_path": store_path} if store_path else {}
        settings = Settings.from_env(**overrides)
        store = open_store(settings)
        try:
            if not store.exists():
                raise StoreError(_no_store(settings))
            chunks = exporter.stream(store, fmt, kinds, exporter.aware(modified_after))
            if out == "-":
                for chunk in chunks:
                    click.get_text_stream("stdout").write(chunk)
            else:
                write_atomically(out, chunks)
        finally:
            store.close()
    except KeyboardInterrupt:
        _export_failed("interrupted", out)
    except Exception as exc:  # noqa: BLE001 — a crash is reported, not shown as a traceback
        if debug:
            traceback.print_exc()
        _export_failed(str(exc) if isinstance(exc, StoreError) else crash_reason(exc), out)


def _no_store(settings):
    if settings.uses_elasticsearch:
        return (f"no index behind the alias {settings.elasticsearch_index_prefix}: run the "
                "indexer first")
    return (f"no index at {os.path.abspath(settings.store_path)}: give --store or set "
            "STORE_PATH (a relative path is read from the working directory), or run the "
            "indexer first")


def _export_failed(reason, out):
    kept = "" if out == "-" else f"; {out} was not written"
    click.echo(f"export failed: {reason}{kept}", err=True)
    sys.exit(2)

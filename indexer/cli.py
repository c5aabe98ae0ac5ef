"""`python -m indexer load PATH...` (also the `directory-indexer` console script).

Exit status: 0 when every row loaded; 1 when rows were rejected (unless
--allow-rejected); 2 when the run failed and the previous index keeps serving.
"""
import sys

import click

from directory_service.config import Settings
from directory_service.search.store import StoreError
from indexer import pipeline
from indexer.formats import FORMATS
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
def load(paths, dry_run, allow_rejected, max_rejected_fraction, fmt, store_path, quiet):
    """Validate PATHS (files or directories) and swap them in as the new index."""
    overrides = {"store_path": store_path} if store_path else {}
    settings = Settings.from_env(**overrides)
    try:
        report = pipeline.run(paths, open_writer(settings), dry_run=dry_run, fmt=fmt,
                              max_rejected_fraction=max_rejected_fraction,
                              progress=not quiet and sys.stderr.isatty())
    except (pipeline.IndexRunFailed, StoreError) as exc:
        if getattr(exc, "report", None) is not None:
            print_report(exc.report)
        click.echo(f"index run failed: {exc}", err=True)
        sys.exit(2)
    print_report(report)
    verb = "validated (dry run, nothing written)" if dry_run else "loaded and swapped in"
    click.echo(f"{report.loaded} records {verb}; {len(report.rejected)} rejected; "
               f"{len(report.warnings)} warnings")
    if report.rejected and not allow_rejected:
        sys.exit(1)


def print_report(report):
    """Each rejected row with file, row and field on stderr; per-file counts on stdout."""
    for rejected in report.rejected:
        for line in rejected.lines():
            click.echo(f"rejected {line}", err=True)
    for warning in report.warnings:
        click.echo(f"warning {warning}", err=True)
    for path, counts in report.files.items():
        click.echo(f"{path}: {counts['loaded']} loaded, {counts['rejected']} rejected")

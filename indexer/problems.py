"""What an index run found wrong, row by row, for the report."""
from dataclasses import dataclass, field


@dataclass
class RowProblem:
    """A row that could not be read or mapped; `errors` is {field: [messages]}."""

    errors: dict


@dataclass
class Rejected:
    file: str
    row: int
    record_id: str | None
    errors: dict

    def lines(self):
        """One line per field: 'file:row field: message'."""
        where = f"{self.file}:{self.row}" + (f" ({self.record_id})" if self.record_id else "")
        for name, messages in _flatten(self.errors):
            yield f"{where} {name}: {'; '.join(messages)}"


# What happened to each entry an importer read; they add up to `read` (docs/importers.md).
OUTCOMES = ("loaded", "replaced", "merged", "rejected", "warned")


@dataclass
class Report:
    """Per file: read = loaded + replaced + merged + rejected + warned; plus `warnings`.

    loaded: written under an id new to the serving index; replaced: written under an id
    that was already serving; merged: the same place as another entry, whose record it
    joined (its id became an alias); rejected: invalid or a colliding id; warned: skipped
    with a warning that says why. `warnings` counts warning messages, which may also
    accompany loaded entries.
    """

    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    files: dict = field(default_factory=dict)  # file -> {"read": n, outcome: n, "warnings": n}
    swapped: bool = False

    def count(self, path, outcome, n=1):
        per_file = self.files.setdefault(path, dict.fromkeys(("read",) + OUTCOMES + (
            "warnings",), 0))
        per_file[outcome] += n
        if outcome in OUTCOMES:
            per_file["read"] += n

    def total(self, outcome):
        return sum(counts.get(outcome, 0) for counts in self.files.values())

    @property
    def loaded(self):
        """Entries written under an id that was not serving before this run."""
        return self.total("loaded")

    @property
    def written(self):
        """Records in the new index that came from this run's files."""
        return self.total("loaded") + self.total("replaced")


def _flatten(errors, prefix=""):
    """marshmallow's nested messages as ('beds.0.available', [msg, ...]) pairs."""
    if isinstance(errors, list) and all(isinstance(m, str) for m in errors):
        yield prefix or "_row", errors
        return
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, name)
        return
    yield prefix or "_row", [str(errors)]

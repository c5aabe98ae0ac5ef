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


@dataclass
class Report:
    loaded: int = 0
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    files: dict = field(default_factory=dict)  # file -> {"loaded": n, "rejected": n}
    swapped: bool = False

    def count(self, path, outcome):
        per_file = self.files.setdefault(path, {"loaded": 0, "rejected": 0})
        per_file[outcome] += 1


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

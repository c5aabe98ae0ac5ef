"""Our own format (docs/data-format.md): NDJSON, one record a line, or a JSON array.

Row numbers are line numbers for NDJSON and 1-based array positions for JSON arrays, so a
rejected row can be found in the file by the number the report gives.
"""
import json

from indexer.formats import common
from indexer.problems import RowProblem

SUFFIXES = (".ndjson", ".jsonl", ".json")


def detect(path, head):
    if not path.lower().endswith(SUFFIXES) or path.lower().endswith("manifest.json"):
        return False
    text = head.lstrip()
    if path.lower().endswith(".json"):
        # A canonical array holds objects carrying our `kind` discriminator.
        return text.startswith(b"[") and b'"kind"' in head
    return text.startswith(b"{") or text == b""


def read(path, transform=None, options=None):
    with open(path, encoding="utf-8") as fh:
        if path.lower().endswith(".json"):
            try:
                rows = json.loads(common.json_text(fh.read()))
            except json.JSONDecodeError as exc:
                yield exc.lineno, RowProblem({"_file": [f"invalid JSON: {exc.msg}"]})
                return
            except RecursionError:
                yield 0, RowProblem({"_file": ["JSON nested too deep to read"]})
                return
            if not isinstance(rows, list):
                yield 0, RowProblem({"_file": ["a canonical .json file must hold an array"]})
                return
            for number, row in enumerate(rows, start=1):
                yield number, transform(row) if transform else row
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, RowProblem({"_row": [f"invalid JSON: {exc.msg}"]})
                continue
            except RecursionError:
                yield number, RowProblem({"_row": ["JSON nested too deep to read"]})
                continue
            yield number, transform(row) if transform else row

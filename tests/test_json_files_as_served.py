"""JSON feeds as servers and Windows tools really save them (formats/common.json_text): a
byte-order mark in front, a JSONP wrapper around, a Meeting Guide array inside an object.
Each is detected as its format and loads the same records as the plain file."""
import json
import os

import pytest

from indexer import pipeline
from indexer.formats import FORMATS, detect
from tests.test_import_formats import FIXTURES, Collector

PLAIN = [("meeting_guide/feed.json", "meeting-guide"), ("samhsa/page.json", "samhsa"),
         ("bmlt/search.json", "bmlt"), ("hsds/service.json", "hsds")]


def _records(path):
    """The records a file loads, without `updated_at` (a row without its own date is
    dated at the run)."""
    writer = Collector()
    pipeline.run([path], writer, max_rejected_fraction=1.0)
    return {k: {f: v for f, v in r.items() if f != "updated_at"}
            for k, r in writer.records.items()}


def _written(tmp_path, source, data):
    path = tmp_path / os.path.basename(source)
    path.write_bytes(data)
    return str(path)


def _read(source, mode="rb"):
    with open(os.path.join(FIXTURES, source), mode, **({} if "b" in mode else
                                                        {"encoding": "utf-8"})) as fh:
        return fh.read()


@pytest.mark.parametrize("source, name", PLAIN)
def test_a_byte_order_mark_in_front_changes_nothing(tmp_path, source, name):
    raw = _read(source)
    path = _written(tmp_path, source, b"\xef\xbb\xbf" + raw)
    assert detect(path) is FORMATS[name]
    assert _records(path) == _records(os.path.join(FIXTURES, source))
    assert _records(path)


@pytest.mark.parametrize("source, name", PLAIN)
@pytest.mark.parametrize("wrapper", ["callback({})", "jQuery3600_1({});", "  cb ( {} ) ;\n"])
def test_a_jsonp_answer_is_read_as_its_json(tmp_path, source, name, wrapper):
    raw = _read(source, "r")
    path = _written(tmp_path, source, wrapper.replace("{}", raw).encode())
    assert detect(path) is FORMATS[name]
    assert _records(path) == _records(os.path.join(FIXTURES, source))


@pytest.mark.parametrize("key", ["meetings", "data", "results", "items"])
def test_a_meeting_guide_array_inside_an_object_is_the_feed(tmp_path, key):
    rows = json.loads(_read("meeting_guide/feed.json", "r"))
    path = _written(tmp_path, "feed.json", json.dumps({key: rows}).encode())
    assert detect(path) is FORMATS["meeting-guide"]
    assert _records(path) == _records(os.path.join(FIXTURES, "meeting_guide/feed.json"))


def test_a_broken_file_is_still_named_broken(tmp_path):
    # A mark and a wrapper are dropped; what is left must still be JSON, or the file is
    # refused as invalid JSON, as before.
    path = _written(tmp_path, "feed.json", b'\xef\xbb\xbfcallback([{"slug": "a", "day": 1,')
    (line, problem), = list(FORMATS["meeting-guide"].read(path))
    assert "invalid JSON" in problem.errors["_file"][0]

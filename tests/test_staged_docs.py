"""The index writer stages each record's JSON in a file (search/embedded/staged_docs.py,
issue 25) encoded by orjson: the stored document must stay the bytes json.dumps wrote, for
any JSON value a record may hold; and documents come back by arrival position."""
import json
import random
import struct

import pytest
from hypothesis import given, settings

from directory_service.search.embedded import staged_docs
from directory_service.search.embedded.staged_docs import StagedDocs, encode
from tests import factories
from tests.test_search_fast_json import JSON  # any JSON value, as drawn there


def classic(value):
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def test_orjson_is_installed_so_the_fast_path_is_what_these_tests_see():
    assert staged_docs.orjson is not None


@settings(max_examples=500, deadline=None)
@given(JSON)
def test_any_json_value_encodes_to_json_dumps_bytes(value):
    assert encode({"v": value}) == classic({"v": value})


def test_floats_of_every_magnitude_and_bit_pattern_encode_as_json_dumps_does():
    rng = random.Random(25)
    values = [1e15, 1e16, 9999999999999998.0, 1e-4, 1e-5, 0.0001234, 5e-324, -0.0, 0.0,
              1.7976931348623157e308, 41.881234, -87.6, 1e22, 0.1 + 0.2]
    for _ in range(20_000):
        values.append(rng.choice((1, -1)) * 10 ** rng.uniform(-30, 30))
        bits = struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if bits == bits and abs(bits) != float("inf"):
            values.append(bits)
    for value in values:
        assert encode({"lat": value, "x": [value]}) == classic({"lat": value, "x": [value]})


@pytest.mark.parametrize("value", [
    "café", "日本", "emoji \U0001F600", "del \x7f", "ctl \x00\x01\x1f\t\n\r\b\f", 'q"\\/',
    2 ** 64, -(2 ** 63) - 1, 2 ** 63, True, None, [], {}, "\ud800"])
def test_what_orjson_writes_otherwise_or_refuses_is_json_dumps_bytes(value):
    assert encode({"v": value, "w": [value]}) == classic({"v": value, "w": [value]})


def test_a_value_json_dumps_refuses_is_refused_as_before():
    from datetime import datetime

    with pytest.raises(TypeError):
        encode({"when": datetime(2026, 1, 1)})


def test_records_of_every_kind_encode_as_before():
    for record in (factories.facility("a"), factories.meeting("b"), factories.site("c"),
                   factories.site("d", kind="takeback_site")):
        assert encode(record) == classic(record)


def test_documents_come_back_by_arrival_position(tmp_path):
    docs = StagedDocs(str(tmp_path))
    written = [classic({"i": i, "pad": "x" * (i % 50)}) for i in range(1000)]
    for doc in written:
        docs.append(doc)
    read = docs.reader()
    assert len(docs) == 1000
    for i in random.Random(1).sample(range(1000), 1000):
        assert read(i) == written[i]
    docs.close()
    assert list(tmp_path.iterdir()) == []  # the file never had a name

"""The search answer's JSON, the same bytes as Flask's `jsonify` at a seventh of the cost.

`jsonify` (json.dumps with sorted keys, ASCII-only output, compact separators) was the
largest single cost of a served search after the store (issue 25). orjson encodes the
same body about six times faster; where its bytes could differ from json.dumps', this
module makes them equal or falls back to `jsonify` itself:

- non-ASCII text (orjson writes UTF-8, json.dumps `\\uXXXX` escapes, surrogate pairs
  above the BMP) and DEL (0x7f, escaped by json.dumps) are escaped afterwards, exactly
  as json.dumps escapes them; control characters are escaped alike by both;
- a float under 1e-4 in magnitude (json.dumps `1e-05`, orjson `0.00001` or `1e-5`) sends
  the body to `jsonify`: the answer's own figures are rounded to 4 places or fewer, so
  only a record's value could be one;
- anything orjson does not encode natively the same way (a non-string key, an int
  beyond 64 bits, a lone surrogate, a subclass of a JSON type, a date, a dataclass)
  raises in orjson and goes to `jsonify`;
- and so does every app whose JSON provider is not Flask's default in compact form
  (debug mode indents), and every environment without orjson installed.

NaN and infinities are not JSON: json.dumps writes the tokens NaN/Infinity (which JSON
parsers reject), orjson null. Search bodies hold none: records are validated finite and
the answer's components turn NaN into null (search/embedded/store.py).
`tests/test_search_fast_json.py` holds both to the same bytes.
"""
import json
import re

from flask import current_app
from flask.json.provider import DefaultJSONProvider

try:
    import orjson
except ImportError:  # pragma: no cover - an optional speed-up (setup.cfg installs it)
    orjson = None

if orjson is not None:
    OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS
               | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
    ENCODE_ERRORS = (TypeError, orjson.JSONEncodeError)
    DECODE_ERRORS = (ValueError, orjson.JSONDecodeError)
# A number token under 1e-4 as orjson writes it: 0.0000… or a one-digit negative exponent.
SMALL_FLOAT = re.compile(rb"(?:\A|[:,\[])-?(?:0\.0000|[0-9][0-9.]*e-[0-9](?![0-9]))")
ESCAPED = re.compile("[\x7f-\U0010ffff]")


def refuse(value):
    """orjson's `default`: any type it does not encode natively goes to json.dumps instead."""
    raise TypeError(type(value).__name__)


def escape_char(match):
    """json.dumps's ASCII escape of one matched character (a surrogate pair above U+FFFF)."""
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xd800 | (code >> 10):04x}\\u{0xdc00 | (code & 0x3ff):04x}"


def dumps(value):
    """`value` as json.dumps(value, sort_keys=True, separators=(",", ":")) encodes it (as
    ASCII bytes), or None where that cannot be promised without json.dumps itself."""
    if orjson is None:
        return None
    try:
        out = orjson.dumps(value, default=refuse, option=OPTIONS)
    except ENCODE_ERRORS:
        return None
    if (b"e-" in out or b"0.0000" in out) and SMALL_FLOAT.search(out):
        return None
    if not out.isascii() or b"\x7f" in out:
        out = ESCAPED.sub(escape_char, out.decode()).encode("ascii")
    return out


def loads_record(text):
    """A stored record's JSON as json.loads reads it, faster (orjson, or json.loads where
    orjson refuses the text: NaN, Infinity, a lone surrogate).

    For validated records only: orjson reads an integer beyond 64 bits as a float, and
    every integer of a record is bounded by its schema (schemas/records.py, Range; held
    by tests/test_search_fast_json.py), so none reaches it. Looking for such integers in
    the text instead cost four times the decoding."""
    if orjson is not None:
        try:
            return orjson.loads(text)
        except DECODE_ERRORS:
            pass
    return json.loads(text)


def _plain(app):
    provider = app.json
    return (type(provider) is DefaultJSONProvider and provider.sort_keys
            and provider.ensure_ascii
            and (provider.compact or (provider.compact is None and not app.debug)))


def response(value):
    """`jsonify(value)`, the same response, byte for byte."""
    app = current_app._get_current_object()
    body = dumps(value) if _plain(app) else None
    if body is None:
        return app.json.response(value)
    return app.response_class(body + b"\n", mimetype=app.json.mimetype)

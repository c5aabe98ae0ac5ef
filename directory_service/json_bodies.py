"""JSON request bodies read strictly where it matters and leniently where it does not.

- A UTF-8 byte-order mark in front of the body (some .NET and PowerShell clients write one)
  is skipped, as RFC 8259 §8.1 allows: the body is still the JSON it says.
- An object that names a key twice (`{"available": 3, "available": 0}`) is refused with the
  key named. Parsers disagree on which one wins (Python's the last, others the first), so a
  bed report could mean one thing to a proxy, a log or the sender's own test and another
  here; a 400 loses nothing and says what to fix.

`BodyParser` is webargs' Flask parser reading bodies this way; `Blueprint` is
flask-smorest's, parsing with it. Every API blueprint is made from `Blueprint`, and the
batch feed (availability/feed.py) reads its JSON with `loads`.
"""
import json

import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class DuplicateKey(json.JSONDecodeError):
    """A key named twice in one object; its message names the key, with no position."""

    def __init__(self, key):
        ValueError.__init__(self, f"the key {key!r} appears twice in one object")
        self.msg, self.doc, self.pos, self.lineno, self.colno = str(self), "(body)", 0, 1, 1


def _unique_keys(pairs):
    found = dict(pairs)
    if len(found) != len(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


def loads(raw):
    """The JSON value of a body (bytes or text): a leading byte-order mark skipped, a key
    named twice refused. Raises json.JSONDecodeError (DuplicateKey among them), or
    UnicodeDecodeError for bytes that are not UTF-8."""
    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    return json.loads(text.removeprefix("\ufeff"), object_pairs_hook=_unique_keys)


def why_unreadable(exc):
    """What is wrong with a body `loads` refused, for the client: the decoder's reason and
    place, never anything the body held."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte {exc.start} cannot be decoded)"
    return f"not valid JSON: {exc}" if exc else "not valid JSON"


class BodyParser(FlaskParser):
    """webargs' Flask parser, reading JSON bodies with `loads`."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        raw = req.get_data(cache=True)
        if not raw:
            return core.missing
        return loads(raw)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, its arguments parsed by BodyParser."""

    ARGUMENTS_PARSER = BodyParser()

"""JSON request bodies of the live-bed endpoints, refused early when absurdly nested.

Python's JSON decoder recurses once per level, so a body like `[[[[...]]]]` 1,000 deep
raises RecursionError, a server error. These endpoints' bodies nest at most three levels
(a feed is an array of row objects; a report is an object holding an array of rows), so
anything deeper than MAX_DEPTH is a 400 problem before any decoder sees it. The depth is
measured without recursion: strings are cut out, then brackets are counted.
"""
import functools
import re

import numpy as np
from flask import request

from directory_service.errors import ApiProblem

MAX_DEPTH = 8
# A string, or an unterminated one running to the end: every quote starts a match that
# succeeds, so the scan stays linear however the quotes and backslashes are arranged.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = np.frombuffer(b"[{", dtype=np.uint8)


def json_depth(raw):
    """How deep the arrays and objects in a JSON text nest (0 for a scalar)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    if len(brackets) <= 64:
        # A report's body ("{[{}]}"): a loop costs less than numpy's set-up (issue 25).
        depth, deepest = 0, -len(brackets)
        for code in brackets:
            depth += 1 if code in b"[{" else -1
            deepest = max(deepest, depth)
        return deepest
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where(np.isin(codes, _OPENERS), 1, -1)
    return int(np.cumsum(steps).max())


def refuse_deep_json(max_depth=MAX_DEPTH):
    """Raise a 400 problem if the request's JSON body nests deeper than `max_depth`."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        return
    depth = json_depth(request.get_data(cache=True))
    if depth > max_depth:
        raise ApiProblem(400, f"the JSON body nests {depth} levels deep; at most {max_depth} "
                              f"are allowed", {"body": [f"nested deeper than {max_depth}"]})


def require_json():
    """A 415 problem naming `body` unless the request says its body is JSON. For bodies
    whose every field has a default (a PUT of contacts): webargs reads any other body as
    `{}`, and the defaults would silently replace what was stored."""
    if not request.is_json:
        raise ApiProblem(415, "the body must be JSON (Content-Type: application/json)",
                         {"body": [f"Content-Type is {request.mimetype or 'missing'}, "
                                   "not application/json"]})


def json_only(view):
    """Decorator: `require_json` before the view parses its body (after auth)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        require_json()
        return view(*args, **kwargs)
    return wrapper


def bounded_json(view):
    """Decorator: run `refuse_deep_json` before the view parses its body (after auth)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        refuse_deep_json()
        return view(*args, **kwargs)
    return wrapper

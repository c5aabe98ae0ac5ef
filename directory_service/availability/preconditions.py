"""`If-Match` on bed reports, parsed strictly (RFC 9110 §13.1.1).

A report must say which version of the figures it was made against, so a missing header is
428 and a header that is not a list of entity tags naming versions is 400: a malformed
condition is never read as "no condition". The ETag of `GET …/beds` is the version, `"3"`;
gzip responses carry it as `"3:gzip"` (flask-compress) and a proxy may weaken it to
`W/"3"`; all three name version 3.
"""
import re

from directory_service.errors import ApiProblem

# One entity tag: optional W/, then a quoted run of etagc (no DQUOTE, no controls).
_TAG = r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*'
_LIST = re.compile(rf"^{_TAG}(?:,{_TAG})*$")
_ONE = re.compile(_TAG)
_VERSION = re.compile(r"^(\d{1,15})(?::[a-z0-9-]{1,20})?$")
HINT = 'send the ETag from GET /v1/facilities/{id}/beds, e.g. If-Match: "3"'


PROFILE_HINT = ('send the ETag from GET /v1/facilities/{id}/profile, e.g. If-Match: "3"')


def versions_from_if_match(header, hint=HINT, what="a bed report"):
    """The set of versions an If-Match header names; raises a 428 or 400 ApiProblem.
    `hint` and `what` name the resource (bed figures, or a facility's profile)."""
    if header is None:
        raise ApiProblem(428, f"{what} must be conditional: " + hint,
                         {"If-Match": ["required"]}, title="Precondition Required")
    if header.strip() == "*":
        raise ApiProblem(428, "If-Match: * names no version: " + hint,
                         {"If-Match": ["must name a version, not *"]},
                         title="Precondition Required")
    if not _LIST.match(header):
        raise _malformed(header, "is not a list of quoted entity tags", hint)
    versions = set()
    for tag in _ONE.findall(header):
        found = _VERSION.match(tag)
        if not found:
            raise _malformed(header, f"entity tag {tag!r} does not name a version", hint)
        versions.add(int(found.group(1)))
    return versions


def _malformed(header, why, hint):
    shown = header if len(header) <= 40 else header[:40] + "…"
    return ApiProblem(400, f"If-Match {shown!r} {why}: " + hint,
                      {"If-Match": [f"malformed: {why}"]})

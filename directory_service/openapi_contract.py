"""The OpenAPI document's contract, applied to every operation in one place.

Blueprints declare what is particular to them (their 200, a 409 that means "no bed left");
this apispec plugin adds what every operation shares, from what the operation is:

- the problem responses that can happen to it (`applicable`), each
  `application/problem+json` with the `Problem` schema (RFC 9457), and no catch-all
  `default`, so a status the document does not name is a contract break a fuzzer sees;
- an `operationId` (`getV1HoldsHoldId`), which client generators and links need;
- `LINKS` between operations (a created hold → read, confirm, decline, cancel it; bed
  figures → report against them), so a stateful fuzzer can walk the API as a client does.

It runs as each route is registered, so routes added later get the same treatment, and
no blueprint has to be edited for it.
"""
import http
import re

from apispec import BasePlugin

PROBLEM = "application/problem+json"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "Problem details (RFC 9457). `errors` names each invalid field with its "
                   "messages; other members may extend it (e.g. `candidates` for a place "
                   "that could mean several).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the problem type; "
                                                  "`about:blank` when the status says it all."},
        "title": {"type": "string", "description": "The status in words."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong with this request."},
        "instance": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True,
                   "description": "Messages per field: {field: [message, ...]}, nested "
                                  "for rows of a body."},
    },
    "additionalProperties": True,
}
RETRY_AFTER = {"description": "Seconds to wait before trying again.",
               "schema": {"type": "integer", "minimum": 0}}
DESCRIPTIONS = {
    400: "The request cannot be read: malformed JSON, a body nested too deep, or a "
         "malformed header such as If-Match.",
    401: "No API key, or one that is unknown or revoked (`Authorization: Bearer <key>`).",
    403: "The key's role, or the facility it belongs to, may not do this.",
    404: "No such record, facility or hold.",
    409: "The request conflicts with the current state.",
    412: "If-Match names a version that is no longer current: read again, then write.",
    413: "The body is larger than the service accepts.",
    415: "The body's media type is not one this operation reads.",
    422: "A parameter or body field is invalid; `errors` names each one.",
    428: "This write must be conditional: send If-Match with the ETag you read.",
    429: "Too many requests from this client or key: wait `Retry-After` seconds.",
    503: "The search store or the availability database cannot answer now: try again "
         "after `Retry-After` seconds.",
}
HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def component_name(code):
    return f"PROBLEM_{http.HTTPStatus(code).name}"


def problem_response(code, description=None, headers=None):
    """A response object for a problem status."""
    response = {"description": description or DESCRIPTIONS.get(code)
                or http.HTTPStatus(code).phrase,
                "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    merged = {**HEADERS.get(code, {}), **(headers or {})}
    if merged:
        response["headers"] = merged
    return response


def applicable(path, method, operation):
    """The problem statuses an operation can answer, from what it is.

    Every operation: 429 (rate limits apply to every route class) and 503 (a store or
    database that cannot answer). Parameters or a body: 422. A path parameter: 404, and
    for a write also 409. A key (security): 401, 403. A body: 400 (unreadable), 413 (too big), 415 (wrong media
    type). PUT/PATCH (conditional writes, If-Match): 400, 412, 428.
    """
    codes = {429, 503}
    has_path_parameter = "{" in path
    has_body = "requestBody" in operation
    if has_path_parameter or has_body or operation.get("parameters"):
        codes.add(422)
    if has_path_parameter:
        codes.add(404)
        if method in ("post", "put", "patch", "delete"):
            codes.add(409)  # a write to a resource whose state forbids it (hold decided)
    if operation.get("security"):
        codes |= {401, 403}
    if has_body:
        codes |= {400, 413, 415}
    if method in ("put", "patch"):
        codes |= {400, 412, 428}
    return codes


def operation_id(method, path):
    """`post /v1/facilities/{facility_id}/holds` → `postV1FacilitiesFacilityIdHolds`."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w]
    return method + "".join(w[:1].upper() + w[1:] for w in words)


def _link(method, path, description, **parameters):
    return {"operationId": operation_id(method, path), "description": description,
            "parameters": parameters}


HOLD = "/v1/holds/{hold_id}"
BEDS = "/v1/facilities/{facility_id}/beds"
FACILITY_HOLDS = "/v1/facilities/{facility_id}/holds"
SUBSCRIPTION = "/v1/subscriptions/{sub_id}"
# (path, method, status) → {link name: link}. A test checks every target exists.
LINKS = {
    (FACILITY_HOLDS, "post", "201"): {
        "GetHold": _link("get", HOLD, "Read the hold.", hold_id="$response.body#/id"),
        "CancelHold": _link("delete", HOLD, "Cancel it.", hold_id="$response.body#/id"),
        "ConfirmHold": _link("post", HOLD + "/confirm", "The facility confirms it.",
                             hold_id="$response.body#/id"),
        "DeclineHold": _link("post", HOLD + "/decline", "The facility declines it.",
                             hold_id="$response.body#/id"),
        "CancelHoldByPost": _link("post", HOLD + "/cancel", "Cancel it (POST).",
                                  hold_id="$response.body#/id"),
        "FacilityHolds": _link("get", FACILITY_HOLDS, "The facility's active holds.",
                               facility_id="$request.path.facility_id"),
        "Beds": _link("get", BEDS, "The facility's beds, net of holds.",
                      facility_id="$request.path.facility_id"),
    },
    (BEDS, "get", "200"): {
        "ReportBeds": _link("put", BEDS, "Report against the version just read.",
                            facility_id="$request.path.facility_id",
                            **{"header.If-Match": "$response.header.ETag"}),
        "HoldBed": _link("post", FACILITY_HOLDS, "Hold one of the open beds.",
                         facility_id="$request.path.facility_id"),
        "BedHistory": _link("get", BEDS + "/history", "The facility's report history.",
                            facility_id="$request.path.facility_id"),
    },
    (BEDS, "put", "200"): {
        "ReadBeds": _link("get", BEDS, "Read the figures back.",
                          facility_id="$request.path.facility_id"),
    },
    ("/v1/subscriptions", "post", "201"): {
        "GetSubscription": _link("get", SUBSCRIPTION, "Read the subscription.",
                                 sub_id="$response.body#/id"),
        "UpdateSubscription": _link("patch", SUBSCRIPTION, "Pause or resume it.",
                                    sub_id="$response.body#/id"),
        "DeleteSubscription": _link("delete", SUBSCRIPTION, "Delete it.",
                                    sub_id="$response.body#/id"),
        "Deliveries": _link("get", SUBSCRIPTION + "/deliveries", "Its deliveries.",
                            sub_id="$response.body#/id"),
    },
    ("/v1/search", "get", "200"): {
        "FirstResource": _link("get", "/v1/resources/{record_id}", "The first hit in full.",
                               record_id="$response.body#/results/0/id"),
    },
    ("/v1/watches", "post", "201"): {
        "GetWatch": _link("get", "/v1/watches/{watch_id}", "Read the watch and its fires.",
                          watch_id="$response.body#/id"),
        "CancelWatch": _link("delete", "/v1/watches/{watch_id}", "Cancel it.",
                             watch_id="$response.body#/id"),
    },
    ("/v1/match", "post", "200"): {
        "FirstMatchBeds": _link("get", BEDS, "Beds of the first match.",
                                facility_id="$response.body#/results/0/id"),
    },
}


class ProblemResponsesPlugin(BasePlugin):
    """Pass as `Api(spec_kwargs={"extra_plugins": [ProblemResponsesPlugin()]})`."""

    def init_spec(self, spec):
        super().init_spec(spec)
        spec.components.schema("Problem", PROBLEM_SCHEMA)
        for code in DESCRIPTIONS:
            spec.components.response(component_name(code), problem_response(code), lazy=True)

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            responses = {str(code): response for code, response in
                         (operation.get("responses") or {}).items()}
            responses.pop("default", None)
            for code, response in list(responses.items()):
                if code.isdigit() and int(code) >= 400:
                    responses[code] = _as_problem(int(code), response)
            for code in sorted(applicable(path, method, operation)):
                responses.setdefault(str(code), component_name(code))
            for (link_path, link_method, status), links in LINKS.items():
                if (link_path, link_method) == (path, method) and status in responses:
                    response = responses[status]
                    if isinstance(response, dict):
                        response.setdefault("links", {}).update(links)
            operation["responses"] = responses
            operation.setdefault("operationId", operation_id(method, path))


def _as_problem(code, response):
    """A blueprint's own error response, kept (its description), as problem+json."""
    if isinstance(response, dict):
        return problem_response(code, response.get("description"), response.get("headers"))
    return component_name(code)

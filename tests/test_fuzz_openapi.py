"""Fuzz every operation from the service's own OpenAPI document (DESIGN §9, issue 11):
reads and writes, with real keys, positive and negative data, and stateful sequences
along the document's links (create a hold → read, confirm, decline, cancel it; read beds
→ report against the ETag). Every response must be documented (status, media type,
schema, headers) and none may be a 5xx.

In the normal suite a few examples per operation run (a smoke test of the contract);
`make fuzz` sets FUZZ_EXAMPLES and FUZZ_STEPS for a long run and checks that at least
FUZZ_MIN_REQUESTS requests were generated (tests/fuzz_count.py).
"""
import os

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.fuzz_app import REQUESTS, build, reset, valid_variant

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
STEPS = int(os.environ.get("FUZZ_STEPS", "5"))

APP, KEYS, KNOWN = build()
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)
SPEC = APP.test_client().get("/openapi.json").get_json()
# (method, path) → names of its array-valued query parameters.
ARRAY_PARAMETERS = {
    (method, path): {p["name"] for p in operation.get("parameters", ())
                     if p.get("in") == "query" and p.get("schema", {}).get("type") == "array"}
    for path, item in SPEC["paths"].items() for method, operation in item.items()
    if isinstance(operation, dict)}


@schema.auth()
class Keys:
    """The key a real client of each operation holds: a coach makes and cancels holds,
    the facility (seed:fac-001's key) reports and decides, admin for the rest."""

    def get(self, case, context):
        path, method = case.operation.path, case.operation.method.lower()
        if path.endswith("/holds") and method == "post" or path.endswith("/cancel") \
                or (path == "/v1/holds/{hold_id}" and method == "delete"):
            return KEYS["coach"]
        if "{facility_id}" in path or path.endswith(("/confirm", "/decline")):
            return KEYS["facility"]
        return KEYS["admin"]

    def set(self, case, data, context):
        # The in-process client does not decompress: ask for bodies as they are.
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}",
                        "Accept-Encoding": "identity"}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Mostly ids that exist (or the generator would meet only 404s), sometimes its own."""
    for name, known in KNOWN.items():
        if path_parameters and name in path_parameters:
            return st.sampled_from(known + [path_parameters[name]]).map(
                lambda value, name=name: {**path_parameters, name: value})
    return st.just(path_parameters)


@schema.hook
def flatmap_case(context, case):
    """Half the valid cases as generated, half made into a real client's request."""
    if is_negative(case):
        return st.just(case)
    return st.integers(0, 2 ** 16).map(
        lambda seed: valid_variant(case, seed) if seed % 2 else case)


def is_negative(case):
    """Whether schemathesis generated any part of the case as invalid on purpose."""
    meta = getattr(case, "_meta", None)
    return meta is not None and any(c.mode.is_negative for c in meta.components.values())


def count(case, response, stateful=False):
    REQUESTS.append((case.operation.method.upper(), case.operation.path,
                     response.status_code, stateful))


# Schema-valid is not always valid here: lat/lon or near, a facility's own levels, a bed
# still open. OpenAPI cannot say so, so "valid data must be accepted" is not checked;
# every other check is.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]




def excluded(case, response):
    """Checks that do not apply to this answer.

    The batch feed answers a body with bad rows 207, each bad row rejected by name:
    partial success is its documented contract, not "invalid data accepted". And a list
    parameter generated as [""] goes on the wire as `kind=`, which is also how the empty
    list (valid: no filter) is written, so the server cannot tell them apart."""
    accepts_negative = False
    if case.operation.path == "/v1/availability" and response.status_code == 207:
        accepts_negative = response.json()["rejected"] >= 1
    if any(value in ("", [""]) and name in ARRAY_PARAMETERS.get(
            (case.operation.method.lower(), case.operation.path), ())
           for name, value in (case.query or {}).items()):
        accepts_negative = True
    if accepts_negative:
        return EXCLUDED + [schemathesis.checks.negative_data_rejection]
    return EXCLUDED


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    reset()
    response = case.call()
    count(case, response)
    case.validate_response(response, excluded_checks=excluded(case, response))


class Stateful(schema.as_state_machine()):
    def setup(self):
        reset()

    def after_call(self, response, case):
        count(case, response, stateful=True)

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, additional_checks=additional_checks,
                               excluded_checks=excluded(case, response),
                               transport_kwargs=kwargs)


Stateful.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=STEPS,
                                      deadline=None, derandomize=True,
                                      suppress_health_check=list(HealthCheck))
TestStatefulSequences = Stateful.TestCase

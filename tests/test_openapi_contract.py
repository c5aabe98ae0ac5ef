"""The OpenAPI document declares every problem response an operation can give, as
application/problem+json with the Problem schema, and the app's problems match it."""
import jsonschema
import pytest
from flask.views import MethodView
from flask_smorest import Blueprint

from directory_service import create_app
from directory_service.api import auth
from directory_service.config import Settings
from directory_service.openapi_contract import LINKS, PROBLEM, applicable, operation_id
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests.conftest import SEED

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("contract")
    pipeline.run([SEED], SqliteIndexWriter(str(base / "directory.sqlite")))
    app = create_app(Settings(store_path=str(base / "directory.sqlite"),
                              availability_path=str(base / "availability.sqlite")))
    yield app
    app.extensions["store"].close()


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(spec, response):
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def test_every_error_response_is_problem_json_and_there_is_no_catch_all(spec):
    seen = 0
    for path, method, operation in operations(spec):
        assert "default" not in operation["responses"], (method, path)
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                content = resolve(spec, response)["content"]
                assert list(content) == [PROBLEM], (method, path, code)
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
                seen += 1
    assert seen > 50


def test_each_operation_declares_what_can_happen_to_it(spec):
    ops = {(m, p): o for p, m, o in operations(spec)}
    codes = {key: set(map(int, o["responses"])) for key, o in ops.items()}
    assert codes[("put", "/v1/facilities/{facility_id}/beds")] >= {
        400, 401, 403, 404, 412, 413, 415, 422, 428, 429, 503}
    assert codes[("post", "/v1/facilities/{facility_id}/holds")] >= {
        400, 401, 403, 404, 409, 413, 415, 422, 429, 503}
    assert codes[("post", "/v1/match")] >= {400, 413, 415, 422, 429, 503}
    # A public read with no parameters cannot be refused a key or a field.
    assert codes[("get", "/v1/vocabularies")] & {401, 403, 404, 422} == set()
    for (method, path), operation in ops.items():
        if operation.get("security"):
            assert {401, 403} <= codes[(method, path)], (method, path)
        assert {429, 503} <= codes[(method, path)]
    # The blueprint's own words for its 409 are kept.
    conflict = ops[("post", "/v1/facilities/{facility_id}/holds")]["responses"]["409"]
    assert "No open bed" in resolve(spec, conflict)["description"]
    assert "Retry-After" in resolve(spec, ops[("get", "/v1/search")]["responses"]["429"])[
        "headers"]


def test_operation_ids_are_unique_and_links_reach_real_operations(spec):
    ids = [o["operationId"] for _, _, o in operations(spec)]
    assert len(ids) == len(set(ids)) and "postV1FacilitiesFacilityIdHolds" in ids
    for (path, method, status), links in LINKS.items():
        response = spec["paths"][path][method]["responses"][status]
        assert set(response["links"]) == set(links)
        for link in links.values():
            assert link["operationId"] in ids, link


def schema_at(spec, schema, pointer):
    """The schema a JSON pointer into a response body lands on, or None where it cannot
    (in every alternative of an anyOf/oneOf: the link is followed whichever body came)."""
    parts = [p for p in pointer.split("/") if p]
    for i, part in enumerate(parts):
        while "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        choices = schema.get("anyOf") or schema.get("oneOf")
        if choices:
            found = [schema_at(spec, c, "/".join(parts[i:])) for c in choices]
            return None if None in found else found[0]
        if part.isdigit():
            if schema.get("type") != "array":
                return None
            schema = schema["items"]
        else:
            if part not in schema.get("properties", {}):
                return None
            schema = schema["properties"][part]
    return schema


def test_every_link_from_a_response_body_points_at_a_field_it_has(spec):
    """A link such as `$response.body#/results/0/id` is followed by clients and stateful
    fuzzing: a pointer into a field the body does not have leads nowhere."""
    checked = 0
    for (path, method, status), links in LINKS.items():
        body = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
        for name, link in links.items():
            for expression in link["parameters"].values():
                if expression.startswith("$response.body#"):
                    pointer = expression.split("#", 1)[1]
                    assert schema_at(spec, body["schema"], pointer) is not None, (name, pointer)
                    checked += 1
    assert checked >= 7


def test_problems_the_app_returns_match_the_problem_schema(app, spec):
    validator = jsonschema.Draft4Validator(spec["components"]["schemas"]["Problem"])
    client = app.test_client()
    answers = [client.get("/v1/search?lat=95&lon=1"),
               client.get("/v1/resources/nope:1"),
               client.put("/v1/facilities/seed:fac-001/beds", json={"rows": []}),
               client.put("/v1/facilities/seed:fac-001/beds", json={"rows": []},
                          headers={"Authorization": "Bearer nope"}),
               client.post("/v1/match", data="{", content_type="application/json"),
               client.post("/v1/availability", data="x", content_type="text/plain",
                           headers={"Authorization": "Bearer nope"})]
    for response in answers:
        assert response.status_code >= 400 and response.mimetype == PROBLEM
        validator.validate(response.get_json())
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"title": "Not Found", "status": 404})


def test_a_route_added_later_is_documented_the_same_way(tmp_path):
    """Central, not per blueprint: a new secured write gets its problems without asking."""
    app = create_app(Settings(store_path=str(tmp_path / "none.sqlite"),
                              availability_path=str(tmp_path / "availability.sqlite")))
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    blp = Blueprint("extra", __name__, url_prefix="/v1")

    @blp.route("/widgets/<widget_id>")
    class Widget(MethodView):
        @blp.response(204)
        @blp.doc(security=auth.SECURITY)
        def delete(self, widget_id):
            return ""

    api.register_blueprint(blp)
    operation = api.spec.to_dict()["paths"]["/v1/widgets/{widget_id}"]["delete"]
    assert set(operation["responses"]) == {"204", "401", "403", "404", "409", "422", "429",
                                           "503"}
    assert operation["operationId"] == "deleteV1WidgetsWidgetId"


def test_rules_by_what_an_operation_is():
    assert applicable("/v1/x", "get", {}) == {429, 503}
    assert applicable("/v1/x/{id}", "put", {"requestBody": {}, "security": [{}]}) == {
        400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 429, 503}
    assert operation_id("post", "/v1/holds/{hold_id}/confirm") == "postV1HoldsHoldIdConfirm"

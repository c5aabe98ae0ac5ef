"""The radius (issue 21, item 11): an out-of-range radius names the bound in the unit asked
for, and the OpenAPI document's minimum says what is accepted (0 is not)."""
import jsonschema
import pytest


@pytest.mark.parametrize("query, bound", [
    ("radius=-1", "at most 310 mi"),
    ("radius=-1&unit=mi", "at most 310 mi"),
    ("radius=311&unit=mi", "at most 310 mi"),
    ("radius=0&unit=km", "at most 500 km"),
    ("radius=-5&unit=km", "at most 500 km"),
    ("radius=501&unit=km", "at most 500 km"),
    ("radius=-3&unit=m", "at most 500,000 m"),
    ("radius=500001&unit=m", "at most 500,000 m"),
])
def test_a_radius_out_of_range_names_the_bound_in_its_unit(client, query, bound):
    response = client.get(f"/v1/search?lat=41.75&lon=-88.15&{query}")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    (message,) = response.get_json()["errors"]["radius"]
    assert message == f"Must be more than 0 and {bound}."
    assert "500000" not in message or "unit=m" in query


@pytest.mark.parametrize("query", ["radius=310&unit=mi", "radius=500&unit=km",
                                   "radius=500000&unit=m", "radius=0.001&unit=km"])
def test_the_bounds_themselves_and_tiny_radii_are_accepted(client, query):
    assert client.get(f"/v1/search?lat=41.75&lon=-88.15&{query}").status_code == 200


def radius_schema(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.0")
    (param,) = [p for p in spec["paths"]["/v1/search"]["get"]["parameters"]
                if p["name"] == "radius"]
    return param["schema"]


def test_openapi_minimum_agrees_with_what_is_accepted(client):
    schema = radius_schema(client)
    assert schema["minimum"] == 0 and schema["exclusiveMinimum"] is True
    # OpenAPI 3.0 keeps JSON Schema draft 4's boolean exclusiveMinimum.
    document = jsonschema.Draft4Validator(schema)
    for value in (0, -1, 0.001, 25, 310, 500_000, 500_001):
        accepted = client.get(f"/v1/search?lat=41.75&lon=-88.15&radius={value}&unit=m")
        assert document.is_valid(value) == (accepted.status_code == 200), value


MATCH = {"lat": 41.75, "lon": -88.15, "level_of_care": "3.7-WM"}


@pytest.mark.parametrize("distance, unit, bound", [
    (-1, None, "at most 310 mi"), (0, "mi", "at most 310 mi"), (311, "mi", "at most 310 mi"),
    (600_000, "mi", "at most 310 mi"), (501, "km", "at most 500 km"),
    (900_000, "km", "at most 500 km"), (-2, "m", "at most 500,000 m"),
    (500_001, "m", "at most 500,000 m"),
])
def test_a_match_distance_out_of_range_names_the_bound_in_its_unit(client, distance, unit,
                                                                   bound):
    body = {**MATCH, "max_distance": distance, **({"unit": unit} if unit else {})}
    response = client.post("/v1/match", json=body)
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["max_distance"]
    assert message == f"Must be more than 0 and {bound}."


@pytest.mark.parametrize("distance, unit", [(310, "mi"), (500, "km"), (500_000, "m"),
                                            (0.5, "km")])
def test_a_match_distance_at_its_bound_is_accepted(client, distance, unit):
    body = {**MATCH, "max_distance": distance, "unit": unit}
    assert client.post("/v1/match", json=body).status_code == 200


def test_the_match_document_states_the_distance_bounds(client):
    spec = client.get("/openapi.json").get_json()
    body = spec["components"]["schemas"]["MatchBody"]["properties"]["max_distance"]
    assert body["minimum"] == 0 and body["exclusiveMinimum"] is True
    assert body["maximum"] == 500_000

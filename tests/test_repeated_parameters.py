"""A repeated query parameter is never silently reduced to its first value: list
parameters combine (`kind=a&kind=b` == `kind=a,b`), one-value parameters are a 422."""
import json

import pytest
from marshmallow import ValidationError
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from directory_service.schemas.availability import PageArgs
from directory_service.schemas.search import REPEATED

BASE = "/v1/search?near=60540&radius=40"


def ids(response):
    assert response.status_code == 200, response.get_json()
    return [hit["id"] for hit in response.get_json()["results"]]


@pytest.mark.parametrize("repeated, joined", [
    ("kind=meeting&kind=naloxone_site", "kind=meeting,naloxone_site"),
    ("kind=meeting&day=1&day=3", "kind=meeting&day=1,3"),
    ("kind=treatment_facility&payment=medicaid&payment=uninsured",
     "kind=treatment_facility&payment=medicaid,uninsured"),
    ("level_of_care=3.7-WM&level_of_care=detox", "level_of_care=3.7-WM,detox"),
    ("kind=meeting&kind=treatment_facility,naloxone_site",
     "kind=meeting,treatment_facility,naloxone_site"),
])
def test_repeated_list_parameters_combine(client, repeated, joined):
    both = client.get(f"{BASE}&{repeated}&per_page=100")
    assert ids(both) == ids(client.get(f"{BASE}&{joined}&per_page=100"))
    first_only = repeated.split("&")[0] if repeated.count("kind=") > 1 else None
    if first_only:  # the second value counts: more than the first alone finds
        assert both.get_json()["total"] > client.get(f"{BASE}&{first_only}").get_json()["total"]


def test_a_bad_value_in_a_repeated_list_is_still_a_422(client):
    response = client.get(f"{BASE}&kind=meeting&kind=bakery")
    assert response.status_code == 422 and "kind" in response.get_json()["errors"]


@pytest.mark.parametrize("query, name", [
    ("near=60540&near=60505", "near"), ("near=60540&page=1&page=2", "page"),
    ("near=60540&open_now=true&open_now=false", "open_now"),
    ("lat=41.7&lon=-88.1&lat=41.8", "lat"), ("near=60540&radius=5&radius=50", "radius"),
    ("near=60540&q=detox&q=house", "q"),
])
def test_repeated_one_value_parameters_are_a_422_naming_them(client, query, name):
    response = client.get(f"/v1/search?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {name: [REPEATED]}


def test_export_combines_kinds_and_refuses_two_formats(client):
    both = client.get("/v1/export?kind=meeting&kind=naloxone_site")
    kinds = {json.loads(line)["kind"] for line in both.get_data(as_text=True).splitlines()}
    assert kinds == {"meeting", "naloxone_site"}
    refused = client.get("/v1/export?format=ndjson&format=hsds")
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"format": [REPEATED]}


def test_page_arguments_of_the_bed_history_refuse_repeats():
    schema = PageArgs()
    assert schema.load(MultiDictProxy(MultiDict([("page", "2")]), schema))["page"] == 2
    with pytest.raises(ValidationError) as error:
        schema.load(MultiDictProxy(MultiDict([("page", "1"), ("page", "2")]), schema))
    assert error.value.messages == {"page": [REPEATED]}


def test_the_public_page_refuses_a_field_given_twice(client):
    response = client.get("/?near=60540&payment=medicaid&payment=uninsured")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert 'id="payment-error">Please choose one of the options' in response.get_data(as_text=True)
    # An empty duplicate (a select left at "Any" beside a chosen one) is not a second value.
    assert client.get("/?near=60540&payment=medicaid&payment=").status_code == 200
    assert client.get("/r/seed:fac-001?print=1&print=0").status_code == 422


def test_openapi_still_documents_list_parameters_as_arrays(client):
    spec = client.get("/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    assert params["kind"]["schema"]["type"] == "array"
    assert (params["kind"]["style"], params["kind"]["explode"]) == ("form", False)
    assert "repeated" in params["kind"]["description"]
    assert params["page"]["schema"]["type"] == "integer"

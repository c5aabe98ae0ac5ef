"""A street address typed or pasted with no geocoder configured is placed at its city
(precision `city`), with or without commas; one that names no city is a 422 that says
what to give. With a geocoder, such an address goes to it.

Reference points are written by hand (city halls, downtowns), not read from the gazetteer.
"""
from types import SimpleNamespace

import pytest

from directory_service import geo
from tests.test_places import km


NAPERVILLE = ("Naperville, IL", 41.7731, -88.1477)
TYPED = {
    "123 Main St Naperville IL": NAPERVILLE,
    "123 Main St, Naperville, IL": NAPERVILLE,
    "400 S Eagle St, Naperville": NAPERVILLE,
    "400 S. Eagle Street Naperville Illinois": NAPERVILLE,
    "123 Main St St Charles IL": ("St. Charles, IL", 41.9142, -88.3087),
    "1600 Pennsylvania Ave NW Washington DC": ("Washington, DC", 38.8951, -77.0364),
    "1600 Pennsylvania Ave, Washington DC": ("Washington, DC", 38.8951, -77.0364),
    "350 5th Ave New York NY": ("New York City, NY", 40.7128, -74.0060),
    "12B Elm St Evanston IL": ("Evanston, IL", 42.0451, -87.6877),
    "40-12 Broadway Astoria NY": ("Astoria, NY", 40.7644, -73.9235),
    "10 W 35th St Chicago": ("Chicago, IL", 41.8781, -87.6298),
}


@pytest.mark.parametrize("typed", sorted(TYPED))
def test_a_street_address_is_placed_at_its_city(typed):
    label, lat, lon = TYPED[typed]
    place = geo.resolve_near(typed)
    assert place.precision == "city"
    assert km(place.lat, place.lon, lat, lon) < 15, (place.label, place.lat, place.lon)
    if label != "New York City, NY":
        assert place.label == label


@pytest.mark.parametrize("typed", ["100 Mile House, BC", "100 Mile House BC",
                                   "100 Mile House"])
def test_a_town_named_with_a_number_is_that_town(typed):
    place = geo.resolve_near(typed)
    assert place.label == "100 Mile House, BC"
    assert km(place.lat, place.lon, 51.6418, -121.2940) < 10


@pytest.mark.parametrize("typed", ["123 Main St", "123 Main Street Anytown USA",
                                   "5 Elm Ave Apt 4"])
def test_an_address_with_no_city_asks_for_a_zip_or_city(typed):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert "street address with no city" in str(refused.value)


def test_an_unknown_city_after_an_address_is_named():
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("123 Main St, Nowhereville")
    assert "Nowhereville" in str(refused.value)


def test_with_a_geocoder_an_address_without_commas_goes_to_it():
    asked = []

    class Geocoder:
        def geocode(self, text):
            asked.append(text)
            return SimpleNamespace(latitude=41.7705, longitude=-88.1535)

    place = geo.resolve_near("123 Main St Naperville IL", geocoder=Geocoder())
    assert asked == ["123 Main St Naperville IL"] and place.precision == "address"
    # A ZIP or a plain city never reaches it.
    assert geo.resolve_near("Naperville IL", geocoder=Geocoder()).precision == "city"
    assert asked == ["123 Main St Naperville IL"]


def test_the_search_api_answers_from_the_city(client):
    answer = client.get("/v1/search?near=123%20Main%20St%20Naperville%20IL&per_page=1")
    assert answer.status_code == 200
    assert answer.get_json()["origin"]["precision"] == "city"
    refused = client.get("/v1/search?near=123%20Main%20St")
    assert refused.status_code == 422
    assert "street address" in refused.get_json()["errors"]["near"][0]


@pytest.mark.parametrize("typed", ["09012", "APO, AE 09012", "34002", "96201"])
def test_a_military_mail_zip_asks_for_the_city_where_one_is(typed):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert "military mail (APO/FPO/DPO)" in str(refused.value)
    assert "give the city where you are" in str(refused.value)

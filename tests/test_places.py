"""The place parser: what people type → a point near the real place, or a 422 that helps.

Reference points are the places' well-known centres (city halls, downtowns), written here
by hand rather than read from the gazetteer, so a wrong gazetteer answer fails.
"""
import math

import pytest

from directory_service import geo, service_region

# name as typed → (label, reference lat, lon, zone)
TYPED = {
    "Naperville IL": ("Naperville, IL", 41.7731, -88.1477, "America/Chicago"),
    "naperville, illinois": ("Naperville, IL", 41.7731, -88.1477, "America/Chicago"),
    "NAPERVILLE,IL": ("Naperville, IL", 41.7731, -88.1477, "America/Chicago"),
    "joliet il": ("Joliet, IL", 41.5250, -88.0817, "America/Chicago"),
    "  Joliet ,   IL  ": ("Joliet, IL", 41.5250, -88.0817, "America/Chicago"),
    "St. Louis, MO": ("St. Louis, MO", 38.6270, -90.1994, "America/Chicago"),
    "Saint Louis Missouri": ("St. Louis, MO", 38.6270, -90.1994, "America/Chicago"),
    "st louis mo": ("St. Louis, MO", 38.6270, -90.1994, "America/Chicago"),
    "O'Fallon, IL": ("O'Fallon, IL", 38.5923, -89.9112, "America/Chicago"),
    "OFallon IL": ("O'Fallon, IL", 38.5923, -89.9112, "America/Chicago"),
    "O’Fallon, MO": ("O'Fallon, MO", 38.8106, -90.6998, "America/Chicago"),
    "Coeur d'Alene, ID": ("Coeur d'Alene, ID", 47.6777, -116.7805, "America/Los_Angeles"),
    "coeur d alene idaho": ("Coeur d'Alene, ID", 47.6777, -116.7805, "America/Los_Angeles"),
    "Los Angeles, CA": ("Los Angeles, CA", 34.0537, -118.2428, "America/Los_Angeles"),
    "Stockton, CA": ("Stockton, CA", 37.9577, -121.2908, "America/Los_Angeles"),
    "Irvine California": ("Irvine, CA", 33.6846, -117.8265, "America/Los_Angeles"),
    "Ft. Worth, TX": ("Fort Worth, TX", 32.7555, -97.3308, "America/Chicago"),
    "Wilmington, DE": ("Wilmington, DE", 39.7447, -75.5484, "America/New_York"),
    "Winston-Salem NC": ("Winston-Salem, NC", 36.0999, -80.2442, "America/New_York"),
    "Honolulu, HI": ("Honolulu, HI", 21.3069, -157.8583, "Pacific/Honolulu"),
    "Anchorage, Alaska": ("Anchorage, AK", 61.2181, -149.9003, "America/Anchorage"),
    "San Juan, PR": ("San Juan, PR", 18.4655, -66.1057, "America/Puerto_Rico"),
    "Kansas City KS": ("Kansas City, KS", 39.1141, -94.6275, "America/Chicago"),
    "Edmonton, AB": ("Edmonton, AB", 53.5461, -113.4938, "America/Edmonton"),
    "Vancouver, British Columbia, Canada": ("Vancouver, BC", 49.2827, -123.1207,
                                            "America/Vancouver"),
    "Naperville, IL, USA": ("Naperville, IL", 41.7731, -88.1477, "America/Chicago"),
    "St. Paul, Minn.": ("Saint Paul, MN", 44.9537, -93.0900, "America/Chicago"),
    "Chicago, Ill.": ("Chicago, IL", 41.8781, -87.6298, "America/Chicago"),
    "Gary Ind": ("Gary, IN", 41.5934, -87.3464, "America/Chicago"),
    "Mt. Prospect, IL": ("Mount Prospect, IL", 42.0664, -87.9373, "America/Chicago"),
    "Mc Kinney TX": ("McKinney, TX", 33.1972, -96.6398, "America/Chicago"),
    "Washington, D.C.": ("Washington, DC", 38.8951, -77.0364, "America/New_York"),
    "NYC": ("New York City, NY", 40.7128, -74.0060, "America/New_York"),
    "Philly": ("Philadelphia, PA", 39.9526, -75.1652, "America/New_York"),
    "La Cañada Flintridge, CA": ("La Cañada Flintridge, CA", 34.2067, -118.2003,
                                 "America/Los_Angeles"),
}


def km(a_lat, a_lon, b_lat, b_lon):
    dy = (a_lat - b_lat) * 111.2
    dx = (a_lon - b_lon) * 111.2 * math.cos(math.radians((a_lat + b_lat) / 2))
    return math.hypot(dx, dy)


@pytest.mark.parametrize("typed", sorted(TYPED))
def test_the_ways_people_write_a_place_land_in_that_place(typed):
    label, lat, lon, zone = TYPED[typed]
    place = geo.resolve_near(typed)
    assert place.label == label and place.precision == "city"
    assert km(place.lat, place.lon, lat, lon) < 8, (place.lat, place.lon)
    assert place.timezone == zone


@pytest.mark.parametrize("typed, code", [("60540", "60540"), ("60540-1234", "60540"),
                                          ("605401234", "60540"), (" 60540 ", "60540"),
                                          ("Naperville, IL 60563", "60563"),
                                          ("60540 1234", "60540"),
                                          ("Naperville, IL 60563 1234", "60563"),
                                          # pasted or typed on a phone: a zero-width
                                          # space, a byte-order mark, full-width digits
                                          ("\u200b60540", "60540"), ("60540\ufeff", "60540"),
                                          ("\uff16\uff10\uff15\uff14\uff10", "60540")])
def test_zip_and_zip_plus_four(typed, code):
    place = geo.resolve_near(typed)
    assert place.precision == "zip" and place.label == code
    assert km(place.lat, place.lon, 41.7731, -88.1477) < 12


def test_a_zip_without_coordinates_answers_with_its_town_never_zero_zero():
    # 95214 is a Stockton, CA unique ZIP stored without coordinates.
    place = geo.resolve_near("95214")
    assert place.precision == "city" and place.label == "Stockton, CA"
    assert km(place.lat, place.lon, 37.9577, -121.2908) < 8


def test_a_city_alone_takes_the_most_populous_and_names_the_others():
    place = geo.resolve_near("Aurora")
    assert place.label == "Aurora, CO"
    assert "Aurora, IL" in place.alternatives
    assert geo.resolve_near("Joliet").label == "Joliet, IL"
    assert geo.resolve_near("Kansas City").alternatives == ("Kansas City, KS",)


def test_a_city_alone_with_no_clear_winner_is_ambiguous_and_names_the_candidates():
    with pytest.raises(geo.PlaceNotFound) as ambiguous:
        geo.resolve_near("Springfield")
    assert {"Springfield, IL", "Springfield, MO", "Springfield, MA"} <= set(
        ambiguous.value.candidates)
    assert "several states" in str(ambiguous.value)


@pytest.mark.parametrize("typed, suggestion", [("Napervile, IL", "Naperville, IL"),
                                               ("Chicgo", "Chicago, IL"),
                                               ("Jolliet IL", "Joliet, IL")])
def test_a_mistyped_city_is_not_found_and_the_close_spelling_is_offered(typed, suggestion):
    with pytest.raises(geo.PlaceNotFound) as missing:
        geo.resolve_near(typed)
    assert "no city called" in str(missing.value)
    assert suggestion in missing.value.candidates


@pytest.mark.parametrize("typed, offered", [("Illinois", "Chicago, IL"),
                                            ("Indiana", "Indianapolis, IN"),
                                            ("washington", "Seattle, WA"),
                                            ("Puerto Rico", "San Juan, PR")])
def test_a_state_alone_is_too_wide_and_its_largest_cities_are_offered(typed, offered):
    with pytest.raises(geo.PlaceNotFound) as wide:
        geo.resolve_near(typed)
    assert "whole state" in str(wide.value)
    assert offered in wide.value.candidates


@pytest.mark.parametrize("typed", ["DC", "D.C.", "District of Columbia", "Washington, DC"])
def test_the_district_of_columbia_is_washington(typed):
    place = geo.resolve_near(typed)
    assert (place.label, place.precision) == ("Washington, DC", "city")
    assert km(place.lat, place.lon, 38.895, -77.036) < 8


def test_a_state_named_city_in_its_own_state_is_the_city():
    assert geo.resolve_near("New York").label == "New York, NY"


def test_a_county():
    place = geo.resolve_near("DuPage County, IL")
    assert place.precision == "county"
    assert km(place.lat, place.lon, 41.85, -88.09) < 15


def test_invisible_characters_inside_a_city_name_are_dropped():
    assert geo.resolve_near("Naper\u200bville, IL").label == "Naperville, IL"
    assert geo.resolve_near("\ufeffJoliet\u00a0IL").label == "Joliet, IL"


@pytest.mark.parametrize("typed, first", [("V6B 1A1", "Vancouver, BC"), ("v6b1a1", "Vancouver, BC"),
                                          ("M5V 2T6", "Toronto, ON"), ("H2X", "Montr\u00e9al, QC"),
                                          ("T5J 0N3, Canada", "Calgary, AB")])
def test_a_canadian_postal_code_asks_for_the_city_and_offers_its_province_s(typed, first):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert "Canadian postal codes" in str(refused.value) and first in str(refused.value)
    assert refused.value.candidates[0] == first
    assert all(label.endswith(first[-4:]) for label in refused.value.candidates)


def test_a_canadian_postal_code_after_the_city_is_left_aside():
    assert geo.resolve_near("Vancouver, BC V6B 1A1").label == "Vancouver, BC"
    assert geo.resolve_near("Toronto ON M5V2T6, Canada").label == "Toronto, ON"


@pytest.mark.parametrize("typed, label, lat, lon", [
    # Towns the cities list (15,000 people) and the ZIP file's town names miss: the longer
    # town list (about 1,000 people) places them. Reference points: their city halls.
    ("Oakbrook Terrace, IL", "Oakbrook Terrace, IL", 41.850, -87.964),
    ("oakbrook terrace", "Oakbrook Terrace, IL", 41.850, -87.964),
])
def test_a_small_town_missing_from_the_city_list_is_still_a_place(typed, label, lat, lon):
    from directory_service import gazetteer

    assert not gazetteer.cities("Oakbrook Terrace")  # what this test is about
    place = geo.resolve_near(typed)
    assert (place.label, place.precision) == (label, "city")
    assert km(place.lat, place.lon, lat, lon) < 5


def test_a_county_named_without_its_state():
    # One county of that name in the country: it.
    place = geo.resolve_near("DuPage County")
    assert (place.precision, place.label) == ("county", "DuPage County, IL")
    assert geo.resolve_near("bucks county").label == "Bucks County, PA"
    # Several and nothing to choose by: the error names them.
    with pytest.raises(geo.PlaceNotFound) as several:
        geo.resolve_near("Cook County")
    assert "several states" in str(several.value)
    assert {"Cook County, IL", "Cook County, GA", "Cook County, MN"} <= set(
        several.value.candidates)
    # The directory's own area decides, as for a city alone.
    chicago = service_region.ServiceRegion(["IL"], [(41.77, -88.15)])
    assert geo.resolve_near("Cook County", served=chicago).label == "Cook County, IL"
    assert geo.resolve_near("Washington County", served=chicago).label == \
        "Washington County, IL"
    with pytest.raises(geo.PlaceNotFound) as missing:
        geo.resolve_near("Nowhere County")
    assert "no county called 'Nowhere County'" in str(missing.value)


@pytest.mark.parametrize("typed", ["99999", "00000", "Zzzzqx", "0,0", "", "   ", "Nowhere, ZZ"])
def test_unknown_places_raise_never_a_point(typed):
    with pytest.raises(geo.PlaceNotFound):
        geo.resolve_near(typed)


def test_a_street_address_without_a_geocoder_falls_back_to_its_city():
    place = geo.resolve_near("400 S Eagle St, Naperville, IL")
    assert place.label == "Naperville, IL" and place.precision == "city"


def test_no_place_in_the_gazetteer_sits_at_zero_zero():
    from directory_service import gazetteer

    by_key = gazetteer._index()[0]
    points = [(c.lat, c.lon) for slot in by_key.values() for c in slot]
    assert len(points) > 20_000
    assert not [p for p in points if abs(p[0]) < 1 and abs(p[1]) < 1]


# ---- through the API -------------------------------------------------------------------

def test_search_near_a_city_alone_echoes_precision_and_alternatives(client):
    # The seed directory is around Chicago: Aurora, IL (tests/test_service_region.py).
    body = client.get("/v1/search?near=Aurora&kind=meeting").get_json()
    assert body["origin"]["label"] == "Aurora, IL" and body["origin"]["precision"] == "city"
    assert "Aurora, CO" in body["origin"]["alternatives"]


@pytest.mark.parametrize("near", ["Naperville IL", "naperville, illinois", "joliet il",
                                  "60540-1234"])
def test_search_accepts_natural_place_names(client, near):
    response = client.get("/v1/search", query_string={"near": near})
    assert response.status_code == 200
    assert response.get_json()["total"] > 0


def test_an_ambiguous_place_is_a_422_with_candidates(seed_app_factory):
    # A directory serving both Springfield, MO and Springfield, MA: neither stands out.
    client = seed_app_factory(service_region="37.2,-93.3; 42.1,-72.6").test_client()
    response = client.get("/v1/search?near=Springfield")
    assert response.status_code == 422
    body = response.get_json()
    assert "near" in body["errors"]
    assert body["candidates"][:2] == ["Springfield, MO", "Springfield, MA"]


def test_a_zip_without_coordinates_never_answers_zero_zero(client):
    body = client.get("/v1/search?near=95214").get_json()
    assert body["origin"]["precision"] == "city"
    assert (body["origin"]["lat"], body["origin"]["lon"]) != (0.0, 0.0)
    assert km(body["origin"]["lat"], body["origin"]["lon"], 37.9577, -121.2908) < 8


def test_match_resolves_natural_place_names(client):
    response = client.post("/v1/match", json={"near": "Naperville, Illinois",
                                              "level_of_care": "detox"})
    assert response.status_code == 200
    assert response.get_json()["origin"]["label"] == "Naperville, IL"


def test_a_town_served_only_by_po_boxes_is_still_a_place():
    # Nome, Alaska has no delivery ZIP and is too small for geonames.
    place = geo.resolve_near("Nome, Alaska")
    assert place.label == "Nome, AK" and place.timezone == "America/Nome"
    assert km(place.lat, place.lon, 64.5011, -165.4064) < 120


def test_territories_are_places_with_their_population():
    # geonames files Puerto Rico as a country: San Juan, PR still outweighs San Juan, TX.
    place = geo.resolve_near("San Juan")
    assert place.label == "San Juan, PR" and "San Juan, TX" in place.alternatives
    assert geo.resolve_near("Hagatna, GU").timezone == "Pacific/Guam"


@pytest.mark.parametrize("typed, label", [
    ("City of Chicago", "Chicago, IL"),
    ("Village of Oak Park, IL", "Oak Park, IL"),
    ("Town of Cicero, IL", "Cicero, IL"),
    ("Naperville city, Illinois", "Naperville, IL"),   # the Census's place names
    ("Carol Stream village, IL", "Carol Stream, IL"),
    ("Kansas City, MO", "Kansas City, MO"),            # a name that ends in City keeps it
    ("Oklahoma City", "Oklahoma City, OK"),
])
def test_a_town_called_by_its_kind_of_government_is_the_town(typed, label):
    assert geo.resolve_near(typed).label == label


@pytest.mark.parametrize("typed, label", [
    # The USPS's abbreviations of place-name words, as ZIP lists and people write them.
    ("Arlington Hts, IL", "Arlington Heights, IL"), ("Elk Grove Vlg, IL", "Elk Grove Village, IL"),
    ("Hoffman Ests IL", "Hoffman Estates, IL"), ("Downers Grv IL", "Downers Grove, IL"),
    ("Colorado Spgs, CO", "Colorado Springs, CO"), ("Palm Bch Gdns FL", "Palm Beach Gardens, FL"),
    ("Lk Zurich IL", "Lake Zurich, IL"), ("Grand Jct, CO", "Grand Junction, CO"),
    # A compass point in front.
    ("N Chicago, IL", "North Chicago, IL"), ("No. Chicago IL", "North Chicago, IL"),
    ("E. St. Louis, IL", "East Saint Louis, IL"), ("W Chicago", "West Chicago, IL"),
    # ...which leaves AP-style states alone.
    ("Raleigh, N.C.", "Raleigh, NC"), ("Charleston, W. Va.", "Charleston, WV"),
    ("Fargo, N.D.", "Fargo, ND"),
    # Other separators between a town and its state.
    ("Naperville/IL", "Naperville, IL"), ("Naperville; IL", "Naperville, IL"),
])
def test_abbreviated_words_and_other_separators_in_place_names(typed, label):
    assert geo.resolve_near(typed).label == label


@pytest.mark.parametrize("typed", ["60540, Naperville", "60540 Naperville IL",
                                   "60540-1234, Naperville, IL"])
def test_a_zip_in_front_of_its_town_is_the_zip(typed):
    place = geo.resolve_near(typed)
    assert (place.label, place.precision) == ("60540", "zip")


def test_close_spellings_offer_the_best_known_namesakes_first():
    # "Plainfield" is a city in New Jersey and Illinois, a village in Vermont.
    offered = geo._suggest("Plainield", None)
    assert offered[:2] == ["Plainfield, NJ", "Plainfield, IL"]
    # Only names whose length can reach the cutoff are compared; a long typo still finds.
    assert geo._suggest("Napervile", "IL")[0] == "Naperville, IL"
    assert geo._suggest("a" * 999, None) == []

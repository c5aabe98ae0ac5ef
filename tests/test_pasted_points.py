"""A point as a phone's share sheet or a web page gives it, in `near` (coordinates.py)."""
import pytest

from directory_service import coordinates, geo

CHICAGO = (41.8781, -87.6298)

PASTED = [
    "41.8781,-87.6298",
    "41.8781, -87.6298",
    "(41.8781, -87.6298)",
    "[41.8781, -87.6298]",
    "41.8781; -87.6298",
    "41.8781 -87.6298",
    "41.8781°, −87.6298°",                 # Wikipedia's minus sign
    "41.8781 N, 87.6298 W",
    "41.8781° N, 87.6298° W",
    "41.8781°N 87.6298°W",
    "41.8781n 87.6298w",
    "N41.8781 W87.6298",
    "N 41.8781, W 87.6298",
    "87.6298 W, 41.8781 N",                # longitude first, but labelled
    "41.8781, 87.6298 W",
    "41°52′41″N 87°37′47″W",
    "41°52'41\"N 87°37'47\"W",
    "41° 52' 41\" N, 87° 37' 47\" W",
    "N 41° 52.686' W 87° 37.788'",          # degrees and decimal minutes (GPS units)
    "41°52′41″N 87°37′47″W\u200b",          # a zero-width space copied along
    "４１.８７８１, －８７.６２９８",           # full-width, as an East Asian keyboard types
    "geo:41.8781,-87.6298",
    "geo:41.8781,-87.6298;u=35?z=15",
    "https://maps.google.com/?q=41.8781,-87.6298",
    "https://www.google.com/maps/search/?api=1&query=41.8781%2C-87.6298",
    "https://www.google.com/maps/dir/?api=1&destination=41.8781,-87.6298",
    "https://www.google.com/maps/@41.8781,-87.6298,15z",
    "https://maps.apple.com/?ll=41.8781,-87.6298&q=Dropped%20Pin",
    "https://maps.apple.com/?q=Pin&coordinate=41.8781,-87.6298",
    "https://www.openstreetmap.org/#map=17/41.8781/-87.6298",
    "https://www.openstreetmap.org/?mlat=41.8781&mlon=-87.6298#map=12/41.9/-87.7",
    "www.google.com/maps/@41.8781,-87.6298,15z",
    # A name in brackets after the point, as share sheets and web pages write it.
    "41.8781, -87.6298 (Chicago)",
    "41°52′41″N 87°37′47″W (Chicago Loop)",
    "https://www.bing.com/maps?cp=41.8781~-87.6298&lvl=11",
    "https://www.waze.com/ul?ll=41.8781%2C-87.6298&navigate=yes",
]


@pytest.mark.parametrize("typed", PASTED)
def test_a_pasted_point_is_that_point(typed):
    place = geo.resolve_near(typed)
    assert place.precision == "exact"
    assert abs(place.lat - CHICAGO[0]) < 0.001 and abs(place.lon - CHICAGO[1]) < 0.001
    assert place.timezone == "America/Chicago"


def test_a_google_place_link_is_the_place_not_the_map_s_centre():
    link = ("https://www.google.com/maps/place/Northwestern+Memorial+Hospital/@41.8949766,"
            "-87.6232683,17z/data=!3m1!4b1!4m6!3m5!1s0x880fd35520f2b5b7:0x6fcd0f8b5d7c5b8a!8m2"
            "!3d41.8949726!4d-87.6206934!16zL20vMDNkcjlf?entry=ttu&g_ep=EgoyMDI0MTAwOS4wIKXMDSo"
            "ASAFQAw%3D%3D")
    assert len(link) > 200  # past the old length bound of `near`
    place = geo.resolve_near(link)
    assert (place.lat, place.lon) == (41.8949726, -87.6206934)


def test_the_southern_and_eastern_hemispheres_are_negative_and_positive():
    assert coordinates.read("33.8688° S, 151.2093° E") == (-33.8688, 151.2093)
    assert coordinates.read("S33.8688 E151.2093") == (-33.8688, 151.2093)
    assert coordinates.read("-33.8688, 151.2093") == (-33.8688, 151.2093)


@pytest.mark.parametrize("typed", [
    "41.8 N 42.1 N",        # two latitudes
    "87.6 W 88.1 E",        # two longitudes
    "41°75'N 87°37'W",      # 75 minutes
    "41°52'61\"N 87°37'W",  # 61 seconds
])
def test_a_pair_that_is_not_a_point_is_not_read_as_one(typed):
    assert coordinates.read(typed) is None
    with pytest.raises(geo.PlaceNotFound):
        geo.resolve_near(typed)


@pytest.mark.parametrize("typed", ["Naperville, IL", "60540", "60540 1234", "Route 66",
                                   "4 Main St", "Chicago 60601", "N Main St, Wheaton, IL",
                                   "Fort Wayne, IN", "W Chicago", "41st Street"])
def test_places_and_streets_are_not_points(typed):
    assert coordinates.read(typed) is None


@pytest.mark.parametrize("typed, meant", [
    ("-87.6298, 41.8781", "41.8781, -87.6298"),    # GeoJSON order: Antarctica
    ("-122.3321, 47.6062", "47.6062, -122.3321"),  # GeoJSON order: out of range
    ("[-87.6298, 41.8781]", "41.8781, -87.6298"),
])
def test_longitude_first_is_a_422_offering_the_point_the_right_way_round(typed, meant):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert "latitude comes first" in str(refused.value)
    assert refused.value.candidates == [meant]
    assert geo.resolve_near(refused.value.candidates[0]).precision == "exact"


@pytest.mark.parametrize("link", ["https://maps.app.goo.gl/8xQwZ1vC2", "https://goo.gl/maps/abc",
                                  "https://www.google.com/maps/place/Naperville,+IL",
                                  "geo:0,0", "https://maps.google.com/?q="])
def test_a_map_link_without_coordinates_or_a_place_says_so(link):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(link)
    assert "link" in str(refused.value)


@pytest.mark.parametrize("link, label, precision", [
    ("geo:0,0?q=Naperville,+IL", "Naperville, IL", "city"),              # Android's share
    ("geo:0,0?q=41.7508,-88.1535(Edward Hospital)", "point", "exact"),
    ("https://maps.google.com/?q=Naperville,+IL", "Naperville, IL", "city"),
    ("https://www.google.com/maps/search/?api=1&query=Joliet%2C+IL", "Joliet, IL", "city"),
    ("https://maps.apple.com/?address=60540", "60540", "zip"),
    ("https://maps.apple.com/?daddr=Aurora,IL", "Aurora, IL", "city"),
])
def test_a_map_link_naming_its_place_in_words_is_that_place(link, label, precision):
    place = geo.resolve_near(link)
    assert (place.label, place.precision) == (label, precision)


def test_hostile_text_is_read_in_bounded_time():
    # Backtracking would show as seconds; each is read in well under that on any machine,
    # but the assertion is on the answer, not the clock.
    for evil in ["1" * 999, "1 " * 499, "N1'" * 300, "1°" * 400, "(" + "1 " * 400,
                 "https://x/?" + "q=1," * 200, "@1," * 300, "!3d1!4d" * 100]:
        try:
            assert coordinates.read(evil) is None
        except coordinates.NoCoordinates:
            pass


# ---- through the API -------------------------------------------------------------------

def test_search_near_a_pasted_map_link(client):
    link = "https://www.google.com/maps/@41.7508,-88.1535,15z"  # Naperville
    body = client.get("/v1/search", query_string={"near": link}).get_json()
    assert body["origin"]["precision"] == "exact"
    assert (body["origin"]["lat"], body["origin"]["lon"]) == (41.75, -88.15)
    assert body["total"] > 0


def test_search_near_longitude_first_is_a_422_with_the_candidate(client):
    response = client.get("/v1/search", query_string={"near": "-88.1535, 41.7508"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["candidates"] == ["41.7508, -88.1535"] and "near" in body["errors"]


def test_near_is_bounded_still(client):
    response = client.get("/v1/search", query_string={"near": "1" * 1001})
    assert response.status_code == 422 and "near" in response.get_json()["errors"]


def test_match_takes_a_pasted_point(client):
    response = client.post("/v1/match", json={"near": "41°45′03″N 88°09′13″W",
                                              "level_of_care": "detox"})
    assert response.status_code == 200
    assert response.get_json()["origin"]["precision"] == "exact"

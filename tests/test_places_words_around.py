"""Words people type around a place ("near Naperville", "Chicago area", "cerca de Joliet",
"Wicker Park, Chicago") are read past when the text as written names no place; "near me"
names none, and the 422 says what to send instead (directory_service/place_words.py)."""
import pytest

from directory_service import geo


@pytest.mark.parametrize("typed, label", [
    ("near Naperville", "Naperville, IL"),
    ("in Aurora, IL", "Aurora, IL"),
    ("around Joliet", "Joliet, IL"),
    ("close to Naperville IL", "Naperville, IL"),
    ("Downtown Naperville", "Naperville, IL"),
    ("Naperville area", "Naperville, IL"),
    ("Naperville, IL area", "Naperville, IL"),
    ("Chicago metro area", "Chicago, IL"),
    ("Joliet and surrounding areas", "Joliet, IL"),
    ("Chicago, IL (downtown)", "Chicago, IL"),
    ("cerca de Naperville", "Naperville, IL"),
    ("en Aurora, IL", "Aurora, IL"),
    ("Joliet y alrededores", "Joliet, IL"),
    ("près de Montréal", "Montréal, QC"),
    # A neighbourhood before its city: the city.
    ("Wicker Park, Chicago", "Chicago, IL"),
    ("Georgia Avenue / Walter Reed, DC", "Washington, DC"),
])
def test_the_place_inside_the_words(typed, label):
    assert geo.resolve_near(typed).label == label


@pytest.mark.parametrize("typed", ["near me", "Near Me", "cerca de mí", "my location",
                                   "here", "près de moi"])
def test_near_me_asks_for_a_location(typed):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert "needs your location" in str(refused.value) and "lat and lon" in str(refused.value)


def test_what_names_a_place_as_written_is_never_read_past():
    # Towns whose names hold such words stay themselves; the first error is the one given.
    assert geo.resolve_near("Norwood Young America").label == "Norwood Young America, MN"
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("Springfieldx, IL")
    assert "no city called 'Springfieldx' in Illinois" in str(refused.value)
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("near Nowhereville")
    assert "near Nowhereville" in str(refused.value)


def test_the_api_and_the_page_read_them(client):
    answer = client.get("/v1/search?near=near%20Naperville&per_page=1")
    assert answer.status_code == 200
    assert answer.get_json()["origin"]["label"] == "Naperville, IL"
    refused = client.get("/v1/search?near=near%20me")
    assert refused.status_code == 422
    assert "needs your location" in refused.get_json()["errors"]["near"][0]
    page = client.get("/?near=cerca%20de%20Naperville&need=meetings&lang=es")
    assert page.status_code == 200 and b'<li class="card">' in page.data


@pytest.mark.parametrize("typed, message", [
    ("T5J 0N3, Canada", "Canadian postal codes"),   # a refusal of its own stands
    ("Fakeville, Canada", "no city called 'Fakeville'"),  # not Canada, KY
    ("Fakeville, Ontario", "in Ontario"),
])
def test_a_retry_never_lands_on_the_country_or_region_alone(typed, message):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert message in str(refused.value)


@pytest.mark.parametrize("shared, label, precision", [
    # Google Maps' share sheet on a phone: the place's name, its address, a short link.
    ("Edward Hospital\n801 S Washington St, Naperville, IL 60540\n"
     "https://maps.app.goo.gl/AbCdEf123", "60540", "zip"),
    ("Naperville, IL\nhttps://maps.app.goo.gl/AbCdEf123", "Naperville, IL", "city"),
    ("Joliet, IL https://goo.gl/maps/xyz", "Joliet, IL", "city"),
])
def test_a_shared_place_with_a_short_link_is_read_from_its_words(shared, label, precision):
    place = geo.resolve_near(shared)
    assert (place.label, place.precision) == (label, precision)


def test_a_link_beside_words_that_carries_the_point_gives_the_point():
    place = geo.resolve_near("Chicago https://www.google.com/maps/@41.8781,-87.6298,15z")
    assert place.precision == "exact" and abs(place.lat - 41.8781) < 0.01


def test_a_short_link_alone_or_beside_no_place_still_says_what_to_send():
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("https://maps.app.goo.gl/AbCdEf123")
    assert "short link" in str(refused.value)
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("Nowhereville https://maps.app.goo.gl/x")
    assert str(refused.value) == "no city called 'Nowhereville'"


@pytest.mark.parametrize("typed, message", [
    ("near T5J 0N3", "Canadian postal codes"),
    ("near Pensilvania", "'Pennsylvania' is a whole state"),
])
def test_a_refusal_of_the_place_inside_the_words_is_the_one_given(typed, message):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert message in str(refused.value)

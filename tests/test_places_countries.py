"""An address copied from a map or a form in another language ends with the country in
that language ('…, EE. UU.' from Google Maps in Spanish, '…, États-Unis', '…, США'): the
country is dropped as '…, USA' is, and the place is read; a town whose name ends like a
country ('Norwood Young America') keeps its name."""
import pytest

from directory_service import geo


@pytest.mark.parametrize("typed, label", [
    ("Naperville, IL, EE. UU.", "Naperville, IL"),
    ("Naperville, IL, EE.UU.", "Naperville, IL"),
    ("Chicago, IL, EEUU", "Chicago, IL"),
    ("Naperville, Illinois, Estados Unidos", "Naperville, IL"),
    ("Chicago, Illinois, Estados Unidos de América", "Chicago, IL"),
    ("Chicago, Illinois, États-Unis", "Chicago, IL"),
    ("Naperville, IL, Stany Zjednoczone", "Naperville, IL"),
    ("Chicago, IL, Hoa Kỳ", "Chicago, IL"),
    ("Chicago, IL, США", "Chicago, IL"),
    ("Chicago, IL, 미국", "Chicago, IL"),
    ("Vancouver, BC, Canadá", "Vancouver, BC"),
    ("Naperville IL USA", "Naperville, IL"),
    ("Norwood Young America", "Norwood Young America, MN"),
])
def test_a_trailing_country_in_any_language_is_dropped(typed, label):
    assert geo.resolve_near(typed).label == label


@pytest.mark.parametrize("typed, code", [
    ("400 S Eagle St, Naperville, IL 60540, EE. UU.", "60540"),
    ("233 S Wacker Dr, Chicago, IL 60606, 美国", "60606"),
])
def test_an_address_from_a_map_in_another_language_gives_its_zip(typed, code):
    place = geo.resolve_near(typed)
    assert (place.label, place.precision) == (code, "zip")


def test_the_page_reads_a_spanish_map_address(client):
    page = client.get("/?lang=es&near=Naperville%2C%20IL%2C%20EE.%20UU.&need=meetings")
    assert page.status_code == 200 and b'<li class="card">' in page.data


@pytest.mark.parametrize("typed, label", [
    ("Charlotte, Carolina del Norte", "Charlotte, NC"),
    ("Charlotte Carolina del Norte", "Charlotte, NC"),
    ("Albuquerque, Nuevo México", "Albuquerque, NM"),
    ("Pittsburgh, Pensilvania", "Pittsburgh, PA"),
    ("Nueva Orleans, Luisiana", "New Orleans, LA"),
    ("Brooklyn, Nueva York", "Brooklyn, NY"),
    ("Newark, Nueva Jersey", "Newark, NJ"),
    ("Vancouver, Columbia Británica", "Vancouver, BC"),
    ("Halifax, Nouvelle-Écosse", "Halifax, NS"),
    ("cerca de San Antonio, Tejas", "San Antonio, TX"),
    # Alone, 'Nueva York' is the city, as 'New York' is.
    ("Nueva York", "New York City, NY"),
])
def test_states_and_provinces_named_in_spanish_or_french(typed, label):
    assert geo.resolve_near(typed).label == label


def test_a_state_named_in_spanish_alone_is_the_whole_state():
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("Pensilvania")
    assert "'Pennsylvania' is a whole state" in str(refused.value)


@pytest.mark.parametrize("typed", ["Canada", "USA", "United States", "EE. UU.", "U.S."])
def test_a_country_alone_asks_for_a_city(typed):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert "is a whole country" in str(refused.value)


def test_a_town_named_like_a_country_with_its_state_is_that_town():
    assert geo.resolve_near("Canada, KY").label == "Canada, KY"

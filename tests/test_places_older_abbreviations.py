"""Older state and province abbreviations (the GPO's and AP's: 'Boise, Ida.', 'Fargo, N.
Dak.', 'Toronto, Ont.') name their region after a city; alone, a word like 'Alta' or
'Man' is first a town of that name, not a whole province to refuse.

Reference points are written by hand (city halls, downtowns), not read from the gazetteer.
"""

import pytest

from directory_service import geo
from tests.test_places import km

TYPED = {
    "Boise, Ida.": ("Boise, ID", 43.6150, -116.2023, "America/Boise"),
    "Boise Ida": ("Boise, ID", 43.6150, -116.2023, "America/Boise"),
    "Fargo, N. Dak.": ("Fargo, ND", 46.8772, -96.7898, "America/Chicago"),
    "Fargo, N.Dak.": ("Fargo, ND", 46.8772, -96.7898, "America/Chicago"),
    "Sioux Falls, S. Dak.": ("Sioux Falls, SD", 43.5446, -96.7311, "America/Chicago"),
    "Santa Fe, N. Mex.": ("Santa Fe, NM", 35.6870, -105.9378, "America/Denver"),
    "Santa Fe, NMex": ("Santa Fe, NM", 35.6870, -105.9378, "America/Denver"),
    "San Diego, Cal.": ("San Diego, CA", 32.7157, -117.1611, "America/Los_Angeles"),
    "Toronto, Ont.": ("Toronto, ON", 43.6532, -79.3832, "America/Toronto"),
    "Regina, Sask.": ("Regina, SK", 50.4452, -104.6189, "America/Regina"),
    "Calgary, Alta.": ("Calgary, AB", 51.0447, -114.0719, "America/Edmonton"),
    "Winnipeg, Man.": ("Winnipeg, MB", 49.8951, -97.1384, "America/Winnipeg"),
    "St. John's, Nfld.": ("St. John's, NL", 47.5615, -52.7126, "America/St_Johns"),
    "Charlottetown, P.E.I.": ("Charlottetown, PE", 46.2382, -63.1311, "America/Halifax"),
}


@pytest.mark.parametrize("typed", sorted(TYPED))
def test_an_older_abbreviation_after_a_city_names_its_region(typed):
    label, lat, lon, zone = TYPED[typed]
    place = geo.resolve_near(typed)
    assert (place.label, place.precision, place.timezone) == (label, "city", zone)
    assert km(place.lat, place.lon, lat, lon) < 10, (place.lat, place.lon)


@pytest.mark.parametrize("typed", ["Montreal, Que.", "Québec, P.Q.", "Montréal, Qué."])
def test_quebec_by_its_older_abbreviations(typed):
    place = geo.resolve_near(typed)
    assert place.label.endswith(", QC") and place.timezone == "America/Toronto"


def test_alone_a_town_of_that_name_comes_before_the_province():
    # Man, West Virginia, is the only town called Man: it is the answer.
    place = geo.resolve_near("Man")
    assert place.label == "Man, WV"
    assert km(place.lat, place.lon, 37.7418, -81.8751) < 10
    # Alta and Ida are towns in several states: the 422 asks which, it does not say
    # 'a whole province'.
    for typed in ("Alta", "Ida"):
        with pytest.raises(geo.PlaceNotFound) as refused:
            geo.resolve_near(typed)
        assert "several states" in str(refused.value), typed


@pytest.mark.parametrize("typed, name", [("Sask", "Saskatchewan"), ("Que.", "Quebec"),
                                         ("Cal.", "California"), ("Tex.", "Texas")])
def test_alone_an_abbreviation_no_town_bears_is_the_whole_region(typed, name):
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near(typed)
    assert f"'{name}' is a whole state or province" in str(refused.value)


def test_a_town_whose_last_word_is_a_region_is_that_town():
    # Mount Ida, Arkansas, ends in 'Ida' (Idaho's older abbreviation).
    place = geo.resolve_near("Mount Ida")
    assert place.label == "Mount Ida, AR"
    assert km(place.lat, place.lon, 34.5568, -93.6341) < 10
    # Without a comma an older abbreviation is a state only after one of its cities: the
    # error does not invent 'no city called Isle of in Manitoba'.
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("Isle of Man")
    assert "Manitoba" not in str(refused.value)
    # A plain state after an unknown name still narrows the error to that state.
    with pytest.raises(geo.PlaceNotFound) as refused:
        geo.resolve_near("Fakecity IL")
    assert "in Illinois" in str(refused.value)


@pytest.mark.parametrize("typed, label, lat, lon", [
    # Each ends in words that also name a state ('Mount' is how 'MT' is read, as in
    # 'Mt. Prospect'); the whole text is the town people mean.
    ("Rocky Mount", "Rocky Mount, NC", 35.9382, -77.7905),
    ("Port Washington", "Port Washington, NY", 40.8257, -73.6982),
    ("West New York", "West New York, NJ", 40.7879, -74.0143),
    ("Mount Penn", "Mount Penn, PA", 40.3287, -75.8907),
    # …while a smaller town before its province's code stays that town ('Forest ON' is
    # not Foreston, MN, whose name it spells without the space).
    ("Forest ON", "Forest, ON", 43.0978, -82.0016),
])
def test_a_town_named_like_a_state_is_the_town(typed, label, lat, lon):
    place = geo.resolve_near(typed)
    assert place.label == label
    assert km(place.lat, place.lon, lat, lon) < 10, (place.lat, place.lon)

"""Turning "where" into a point, offline by default (DESIGN §6, §7).

`resolve_near` reads a place the way people type it — a ZIP or ZIP+4, "City, ST",
"City ST", "City, State", a city alone, "Bucks County, PA", with St./Saint, apostrophes,
any case and spacing, or a point as a phone pastes it (coordinates.py) — and answers from
the offline gazetteer (`gazetteer.py`), so a
search never sends a frightened person's whereabouts to a third party. A full address is
geocoded only when an operator configures a geopy geocoder; without one its city is used.

A city alone names the city of that name nearest the directory's own records (`served`,
service_region.py: "Aurora" in a Chicago-area directory is Aurora, IL); among several in
the served area, or with no region known, the most populous one. The others are listed in
`alternatives`; when no candidate stands out (towns known only by their ZIPs) the place is
ambiguous and the error names the candidates. Nothing resolves to (0, 0).
"""
import difflib
import functools
import math
import re
import unicodedata

from geopy.point import Point

from directory_service import coordinates, gazetteer
from directory_service.place_answer import Place, PlaceNotFound, UnknownPlace  # noqa: F401
from directory_service.place_words import (COUNTRY, broader_part, links_in, means_here,
                                           unwrapped, without_links)
from directory_service.gazetteer import zone_at  # noqa: F401  (the zone of a point)

ZIP = re.compile(r"^(\d{5})(?:[-\s]?\d{4})?$")
TRAILING_ZIP = re.compile(r"[\s,]+(\d{5})(?:[-\s]?\d{4})?$")
LEADING_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?[\s,]+(?=[^\W\d])")
# A Canadian postal code ("V6B 1A1") or its first half: its first letter is the province.
CA_POSTAL = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(?:\s*\d[ABCEGHJ-NPRSTV-Z]\d)?$",
                       re.I)
TRAILING_CA_POSTAL = re.compile(
    r"[\s,]+[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s*\d[ABCEGHJ-NPRSTV-Z]\d$", re.I)
CA_POSTAL_PROVINCE = {"A": "NL", "B": "NS", "C": "PE", "E": "NB", "G": "QC", "H": "QC",
                      "J": "QC", "K": "ON", "L": "ON", "M": "ON", "N": "ON", "P": "ON",
                      "R": "MB", "S": "SK", "T": "AB", "V": "BC", "X": "NT", "Y": "YT"}
# A street address's house number ('123 Main St', '12B Elm', '40-12 Broadway'): two or
# more words after it, so a town named with a number ('29 Palms') is not one.
HOUSE_NUMBER = re.compile(r"^\d+[a-z]?(?:-\d+)?\s+\S+\s+\S", re.I)
# Regions that are one city: "DC" alone is Washington, not a whole state to narrow down.
CITY_REGIONS = {"DC": "Washington"}
COUNTY = re.compile(r"\b(county|parish|borough)$", re.I)
MUNICIPALITY = re.compile(r"^(?:(?:the )?(?:city|village|town|township|borough|municipality) "
                          r"of )|\s(?:city|village|town|township|borough|cdp)$", re.I)
# Two decimals of a degree is about 1.1 km of latitude: coarse enough to log or echo back.
COARSE_DECIMALS = 2
# A city alone resolves to the most populous candidate when it is this many times the next.
DOMINANT = 1.5
MAX_ALTERNATIVES = 5
# How close a spelling must be to be offered ("Chicagoo" → Chicago): difflib's ratio.
SUGGEST_CUTOFF = 0.8
# South of this is Antarctica: a point there is a latitude and longitude swapped.
ANTARCTICA = -60.0


def resolve_near(text, geocoder=None, served=None):
    """Resolve `near` to a Place, or raise PlaceNotFound saying what was not understood.

    `served` decides between cities of one name: a service_region.ServiceRegion, None, or
    a function returning one of those, called only for a city named alone (it may ask the
    store, which a ZIP or "City, ST" never needs). Text naming no place as written is read
    again without a map link beside its words, without the words around the place, then
    as its last part (place_words.py)."""
    text = " ".join(_plain(text).split()).strip(" ,")
    if COUNTRY.match(", " + text):
        raise PlaceNotFound(f"{text!r} is a whole country: give a city and state or province, "
                            "or a ZIP code")
    if means_here(text):
        raise PlaceNotFound(f"{text!r} needs your location: give a ZIP code or a city and "
                            "state, or send lat and lon (the page's 'Use my location')")
    try:
        return _resolve(text, geocoder, served)
    except PlaceNotFound as first:
        words = without_links(text)
        if not (words or isinstance(first, UnknownPlace)):
            raise
        plain, said = words or text, first
        inner = unwrapped(plain)
        for again in (*(links_in(text) if words else ()), words, inner,
                      broader_part(inner or plain)):
            if again:
                try:
                    return _resolve(again, geocoder, served)
                except PlaceNotFound as exc:
                    # What the words beside a link say, or the place inside the words when
                    # it is refused for a reason of its own ("near T5J 0N3": a Canadian
                    # postal code), is clearer than "no city called".
                    if again is words or (again is inner and not isinstance(exc, UnknownPlace)):
                        said = exc
        raise said


def _resolve(text, geocoder, served):
    if not text:
        raise PlaceNotFound("empty place: give a ZIP code or a city and state")
    if m := ZIP.match(text):
        return _zip_place(m.group(1))
    try:
        point = coordinates.read(text)
    except coordinates.NoCoordinates as exc:
        # A link naming its place in words ("geo:0,0?q=Naperville, IL"): those words.
        query = coordinates.link_query(text)
        if query is None or len(query) >= len(text):
            raise PlaceNotFound(str(exc)) from None
        return resolve_near(query, geocoder, served)
    if point is not None:
        return _point(*point)
    text = COUNTRY.sub("", text).strip(" ,")
    if m := LEADING_ZIP.match(text):
        # "60540, Naperville" or "60540 Naperville IL": the ZIP is the more precise half.
        return _zip_place(m.group(1))
    # "Naperville/IL", "Naperville; IL": a slash or semicolon between name and state.
    text = re.sub(r"\s*[;/]\s*", ", ", text)
    if m := CA_POSTAL.match(text):
        raise _canadian_postal_code(m.group(0).upper())
    # "Vancouver, BC V6B 1A1": the city and province are the half that can be placed.
    text = TRAILING_CA_POSTAL.sub("", text).strip(" ,")
    if m := TRAILING_ZIP.search(text):
        # "Naperville, IL 60540": the ZIP is the more precise half.
        return _zip_place(m.group(1))
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) >= 3 and geocoder is not None:
        return _geocoded(text, geocoder)
    city, region = _split_region(parts)
    if region is None and len(parts) >= 2 and geocoder is not None:
        return _geocoded(text, geocoder)
    if city and HOUSE_NUMBER.match(city):
        if geocoder is not None:
            # '123 Main St Naperville IL', typed without commas: still a street address.
            return _geocoded(text, geocoder)
        city = _address_city(city, region)
    if not city and region is not None and region[0] in CITY_REGIONS:
        return _city_place(CITY_REGIONS[region[0]], region, served)
    if not city:
        name = region[1] if region else text
        # The cities of that name ('Washington': Washington, DC), then the region's largest.
        towns = [c.label for c in gazetteer.cities(text)][:2]
        towns += [c.label for c in gazetteer.largest_cities(region[0])] if region else []
        towns = towns[:MAX_ALTERNATIVES]
        raise PlaceNotFound(f"{name!r} is a whole state or province: give a city or a ZIP "
                            "code", towns)
    if COUNTY.search(city):
        return _county_place(city, region) if region is not None else \
            _county_anywhere(city, served)
    return _city_place(city, region, served)


def _address_city(text, region):
    """The city of a street address read without a geocoder, as 'City, ST' is read with
    commas: the part after the last comma ('400 S Eagle St, Naperville'), else the longest
    run of last words that is a city ('123 Main St Naperville IL', '1600 Pennsylvania Ave
    NW Washington DC'); '' when the address names none. A town whose name starts with a
    number ('100 Mile House', BC) is that town."""
    abbr = region[0] if region else None
    if gazetteer.cities(text, abbr) or _towns(text, abbr):
        return text
    if "," in text:
        return text.rsplit(",", 1)[1].strip()
    words = text.split()
    for size in range(min(4, len(words) - 2), 0, -1):
        tail = " ".join(words[-size:])
        if gazetteer.cities(tail, abbr) or (abbr and _towns(tail, abbr)):
            return tail
    if abbr is None or abbr not in CITY_REGIONS:
        raise PlaceNotFound(f"{text!r} looks like a street address with no city: give its "
                            "ZIP code, or its city and state")
    return ""


def _plain(text):
    """Text as typed on any keyboard or pasted from anywhere: compatibility forms folded
    (full-width digits and commas, ligatures) and invisible characters dropped (a zero-width
    space or byte-order mark copied along with a ZIP code)."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _split_region(parts):
    """(city text, region) from 'City, ST', 'City ST', 'City, State' or 'City'."""
    if len(parts) >= 2:
        found = gazetteer.region(parts[-1])
        if found is not None:
            return parts[-2], found
        return ", ".join(parts), None
    words = parts[0].split(" ") if parts else []
    # The longest run of trailing words that names a state ('new york', 'north carolina'),
    # as long as a city is left in front of it.
    for size in (3, 2, 1):
        if len(words) > size:
            found = gazetteer.region(" ".join(words[-size:]))
            if found is not None and gazetteer.cities(" ".join(words[:-size]), found[0]):
                return " ".join(words[:-size]), found
    # A state after a smaller town of it ('Forest ON'), or after words that are no city
    # of it: the error names the state ('no city called … in …'), unless the whole text is
    # a city ('Mount Ida', AR; 'Port Washington') or the state is only an older
    # abbreviation ('Isle of Man', 'Loma Alta').
    for size in (3, 2, 1):
        tail, head = " ".join(words[-size:]), " ".join(words[:-size])
        if len(words) > size and not gazetteer.older_abbreviation(tail) and (
                found := gazetteer.region(tail)) and (
                _towns(head, found[0]) or not gazetteer.cities(parts[0])):
            return head, found
    whole = gazetteer.region(parts[0]) if parts else None
    if whole is not None and not _names_a_city(parts[0], whole):
        return "", whole
    return parts[0] if parts else "", None


def _names_a_city(text, region):
    """Whether `text`, which names `region`, alone means a city rather than the region:
    'Indiana' is the state, not Indiana, PA; 'New York' is the city in New York, and so is
    'Nueva York'; 'Alta' alone is Alta, UT (or IA), though 'Calgary, Alta.' is in Alberta."""
    if gazetteer.cities(text, region[0]):
        return True
    if gazetteer.older_abbreviation(text):
        return bool(gazetteer.cities(text))
    return gazetteer.translated_region(text) and bool(gazetteer.cities(region[1], region[0]))


@functools.lru_cache(maxsize=4096)
def _zip_place(code):
    z = gazetteer.zip_code(code)
    if z is None:
        raise PlaceNotFound(f"unknown ZIP code {code}")
    if z.lat is not None:
        return Place(z.lat, z.lon, "zip", code, zone_at(z.lat, z.lon))
    # Unique and PO-box ZIPs often have no point of their own: their town has one.
    towns = gazetteer.cities(z.city, z.state)
    if not towns:  # a military ZIP (APO, FPO, DPO) is a mail route, not a place
        where = "is military mail (APO/FPO/DPO)" if z.kind == "MILITARY" else "has no place on file"
        raise PlaceNotFound(f"ZIP code {code} {where}: give the city where you are")
    town = towns[0]
    return Place(town.lat, town.lon, "city", town.label, zone_at(town.lat, town.lon))


def _point(lat, lon):
    if _on_land(lon, lat) and not _on_land(lat, lon):
        # "-87.63, 41.88" (GeoJSON's order, longitude first) is Antarctica or out of range.
        swapped = f"{round(lon, 6)}, {round(lat, 6)}"
        raise PlaceNotFound(f"latitude comes first: {round(lat, 6)}, {round(lon, 6)} is no "
                            f"place to search from; did you mean {swapped!r}?", [swapped])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (abs(lat) < 1e-6 and abs(lon) < 1e-6):
        raise PlaceNotFound(f"{lat}, {lon} is not a place on land")
    return Place(lat, lon, "exact", "point", zone_at(lat, lon))


def _on_land(lat, lon):
    """Whether a point is in range, on land (or just off a coast) and not in Antarctica."""
    return (ANTARCTICA < lat <= 90 and -180 <= lon <= 180
            and not (abs(lat) < 1e-6 and abs(lon) < 1e-6) and zone_at(lat, lon) is not None)


def _city_place(city, region, served=None):
    abbr = region[0] if region else None
    found = gazetteer.cities(city, abbr) or _towns(city, abbr)
    if not found and (bare := MUNICIPALITY.sub("", city).strip()) and bare != city:
        # "City of Chicago", "Village of Oak Park", the Census's "Naperville city": the
        # town's own name ("Kansas City" is found as it is, before this).
        return _city_place(bare, region, served)
    if not found:
        raise UnknownPlace(_not_found(city, region), lambda: _suggest(city, abbr))
    contenders, ordered = found, found
    if abbr is None and len(found) > 1 and callable(served):
        served = served()
    if abbr is None and served and len(found) > 1:
        # The directory's own area first: the population rule decides only among the
        # cities a default search there would find records from; without any, the
        # nearest in a served state wins outright; with none there either, population.
        contenders, ordered = served.order(found)
    best = ordered[0]
    # The others in population order: the well-known namesakes are the likely meanings.
    others = [c for c in found if c is not best]
    if abbr is None and len(contenders) > 1 and not _dominant(best, contenders[1]):
        labels = [c.label for c in ordered[:MAX_ALTERNATIVES + 1]]
        raise PlaceNotFound(f"{city!r} is in several states: add the state, for example "
                            f"{labels[0]!r}", labels)
    return Place(best.lat, best.lon, "city", best.label, zone_at(best.lat, best.lon),
                 tuple(c.label for c in others[:MAX_ALTERNATIVES]))


def _towns(city, abbr):
    """The towns of geonames' longer list called `city` (towns.py), for a town the
    gazetteer's cities and ZIP towns do not know: [] when none is."""
    from directory_service import towns

    if abbr:
        found = towns.town(city, abbr)
        return [found] if found is not None else []
    return list(towns.towns(city))


def _dominant(best, runner_up):
    return (best.population or 0) >= DOMINANT * max(runner_up.population or 0, 1)


def _county_place(name, region):
    found = gazetteer.county(name, region[0])
    if found is None:
        raise PlaceNotFound(f"no {name} in {region[1]}")
    return Place(found.lat, found.lon, "county", found.label, zone_at(found.lat, found.lon))


def _county_anywhere(name, served=None):
    """A county named without its state ('DuPage County'): the one of that name near the
    directory's records or in a state it serves; when that does not settle it, an error
    naming the candidates."""
    found = gazetteer.counties_named(name)
    if not found:
        raise PlaceNotFound(f"no county called {name!r} in any state")
    contenders = found
    if len(found) > 1 and callable(served):
        served = served()
    if len(found) > 1 and served:
        contenders, found = served.order(found)
    if len(contenders) > 1:
        labels = [c.label for c in found[:MAX_ALTERNATIVES + 1]]
        raise PlaceNotFound(f"{name!r} is in several states: add the state, for example "
                            f"{labels[0]!r}", labels)
    best = contenders[0]
    return Place(best.lat, best.lon, "county", best.label, zone_at(best.lat, best.lon))


def _canadian_postal_code(code):
    """No Canadian postal code is on file offline: say so and offer the province's
    largest cities (its first letter names the province)."""
    province = "NU" if code[:3] in ("X0A", "X0B", "X0C") else CA_POSTAL_PROVINCE[code[0]]
    towns = [c.label for c in gazetteer.largest_cities(province)][:MAX_ALTERNATIVES]
    return PlaceNotFound(f"Canadian postal codes ({code}) cannot be placed here: give the "
                         f"city and province, for example {towns[0]!r}" if towns else
                         f"Canadian postal codes ({code}) cannot be placed here: give the "
                         f"city and province", towns)


def _not_found(city, region):
    where = f" in {region[1]}" if region else ""
    return f"no city called {city!r}{where}"


def _suggest(city, abbr):
    """Close spellings: in the named region, else the best-known cities anywhere."""
    names, by_length = _labels_by_key(abbr)
    typed = gazetteer.key(city)
    # Only keys of a length that can reach the cutoff (difflib's real_quick_ratio would
    # drop the others one by one): the same matches, a fraction of the comparisons.
    shortest, longest = math.ceil(len(typed) * 2 / 3), math.floor(len(typed) * 3 / 2)
    keys = [k for n in range(shortest, longest + 1) for k in by_length.get(n, ())]
    close = difflib.get_close_matches(typed, keys, n=3, cutoff=SUGGEST_CUTOFF)
    return [label for k in close for label in names[k]][:MAX_ALTERNATIVES]


@functools.lru_cache(maxsize=128)
def _labels_by_key(abbr):
    """({name key: ["Name, ST", ...]}, {key length: [keys]}) of a region's cities, or of
    every region's (None): built once, not on each misspelt place (~20 ms a time)."""
    regions = [abbr] if abbr else sorted({r for r, _n, _c in gazetteer.regions().values()})
    found = {}
    for region_abbr in regions:
        for name_key, name in gazetteer.city_names(region_abbr).items():
            people = max((c.population or 0 for c in gazetteer.cities(name, region_abbr)),
                         default=0)
            found.setdefault(name_key, []).append((-people, region_abbr, f"{name}, {region_abbr}"))
    # The best-known namesakes first: "Plainfield, IL" and "Plainfield, NJ" before Vermont's.
    names = {k: [label for *_order, label in sorted(v)] for k, v in found.items()}
    by_length = {}
    for name_key in names:
        by_length.setdefault(len(name_key), []).append(name_key)
    return names, by_length


def warm():
    """Build the table of close spellings now (gunicorn's master), not on a searcher's time."""
    _labels_by_key(None)


def _geocoded(text, geocoder):
    found = geocoder.geocode(text)
    if found is None:
        raise PlaceNotFound("address not found")
    return Place(found.latitude, found.longitude, "address", "address",
                 zone_at(found.latitude, found.longitude))


def coarse(lat, lon):
    """A point rounded to about 1 km, safe to log or return."""
    point = Point(lat, lon)
    return round(point.latitude, COARSE_DECIMALS), round(point.longitude, COARSE_DECIMALS)


def to_metres(value, unit):
    return value * {"m": 1.0, "km": 1000.0, "mi": 1609.344}[unit]

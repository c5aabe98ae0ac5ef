"""After a search near a city finds nothing: the same name where this directory has places.

"Aurora, CO" in a Chicago-area directory finds nothing, and "try a larger distance" would
send a frightened person hundreds of miles out; Aurora, IL finds places. So before that
advice the page offers the namesakes where the very same search finds something.
"""
from dataclasses import replace

from flask import current_app

from directory_service import gazetteer, service_region

# Namesakes tried, nearest the directory's records first: each costs one store search,
# and only a search that found nothing pays it.
MAX_TRIED = 3


def namesakes_with_places(origin, query):
    """Labels of other places of the origin's name where `query` finds at least one place;
    [] when the origin is not a city (a ZIP, a point, a county), or is itself among the
    directory's records: there the choices found nothing, not the place."""
    if origin.precision != "city" or ", " not in origin.label:
        return []
    store = current_app.extensions["store"]
    served = service_region.for_search(current_app.config["SETTINGS"], store)
    if served and served.distance_km(origin.lat, origin.lon) <= service_region.REACH_KM:
        return []
    name = origin.label.rsplit(", ", 1)[0]
    others = [c for c in gazetteer.cities(name) if c.label != origin.label]
    if served and others:
        others = served.order(others)[1]
    found = []
    for city in others[:MAX_TRIED]:
        probe = replace(query, lat=city.lat, lon=city.lon, page=1, per_page=1)
        if store.search(probe).total:
            found.append(city.label)
    return found

"""Streaming exports (DESIGN §6): NDJSON, GeoJSON (RFC 7946) and HSDS 3.0 JSON.

Each format is a generator of text chunks over `store.scan(kinds, modified_after)`, which
is itself a generator: one record is in memory at a time, whatever the directory's size;
`python -m indexer export` writes them out. The API serves `page`s instead: a bounded
slice in id order with a cursor to the next one, so no response outlives a worker timeout.
"""
import json
from datetime import datetime, timezone


FORMATS = ("ndjson", "geojson", "hsds")
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "geojson": "application/geo+json",
               "hsds": "application/json"}


def aware(moment):
    """A datetime with a zone; a naive one is taken as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def feature(record):
    """A GeoJSON Feature: [lon, lat] order, as RFC 7946 §3.1.1 says."""
    properties = {k: v for k, v in record.items() if k != "location"}
    loc = record["location"]
    return {"type": "Feature", "id": record["id"],
            "geometry": {"type": "Point", "coordinates": [loc["lon"], loc["lat"]]},
            "properties": properties}


def _array(items, opening, closing):
    yield opening
    for i, item in enumerate(items):
        yield ("," if i else "") + _dumps(item)
    yield closing


def stream(store, fmt, kinds=(), modified_after=None):
    """Text chunks of the export, produced as the store yields records."""
    return _chunks(store.scan(tuple(kinds or ()), aware(modified_after)), fmt)


def page(store, fmt, kinds=(), modified_after=None, after=None, limit=1000):
    """One page of an export: (the page's whole text, the id the next page starts
    after, or None on the last page).

    One more record than `limit` is read, so the last page says it is the last: a
    client that follows `next` until there is none has every record, and a page is
    built whole before it is sent, so it either arrives complete or fails visibly.
    """
    records = list(store.scan(tuple(kinds or ()), aware(modified_after), after=after,
                              limit=limit + 1))
    more = len(records) > limit
    records = records[:limit]
    next_after = records[-1]["id"] if more else None
    return "".join(_chunks(iter(records), fmt)), next_after


def _chunks(records, fmt):
    if fmt == "ndjson":
        return (_dumps(r) + "\n" for r in records)
    if fmt == "geojson":
        return _array((feature(r) for r in records),
                      '{"type":"FeatureCollection","features":[', "]}\n")
    if fmt == "hsds":
        # Imported here: hsds_export reads the app's vocabularies, and the app imports this
        # module, so a module-level import would be circular when this module comes first.
        from indexer.hsds_export import service_at_location

        now = datetime.now(timezone.utc)  # one UTC offset per zone for the whole export
        return _array((service_at_location(r, now) for r in records), "[", "]\n")
    raise ValueError(f"unknown export format {fmt!r}")

"""A point read the way people paste one into `near` (geo.py asks here first).

A coach standing beside someone shares where they are from a phone: the share sheet gives
"41.8781, -87.6298", "(41.8781, -87.6298)", "41.8781° N, 87.6298° W", "41°52′43″N
87°37′47″W", Wikipedia's "41.8781°N 87.6298°W" with its minus sign (U+2212), a geo: URI or a
map link ("…/maps/place/…/@41.83,-87.89,10z/…!3d41.8781!4d-87.6298", "?q=41.88,-87.63",
Apple's and Waze's "?ll=…", Bing's "?cp=41.88~-87.63", OpenStreetMap's "#map=15/41.88/-87.63"),
with or without a name after it in brackets ("41.88, -87.63 (Chicago)"). None of these should need
retyping. Every one of these forms puts latitude first, or labels each half N/S or E/W.
A map link that names its place in words instead ("geo:0,0?q=…", "?q=Naperville,+IL") is
read as those words (`link_query`); one that carries neither (a short link) cannot be
followed offline: the caller is told so, not sent to a city lookup.
"""
import re
from urllib.parse import parse_qsl, unquote_plus, urlsplit

# Minus signs that are not ASCII's: Wikipedia's U+2212, and dashes used as one.
MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2010": "-", "\u2011": "-"})
NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
# Halves split by a comma, semicolon, space, slash, or Bing's tilde ("cp=41.88~-87.63").
DECIMAL_PAIR = re.compile(rf"^[(\[]?\s*({NUMBER})\s*°?\s*[,;\s/~]\s*({NUMBER})\s*°?\s*[)\]]?$")
# A name after a point ("41.88, -87.63 (Chicago)", as share sheets and pages write it).
LABEL = re.compile(r"\s*\([^()]*[^\W\d_][^()]*\)$")


def _half(n, letter_first):
    """One labelled or degree-marked coordinate, its N/S/E/W letter before it or after it
    (never both: "N41.88 W87.63" must not read the W as the first half's); groups
    suffixed with `n`."""
    letter = rf"(?P<letter{n}>[NSEW])?"
    number = (rf"(?P<sign{n}>[-+])?(?P<deg{n}>\d{{1,3}}(?:\.\d+)?)\s*"
              rf"(?P<degmark{n}>°|º|˚|deg\b)?\s*"
              rf"(?:(?P<min{n}>\d{{1,2}}(?:\.\d+)?)\s*(?:'|′|’|‘)\s*)?"
              rf"(?:(?P<sec{n}>\d{{1,2}}(?:\.\d+)?)\s*(?:\"|″|”|“|''|′′)\s*)?")
    return rf"{letter}\s*{number}" if letter_first else rf"{number}\s*{letter}"


LABELLED_PAIRS = tuple(
    re.compile(rf"^[(\[]?\s*{_half(1, first)}\s*[,;/]?\s*{_half(2, first)}\s*[)\]]?$", re.I)
    for first in (True, False))
# Map link parameters that hold "lat,lon", most specific first.
LINK_PARAMS = ("q", "query", "ll", "coordinate", "destination", "daddr", "sll", "center",
               "cp", "saddr")
GOOGLE_PLACE = re.compile(rf"!3d({NUMBER})!4d({NUMBER})")
GOOGLE_VIEW = re.compile(rf"@({NUMBER}),({NUMBER})")
OSM_MAP = re.compile(rf"map=\d{{1,2}}(?:\.\d+)?/({NUMBER})/({NUMBER})")


class NoCoordinates(ValueError):
    """A map link with no coordinates in it (a short link): nothing to place offline."""


def read(text):
    """(lat, lon) as floats when `text` is a point in one of the forms above, else None.
    Ranges are not checked here (geo.py says what is wrong with them). Raises
    NoCoordinates for a map link that holds none."""
    text = text.translate(MINUS).strip()
    if _is_link(text):
        return _from_link(text)
    text = LABEL.sub("", text)
    if m := DECIMAL_PAIR.match(text):
        return float(m.group(1)), float(m.group(2))
    for pattern in LABELLED_PAIRS:
        if (m := pattern.match(text)) and (point := _labelled(m)):
            return point
    return None


def _is_link(text):
    lowered = text.lower()
    return lowered.startswith(("http://", "https://", "geo:", "www.", "maps.", "goo.gl/",
                               "maps.app.goo.gl/"))


def _from_link(text):
    if text.lower().startswith("geo:"):
        # RFC 5870: geo:lat,lon[,alt][;crs=…][?q=…]
        body = text[4:].split("?", 1)[0].split(";", 1)[0]
        parts = body.split(",")
        point = _pair(f"{parts[0]},{parts[1]}") if len(parts) >= 2 else None
        if point and point != (0.0, 0.0):
            return point
        # Android's "geo:0,0?q=…" names the place in its query (link_query).
        raise NoCoordinates("a geo: link without a latitude and longitude")
    # The place's own point (Google's !3d…!4d…) before the map's centre (@…).
    if m := GOOGLE_PLACE.search(text):
        return float(m.group(1)), float(m.group(2))
    params = _link_params(text, fragment=True)
    if "mlat" in params and "mlon" in params and (
            point := _pair(f"{params['mlat']},{params['mlon']}")):
        return point
    for name in LINK_PARAMS:
        if name in params and (point := _pair(params[name])):
            return point
    # Last, the centre of the map on screen (Google's "@…", OpenStreetMap's "map=…").
    for pattern in (GOOGLE_VIEW, OSM_MAP):
        if m := pattern.search(text):
            return float(m.group(1)), float(m.group(2))
    raise NoCoordinates("a map link without coordinates in it (a short link cannot be "
                        "opened here): give the coordinates, a ZIP code or a city and state")


def link_query(text):
    """The place a map link names in words when it carries no coordinates: Android's
    "geo:0,0?q=1 Main St, Naperville", Google's "?q=Naperville,+IL" or
    "?api=1&query=…", Apple's "?address=…", "?daddr=…"; a trailing "(label)" dropped.
    None when it names none."""
    text = text.translate(MINUS).strip()
    if not _is_link(text):
        return None
    params = _link_params(text)
    for name in ("q", "query", "address", "daddr", "destination"):
        value = " ".join(params.get(name, "").split())
        value = re.sub(r"\s*\([^()]*\)$", "", value).strip()
        if value:
            return value
    return None


def _link_params(text, fragment=False):
    """A link's query parameters (and its #fragment's, OpenStreetMap's "#map=…"), by name.
    urlsplit reads geo: URIs ("geo:0,0?q=…") and scheme-less links ("www.…") alike."""
    parts = urlsplit(text if ":" in text.split("/", 1)[0] else f"https://{text}")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if fragment:
        params.update(parse_qsl(parts.fragment, keep_blank_values=True))
    return params


def _pair(value):
    """(lat, lon) of a link parameter's "41.88,-87.63" ("loc:" prefixed or not), else None."""
    value = LABEL.sub("", unquote_plus(value).translate(MINUS).strip())
    value = value[4:] if value.lower().startswith("loc:") else value
    m = DECIMAL_PAIR.match(value)
    return (float(m.group(1)), float(m.group(2))) if m else None


def _labelled(m):
    """(lat, lon) of a LABELLED_PAIRS match, or None when it is not a point after all (no
    hemisphere letter or degree mark on either half: bare numbers are DECIMAL_PAIR's; two
    latitudes; minutes or seconds of 60 or more)."""
    halves, labelled = [], 0
    for n in (1, 2):
        letter = (m.group(f"letter{n}") or "").upper()
        marked = m.group(f"degmark{n}") or m.group(f"min{n}") or m.group(f"sec{n}")
        if letter or marked:
            labelled += 1
        minutes, seconds = float(m.group(f"min{n}") or 0), float(m.group(f"sec{n}") or 0)
        if minutes >= 60 or seconds >= 60:
            return None
        value = float(m.group(f"deg{n}")) + minutes / 60 + seconds / 3600
        if letter in ("S", "W") or m.group(f"sign{n}") == "-":
            value = -value
        halves.append((letter, value))
    if not labelled:
        return None
    (first_letter, first), (second_letter, second) = halves
    if {first_letter, second_letter} in ({"N", "S"}, {"N"}, {"S"}, {"E", "W"}, {"E"}, {"W"}):
        return None  # two latitudes or two longitudes
    if first_letter in ("E", "W") or second_letter in ("N", "S"):
        first, second = second, first  # "87.63 W, 41.88 N": longitude given first
    return first, second

"""Words people write around a place that are not the place: "near Naperville", "in
Aurora, IL", "Chicago area", "cerca de Joliet", "Downtown Naperville", a trailing country in
their language ("…, EE. UU."), and "near me", which names no place at all.

geo.resolve_near reads the text as written first; only when that finds nothing does it
try again without these words, so a town whose name starts or ends with one of them is
never changed.
"""
import re

from directory_service import gazetteer

# A trailing country, as an address copied from a map or a form ends: "… USA", "…, Canada";
# and in the other languages of the page and the coaches, after a comma: "…, EE. UU."
# (Google Maps in Spanish), "…, États-Unis", "…, Canadá", "…, Stany Zjednoczone", "…, Hoa
# Kỳ", "…, США", "…, 美国". Not "America" alone: Norwood Young America, MN.
COUNTRIES = (
    r"ee\.?\s?uu\.?|e\.?\s?u\.?\s?a\.?|estados unidos(?: de am[eé]rica)?|canad[aá]",
    r"[ée]tats[-\s]unis(?: d'am[ée]rique)?|stany zjednoczone(?: ameryki)?|kanada",
    r"hoa k[ỳy]|s[ôo]ng hoa k[ỳy]|сша|соединённые штаты(?: америки)?|канада",
    r"美国|美國|加拿大|미국|캐나다|كندا",
    r"الولايات المتحدة(?: الأمريكية)?|संयुक्त राज्य(?: अमेरिका)?",
)
COUNTRY = re.compile(r"[\s,]+(usa|u\.s\.a\.?|u\.s\.?|us|united states(?: of america)?|canada)$"
                     r"|\s*[,،]\s*(" + "|".join(COUNTRIES) + r")$", re.I)
# In front of a place: "near", "in", "around", "close to", "downtown"; Spanish "cerca de",
# "en", "por"; French "près de", "à".
LEADING = re.compile(r"^(?:(?:near|nearby|around|in|at|by|close to|next to|outside(?: of)?|"
                     r"downtown|cerca de(?:l)?|en|por|alrededor de|pr[eè]s de|à)\s+)+", re.I)
# After it: "area", "metro area", "downtown", "and surrounding areas", "y alrededores", a
# bracketed aside ("(downtown)", "(north side)").
TRAILING = re.compile(r"(?:\s+(?:metro(?:politan)?\s+)?(?:area|region|vicinity|metro|suburbs|"
                      r"downtown)|\s+(?:and|&)\s+surrounding(?:\s+areas?)?|\s+y\s+alrededores|"
                      r"\s*\([^()]*\))+$", re.I)
# A web address inside the text: "https://…", "www.…", a bare short link.
LINK = re.compile(r"\S*(?:https?://|www\.|maps\.app\.goo\.gl/|goo\.gl/)\S*", re.I)
# What someone types meaning where they are: no place, so the answer says what to send.
# Compared as gazetteer.key folds them (case, accents, spacing and punctuation dropped).
HERE = frozenset(gazetteer.key(words) for words in (
    "near me", "here", "nearby", "near here", "around me", "my location",
    "current location", "my area", "cerca de mí", "cerca", "aquí", "mi ubicación",
    "près de moi", "ici"))


def without_links(text):
    """The words beside a map link, as a phone's share sheet sends a place ("Edward
    Hospital, 801 S Washington St, Naperville, IL 60540 https://maps.app.goo.gl/…"): the
    link itself cannot be opened here. None when there is no link or nothing else."""
    if not LINK.search(text):
        return None
    words = " ".join(LINK.sub(" ", text).split()).strip(" ,")
    return words if re.search(r"\w", words) else None


def links_in(text):
    """The links in `text`, each of which may carry the point itself (tried first)."""
    return LINK.findall(text)


def means_here(text):
    """Whether `text` means "where I am" ("near me", "cerca de mí") rather than a place."""
    return gazetteer.key(text) in HERE


def unwrapped(text):
    """`text` without the words around its place ("near Naperville" → "Naperville"), or
    None when there are none."""
    plain = TRAILING.sub("", LEADING.sub("", text)).strip(" ,")
    return plain if plain and plain != text else None


def broader_part(text):
    """The last of several comma-separated parts ("Wicker Park, Chicago" → "Chicago"), for
    a neighbourhood named before its city; None for a single part."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) < 2 or COUNTRY.match(", " + parts[-1]):
        return None  # "Fakeville, Canada" is not Canada, KY
    return parts[-1]

"""Which fellowship a meeting feed belongs to, from the feed itself (never a silent default).

Order: the operator's `--fellowship`; a row that names its own fellowship ("… AFG",
"Perryton AA", "Narcotics Anonymous"); else the feed's evidence taken together: names,
`entity` fields, the hosts of its URLs, its file name, and types or formats that only one
fellowship uses (Big Book and Grapevine are AA literature, Basic Text and It Works are NA's).
When the feed says nothing, or two fellowships equally, the meetings are `other` and the
report carries a warning saying why.
"""
import os
import re
from collections import Counter
from urllib.parse import urlparse

from indexer.formats.common import Warned

# (fellowship, pattern) in the order they are tried; family groups before the fellowships
# whose names they contain. Upper-case abbreviations match only in upper case.
NAME_PATTERNS = (
    ("Al-Anon", re.compile(r"\bal[\s-]?anon\b|\balateen\b", re.I)),
    ("Al-Anon", re.compile(r"\bAFG\b")),
    ("Nar-Anon", re.compile(r"\bnar[\s-]?anon\b", re.I)),
    ("CMA", re.compile(r"\bcrystal meth anonymous\b", re.I)),
    ("CMA", re.compile(r"\bCMA\b")),
    ("CA", re.compile(r"\bcocaine anonymous\b", re.I)),
    ("NA", re.compile(r"\bnarcotics anonymous\b", re.I)),
    ("NA", re.compile(r"\bN\.?A\.?(?=\s|$|[),:;/'’-])")),
    ("AA", re.compile(r"\balcoholics anonymous\b", re.I)),
    ("AA", re.compile(r"\bA\.?A\.?(?=\s|$|[),:;/'’-])")),
    ("SMART", re.compile(r"\bsmart recovery\b", re.I)),
    ("Recovery Dharma", re.compile(r"\brecovery dharma\b", re.I)),
    ("Refuge Recovery", re.compile(r"\brefuge recovery\b", re.I)),
    ("Celebrate Recovery", re.compile(r"\bcelebrate recovery\b", re.I)),
)
# Host and file names: distinctive runs of letters first ("alanonma.org"), then whole words.
INSIDE_HINTS = (("alanon", "Al-Anon"), ("al-anon", "Al-Anon"), ("alateen", "Al-Anon"),
                ("naranon", "Nar-Anon"), ("nar-anon", "Nar-Anon"), ("smartrecovery", "SMART"),
                ("recoverydharma", "Recovery Dharma"), ("refugerecovery", "Refuge Recovery"),
                ("celebraterecovery", "Celebrate Recovery"), ("narcoticsanonymous", "NA"),
                ("alcoholicsanonymous", "AA"), ("cocaineanonymous", "CA"),
                ("crystalmethanonymous", "CMA"))
WORD_HINTS = {"aa": "AA", "na": "NA", "cma": "CMA", "afg": "Al-Anon"}
# Intergroup sites commonly put "aa" at either end of one word: aasepia, edmontonaa.
AA_AFFIX = re.compile(r"^aa[a-z]{3,}$|^[a-z]{3,}aa$")
NOT_AA = {"aaron"}
# Meeting Guide types that only AA literature or AA meetings use.
AA_TYPES = {"B": "Big Book", "12x12": "12 & 12", "ABSI": "As Bill Sees It",
            "DR": "Daily Reflections", "GR": "Grapevine", "LS": "Living Sober",
            "AL-AN": "concurrent with Al-Anon"}
# BMLT format keys of NA literature.
NA_FORMATS = {"BT": "Basic Text", "IW": "It Works", "JT": "Just for Today", "JFT": "Just for Today",
              "SG": "Step Working Guide", "SWG": "Step Working Guide", "LC": "Living Clean",
              "GP": "Guiding Principles", "SPAD": "A Spiritual Principle a Day"}
# One fellowship is the feed's when it has at least this many times the runner-up's evidence.
DOMINANT = 2


def named_in(*texts):
    """The one fellowship these texts name, or None (none named, or two different ones)."""
    found = set()
    for text in texts:
        if not text:
            continue
        found.update(f for f, pattern in NAME_PATTERNS if pattern.search(str(text)))
    return found.pop() if len(found) == 1 else None


def words_hint(text):
    """The fellowship a host or file name names: 'edmontonaa.org' → AA, 'alanonma' → Al-Anon."""
    text = (text or "").lower()
    for inside, fellowship in INSIDE_HINTS:
        if inside in text:
            return fellowship
    found = set()
    for word in re.split(r"[^a-z0-9]+", text):
        if word in WORD_HINTS:
            found.add(WORD_HINTS[word])
        elif AA_AFFIX.match(word) and word not in NOT_AA:
            found.add("AA")
    return found.pop() if len(found) == 1 else None


def host(url):
    try:
        return urlparse(str(url)).hostname or ""
    except ValueError:
        return ""


class Evidence:
    """Evidence for a feed's fellowship, gathered row by row, then decided once."""

    def __init__(self, path):
        self.scores = Counter()
        self.reasons = {}
        self._add(words_hint(os.path.basename(path).split(".")[0]), 3, "its file name")
        self._hosts = set()

    def _add(self, fellowship, weight, why):
        if fellowship:
            self.scores[fellowship] += weight
            self.reasons.setdefault(fellowship, why)

    def row(self, named=None, urls=(), types=(), formats=()):
        """One row's evidence: the fellowship it names, its URLs, its types or formats."""
        self._add(named, 1, "the names of its meetings")
        for url in urls:
            name = host(url)
            if name and name not in self._hosts:
                self._hosts.add(name)
                self._add(words_hint(name.removeprefix("www.")), 5, f"its web site {name}")
        for code in types:
            if code in AA_TYPES:
                self._add("AA", 1, f"AA literature types ({AA_TYPES[code]})")
        for code in formats:
            if code in NA_FORMATS:
                self._add("NA", 1, f"NA literature formats ({NA_FORMATS[code]})")

    def decide(self, option=None):
        """(fellowship, Warned or None) for the rows that do not name their own."""
        if option:
            return option, None
        ranked = self.scores.most_common(2)
        if ranked and (len(ranked) == 1 or ranked[0][1] >= DOMINANT * ranked[1][1]):
            return ranked[0][0], None
        if not ranked:
            return "other", Warned("fellowship:unknown", (
                "nothing in the feed names its fellowship (no name, web site, file name or "
                "fellowship-specific type): loaded as 'other'; use --fellowship"))
        both = " and ".join(f"{f} ({self.reasons[f]})" for f, _ in ranked)
        return "other", Warned("fellowship:mixed", (
            f"the feed points to {both} equally: rows that do not name their own fellowship "
            "are loaded as 'other'; use --fellowship"))

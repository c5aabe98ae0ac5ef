"""Which fellowship a meeting feed belongs to, from the feed itself (never a silent default).

Signals in order of strength; a weaker one never outweighs a stronger one:
1. the operator's `--fellowship`;
2. a row that names its own fellowship ("… AFG", "Perryton AA", "Narcotics Anonymous"): that
   row only;
3. the feed's own identity: the web sites on its rows (a fellowship's own domain, `na.org`,
   `eda-recovery.org`, or an intergroup's, `aasepia.org`), its `entity`, a feed-level URL
   (a BMLT `root_server_uri`) naming one, else its file name;
4. hints from the rows: meeting names, and types or formats only one fellowship uses (Big
   Book is AA literature, Basic Text NA's), counted once per row.
A feed whose identity is a fellowship we do not list (Eating Disorders Anonymous) is
`other`, warned by name. Hints from a few rows only (fewer than 3, or than a tenth of the
meetings) decide with a `fellowship:unsure` warning. When the feed's own web site names no
fellowship, hints from less than half its meetings are warned, and a few rows only leave it
`other`. Nothing at all, or two fellowships equally, is `other` with a warning.
"""
import os
import re
from collections import Counter
from urllib.parse import urlparse

from directory_service import vocab
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
# Fellowships' own domains (a host is the domain or one of its subdomains). Those we do not
# list load as `other`, named in the warning.
SITES = {
    "aa.org": "AA", "aagrapevine.org": "AA", "na.org": "NA", "al-anon.org": "Al-Anon",
    "alateen.org": "Al-Anon", "nar-anon.org": "Nar-Anon", "ca.org": "CA",
    "crystalmeth.org": "CMA", "smartrecovery.org": "SMART",
    "recoverydharma.org": "Recovery Dharma", "refugerecovery.org": "Refuge Recovery",
    "celebraterecovery.com": "Celebrate Recovery",
    "eda-recovery.org": "Eating Disorders Anonymous", "oa.org": "Overeaters Anonymous",
    "gamblersanonymous.org": "Gamblers Anonymous", "coda.org": "Co-Dependents Anonymous",
    "marijuana-anonymous.org": "Marijuana Anonymous", "heroinanonymous.org": "Heroin Anonymous",
    "pillsanonymous.org": "Pills Anonymous", "saa-recovery.org": "Sex Addicts Anonymous",
    "slaafws.org": "Sex and Love Addicts Anonymous", "debtorsanonymous.org": "Debtors Anonymous",
    "adultchildren.org": "Adult Children of Alcoholics", "lifering.org": "LifeRing",
    "womenforsobriety.org": "Women for Sobriety",
}
# Names of fellowships we do not list, as rows and entities spell them.
OTHER_NAMES = tuple((name, re.compile(rf"\b{re.escape(name)}\b", re.I)) for name in (
    "Eating Disorders Anonymous", "Overeaters Anonymous", "Gamblers Anonymous",
    "Co-Dependents Anonymous", "Marijuana Anonymous", "Heroin Anonymous", "Pills Anonymous",
    "Sex Addicts Anonymous", "Sex and Love Addicts Anonymous", "Debtors Anonymous",
    "Adult Children of Alcoholics", "LifeRing", "Women for Sobriety"))
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
# A web site on at least this share of the rows is the feed's own; when it names no
# fellowship, hints decide without a warning only from this share of the rows.
SURE_SHARE = 0.5
# Hints from this many rows and this share are enough (16 of 54 BMLT meetings with Basic
# Text formats): without a site of its own the feed is theirs, under one that names no
# fellowship it is theirs with a warning. Fewer (1 Big Book of 183) are warned, and under
# such a site leave the feed `other`.
HINT_SURE_ROWS = 3
HINT_SURE_SHARE = 0.1


def named_in(*texts):
    """The one fellowship these texts name, or None (none named, or two different ones).

    A fellowship we do not list comes back by its name ("Overeaters Anonymous"); `listed`
    turns it into `other`."""
    found = set()
    for text in texts:
        if not text:
            continue
        found.update(f for f, pattern in NAME_PATTERNS if pattern.search(str(text)))
        found.update(name for name, pattern in OTHER_NAMES if pattern.search(str(text)))
    return found.pop() if len(found) == 1 else None


def listed(found):
    """Our vocabulary's value for a fellowship found: itself, `other`, or None."""
    if found is None:
        return None
    return found if found in vocab.FELLOWSHIPS else "other"


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


def site_hint(name):
    """The fellowship a web site is: its own domain ('eda-recovery.org'), else its words."""
    name = (name or "").lower().removeprefix("www.")
    for domain, fellowship in SITES.items():
        if name == domain or name.endswith("." + domain):
            return fellowship
    return words_hint(name)


def host(url):
    try:
        return urlparse(str(url)).hostname or ""
    except ValueError:
        return ""


class Evidence:
    """Evidence for a feed's fellowship, gathered row by row, then decided once."""

    def __init__(self, path):
        # Rows per fellowship: those whose sites or entity say it (the feed's identity), and
        # those whose names, types or formats hint at it; with the first reason seen.
        self.identity, self.hints = Counter(), Counter()
        self.reasons = {"identity": {}, "hints": {}}
        self.unnamed_sites = Counter()  # hosts naming no fellowship → rows carrying them
        self.rows = 0
        stem = os.path.basename(path).split(".")[0]
        self.file_hint = words_hint(stem)

    def _add(self, kind, fellowship, why):
        if fellowship:
            getattr(self, kind)[fellowship] += 1
            self.reasons[kind].setdefault(fellowship, why)

    def row(self, named=None, urls=(), types=(), formats=(), entity=None, feed_urls=()):
        """One row's evidence: the fellowship it names, its web sites and entity, types or
        formats; `feed_urls` (a BMLT root server) count only when they name a fellowship."""
        self.rows += 1
        sites = {name for url in urls if (name := host(url))}
        found = {(f, name) for name in sites if (f := site_hint(name))}
        for name in sites - {name for _f, name in found}:
            self.unnamed_sites[name] += 1
        found |= {(f, name) for url in feed_urls
                  if (name := host(url)) and (f := site_hint(name))}
        for fellowship, name in dict(found).items():
            self._add("identity", fellowship, f"its web site {name}")
        if (by_entity := named_in(entity)) and by_entity not in dict(found):
            self._add("identity", by_entity, f"its entity {entity!r}")
        hinted = {}  # one count per row and fellowship, however many signs it gives
        if named:
            hinted[named] = "the names of its meetings"
        if literature := [AA_TYPES[c] for c in types if c in AA_TYPES]:
            hinted.setdefault("AA", f"AA literature types ({literature[0]})")
        if literature := [NA_FORMATS[c] for c in formats if c in NA_FORMATS]:
            hinted.setdefault("NA", f"NA literature formats ({literature[0]})")
        for fellowship, why in hinted.items():
            self._add("hints", fellowship, why)

    def decide(self, option=None):
        """(fellowship, Warned or None) for the rows that do not name their own."""
        if option:
            return option, None
        if self.identity:
            return self._by_identity()
        if self.file_hint:
            return self.file_hint, None
        site = self._own_site()
        if not self.hints:
            where = f"its web site {site} names none, " if site else ""
            return "other", Warned("fellowship:unknown", (
                f"nothing in the feed names its fellowship ({where}no name, file name or "
                "fellowship-specific type): loaded as 'other'; use --fellowship"))
        top = self._dominant(self.hints)
        if top is None:
            return "other", self._mixed("hints")
        rows, why = self.hints[top], self.reasons["hints"][top]
        share = f"{rows} of {self.rows} meetings"
        enough = rows >= max(HINT_SURE_ROWS, HINT_SURE_SHARE * self.rows)
        if not site:
            if enough or rows >= SURE_SHARE * self.rows:
                return listed(top), None
            return listed(top), Warned("fellowship:unsure", (
                f"loaded as {top} from {why} on only {share}; use --fellowship to be sure"))
        # The feed's own web site says nothing: hints must carry it, and few rows cannot.
        if rows >= SURE_SHARE * self.rows:
            return listed(top), None
        if enough:
            return listed(top), Warned("fellowship:unsure", (
                f"the feed's web site {site} names no fellowship: loaded as {top} from {why} "
                f"on {share}; use --fellowship to be sure"))
        return "other", Warned("fellowship:unsure", (
            f"the feed's web site {site} names no fellowship and only {share} point to "
            f"{top} ({why}): loaded as 'other'; use --fellowship"))

    def _by_identity(self):
        top = self._dominant(self.identity)
        if top is None:
            return "other", self._mixed("identity")
        if listed(top) == "other":
            why = self.reasons["identity"][top]
            return "other", Warned("fellowship:not-listed", (
                f"the feed is {top} ({why}), not a fellowship this directory lists: loaded "
                "as 'other'"))
        return top, None

    def _own_site(self):
        """A host naming no fellowship that most rows carry: the feed's own web site."""
        if not self.unnamed_sites:
            return None
        name, rows = self.unnamed_sites.most_common(1)[0]
        return name if rows >= SURE_SHARE * self.rows else None

    @staticmethod
    def _dominant(counter):
        ranked = counter.most_common(2)
        if len(ranked) == 1 or ranked[0][1] >= DOMINANT * ranked[1][1]:
            return ranked[0][0]
        return None

    def _mixed(self, kind):
        ranked = getattr(self, kind).most_common(2)
        both = " and ".join(f"{f} ({self.reasons[kind][f]})" for f, _ in ranked)
        return Warned("fellowship:mixed", (
            f"the feed points to {both} equally: rows that do not name their own fellowship "
            "are loaded as 'other'; use --fellowship"))

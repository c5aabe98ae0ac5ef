"""Words written more than one way: "St." and "Saint", "Mt." and "Mount", and medicines
called by a brand: "Narcan" is naloxone, "Suboxone" is buprenorphine.

Sources write "St. Joseph Hospital" and "Saint Joseph Center" alike, and so do the people
searching; a text search for either spelling finds both (both stores: the FTS5 query in
embedded/store.py, the multi_match clauses in elastic/query.py). People ask for Narcan and
Suboxone far more often than records spell them; a search for the brand finds the generic
name, and a search for the generic name finds records that name a brand. The other
spelling is matched as a whole word, never as a prefix: "saint" finds "St. Mark's" but
not "Stone". The gazetteer folds the same abbreviations for place names
(gazetteer.SPELT_OUT).
"""
PAIRS = (("st", "saint"), ("ste", "sainte"), ("mt", "mount"), ("ft", "fort"))
# Brand names of the medicines the directory's records offer (FDA labels), by generic name.
BRANDS = {
    "naloxone": ("narcan", "kloxxado", "zimhi", "rextovy"),
    "buprenorphine": ("suboxone", "subutex", "zubsolv", "sublocade", "brixadi", "bunavail"),
    "naltrexone": ("vivitrol", "revia"),
    "methadone": ("methadose", "dolophine", "diskets"),
}


def _others():
    others = {}
    for a, b in PAIRS:
        others[a], others[b] = (b,), (a,)
    for generic, brands in BRANDS.items():
        others[generic] = brands
        for brand in brands:
            others[brand] = (generic,)
    return others


OTHER = _others()


def other_spellings(word):
    """The other ways to write `word` ("st" → ("saint",), "Narcan" → ("naloxone",)), or ()."""
    return OTHER.get(word.lower(), ())

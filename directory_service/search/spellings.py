"""Words written two ways in place names: "St." and "Saint", "Mt." and "Mount".

Sources write "St. Joseph Hospital" and "Saint Joseph Center" alike, and so do the people
searching; a text search for either spelling finds both (both stores: the FTS5 query in
embedded/store.py, the multi_match clauses in elastic/query.py). The other spelling is
matched as a whole word, never as a prefix: "saint" finds "St. Mark's" but not "Stone".
The gazetteer folds the same abbreviations for place names (gazetteer.SPELT_OUT).
"""
PAIRS = (("st", "saint"), ("ste", "sainte"), ("mt", "mount"), ("ft", "fort"))
OTHER = {a: b for pair in PAIRS for a, b in (pair, pair[::-1])}


def other_spelling(word):
    """The other way to write `word` ("st" → "saint", "Saint" → "st"), or None."""
    return OTHER.get(word.lower())

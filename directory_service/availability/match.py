"""Needs to beds: a person's needs become one store query, and every hit is explained.

Eligibility (level of care, payer, gender, age, taking clients on MOUD, distance, an open
unheld bed) is a hard filter, so those criteria are always `met`. Preferences (a veterans
or pregnancy programme, the person's language, their medication dispensed on site) only
explain: a hit lists them under `unmet` when it lacks them, so the coach can judge.
"""
from directory_service import beds, geo, vocab
from directory_service.availability import figures
from directory_service.search import columns as cols
from directory_service.search.store import SearchQuery

METRES_PER_MILE = 1609.344


def build_query(needs, origin, per_page, fallback=False):
    """The SearchQuery for `needs`; the fallback query drops beds for 24/7 phone intake."""
    primary, related = vocab.expand_levels([needs["level_of_care"]])
    payer = needs.get("payer")
    return SearchQuery(
        lat=origin.lat, lon=origin.lon,
        radius_m=geo.to_metres(needs["max_distance"], needs["unit"]),
        kinds=("treatment_facility",), levels_primary=primary, levels_related=related,
        payment=vocab.expand_payment([payer]) if payer else (),
        uninsured=payer == "uninsured", gender=needs.get("gender"), age=needs.get("age"),
        accepts_moud=needs["moud"] != "none", has_open_beds=not fallback,
        intake_24_7=fallback, per_page=per_page)


def explain(needs, query, hit, figure):
    """(met, unmet): plain sentences a coach can read aloud."""
    record, met, unmet = hit.record, [], []
    offered = [c for c in query.levels if c in record.get("levels_of_care", ())]
    met.append(f"level_of_care: offers {', '.join(offered)}")
    payer = needs.get("payer")
    if payer:
        accepted = [c for c in query.payment if c in record.get("payment", ())]
        met.append(f"payment: accepts {', '.join(accepted)}"
                   + (" (uninsured)" if payer == "uninsured" else ""))
    pops = record.get("populations") or {}
    if needs.get("gender"):
        met.append(f"gender: serves {needs['gender']} ({pops.get('genders', 'any')})")
    if needs.get("age") is not None:
        met.append(f"age: {pops.get('min_age') or 0}-{pops.get('max_age') or 'any'} "
                   f"includes {needs['age']}")
    if needs["moud"] != "none":
        met.append(f"moud: accepts clients on {needs['moud']}")
        on_site = needs["moud"] in record.get("medications", ())
        (met if on_site else unmet).append(f"moud: {needs['moud']} "
                                           f"{'' if on_site else 'not '}dispensed on site")
    for wanted, program, label in ((needs["veteran"], "veterans", "veterans programme"),
                                   (needs["pregnant"], "pregnant_postpartum",
                                    "pregnancy/postpartum programme")):
        if wanted:
            (met if pops.get(program) else unmet).append(
                f"{program}: {'has' if pops.get(program) else 'no'} {label}")
    if needs.get("language"):
        speaks = needs["language"] in record.get("languages", ())
        (met if speaks else unmet).append(
            f"language: {'speaks' if speaks else 'does not list'} {needs['language']}")
    miles = hit.distance_m / METRES_PER_MILE
    met.append(f"distance: {miles:.1f} mi (within {needs['max_distance']:g} {needs['unit']})")
    usable = figure["open"] and (figure["freshness"] != "stale" or needs["include_stale"])
    beds_line = (f"open_beds: {figure['open']} open, {figure['freshness']}" if figure["open"]
                 else f"open_beds: none known open ({figure['freshness']})")
    (met if usable else unmet).append(beds_line)
    return met, unmet


def match(store, needs, origin, settings, now):
    """Ranked, explained matches (and fallbacks when asked); returns a list of dicts."""
    per_page = settings.max_per_page
    query = build_query(needs, origin, per_page)
    results = []
    for hit in store.search(query).hits:
        figure = beds.figure(hit.capacity["open"], hit.capacity["reported_at"], now, settings)
        if figure["freshness"] == "stale" and not needs["include_stale"]:
            continue
        if not open_for_person(hit.record, query.levels, needs.get("gender"), needs.get("age")):
            continue
        results.append(_body(needs, query, hit, figure, now, settings, fallback=False))
        if len(results) == needs["limit"]:
            break
    if needs["include_fallbacks"]:
        results += _fallbacks(store, needs, origin, settings, now,
                              {r["id"] for r in results})
    return results


def open_for_person(record, levels, gender, age):
    """Open beds in rows a person of this gender and age may take.

    The same population groups search counts (search/columns.py): a women's row never
    fits a man, an adults' row never a 15-year-old, and a row whose population is not in
    the vocabulary fits nobody, so a misspelt population is never offered to everyone.
    """
    allowed = set(cols.allowed_groups(gender, age))
    beds = [figures.row_open(r) for r in record.get("beds", ())
            if r["level_of_care"] in levels
            and cols.population_group(r.get("population")) in allowed]
    return sum(b for b in beds if b is not None)


def _fallbacks(store, needs, origin, settings, now, seen):
    query = build_query(needs, origin, settings.max_per_page, fallback=True)
    out = []
    for hit in store.search(query).hits:
        phones = hit.record.get("phones") or {}
        phone = phones.get("intake") or phones.get("main")
        if hit.record["id"] in seen or not phone:
            continue
        figure = beds.figure(hit.capacity["open"], hit.capacity["reported_at"], now, settings)
        # A usable open bed belongs in the main list, never among the fallbacks.
        if figure["open"] and (figure["freshness"] != "stale" or needs["include_stale"]):
            continue
        out.append(_body(needs, query, hit, figure, now, settings, fallback=True))
        if len(out) == needs["limit"]:
            break
    return out


def _body(needs, query, hit, figure, now, settings, fallback):
    met, unmet = explain(needs, query, hit, figure)
    if fallback:
        met.append("intake_24_7: takes people around the clock; call first")
    phones = hit.record.get("phones") or {}
    return {"id": hit.record["id"], "name": hit.record["name"],
            "distance_m": round(hit.distance_m, 1),
            "distance_mi": round(hit.distance_m / METRES_PER_MILE, 2),
            "score": round(hit.score, 4), "components": hit.components, "beds_open": figure,
            "met": met, "unmet": unmet, "fallback": fallback,
            "phone": phones.get("intake") or phones.get("main"),
            "record": beds.annotate_record(hit.record, now, settings)}

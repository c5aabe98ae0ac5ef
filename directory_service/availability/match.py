"""Needs to beds: a person's needs become one store query, and every hit is explained.

Eligibility (level of care, payer, gender, age, taking clients on MOUD, distance, an open
unheld bed) is a hard filter, so those criteria are always `met`. Preferences (a veterans
or pregnancy programme, the person's language, their medication dispensed on site) only
explain: a hit lists them under `unmet` when it lacks them, so the coach can judge.
"""
import dataclasses

from directory_service import beds, geo, vocab
from directory_service.availability import figures
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


def reasons(needs, query, hit, figure, rows=None):
    """Each criterion as data, in the order a coach reads them: {"field", "ok", parts...}.

    The one source of the explanation: `api_line` writes the API's `met` / `unmet`
    sentences from these items, the coach page (web/staff/words.py) its translated ones.
    `rows` are the figures behind `figure` (bed_rows); an open bed is judged on them.
    """
    record, items = hit.record, []
    offered = [c for c in query.levels if c in record.get("levels_of_care", ())]
    items.append({"field": "level_of_care", "ok": True, "codes": offered})
    payer = needs.get("payer")
    if payer:
        accepted = [c for c in query.payment if c in record.get("payment", ())]
        items.append({"field": "payment", "ok": True, "codes": accepted,
                      "uninsured": payer == "uninsured"})
    pops = record.get("populations") or {}
    if needs.get("gender"):
        items.append({"field": "gender", "ok": True, "gender": needs["gender"],
                      "serves": pops.get("genders", "any")})
    if needs.get("age") is not None:
        items.append({"field": "age", "ok": True, "age": needs["age"],
                      "min": pops.get("min_age") or 0, "max": pops.get("max_age") or None})
    if needs["moud"] != "none":
        items.append({"field": "moud", "ok": True, "check": "accepts",
                      "medication": needs["moud"]})
        items.append({"field": "moud", "ok": needs["moud"] in record.get("medications", ()),
                      "check": "on_site", "medication": needs["moud"]})
    for wanted, program in ((needs["veteran"], "veterans"),
                            (needs["pregnant"], "pregnant_postpartum")):
        if wanted:
            items.append({"field": program, "ok": bool(pops.get(program))})
    if needs.get("language"):
        items.append({"field": "language", "ok": needs["language"] in record.get("languages", ()),
                      "language": needs["language"]})
    items.append({"field": "distance", "ok": True, "miles": hit_miles(hit),
                  "within": needs["max_distance"], "unit": needs["unit"]})
    usable = beds.usable([figure] if rows is None else rows, needs["include_stale"])
    items.append({"field": "open_beds", "ok": usable, "open": figure["open"],
                  "freshness": figure["freshness"]})
    return items


def hit_miles(hit):
    """The hit's distance in miles: the one number its `distance_mi`, its reasons and the
    coach's card all come from, so a card never shows two distances for one place (1.549
    mi is "1.5 mi" everywhere, never "1.6" from an already rounded 1.55)."""
    return hit.distance_m / METRES_PER_MILE


def bed_rows(record, query, needs):
    """The figures behind `beds_open`, one per level of care and population: the rows the
    person may take at the asked levels (beds.answering_rows), each with its own age."""
    return [{"level_of_care": row["level_of_care"],
             "population": row.get("population") or "adult_any",
             "open": figures.row_open(row), "reported_at": row.get("reported_at"),
             "age_seconds": row.get("age_seconds"),
             "freshness": row.get("freshness", "unknown")}
            for row in beds.answering_rows(record, query.levels, needs.get("gender"),
                                           needs.get("age"))]


FALLBACK_ITEM = {"field": "intake_24_7", "ok": True}
PROGRAMMES = {"veterans": "veterans programme",
              "pregnant_postpartum": "pregnancy/postpartum programme"}


def api_line(item):
    """The API's sentence for one reason item (its `met` / `unmet` contract, unchanged)."""
    field, ok = item["field"], item["ok"]
    if field == "level_of_care":
        return f"level_of_care: offers {', '.join(item['codes'])}"
    if field == "payment":
        return (f"payment: accepts {', '.join(item['codes'])}"
                + (" (uninsured)" if item["uninsured"] else ""))
    if field == "gender":
        return f"gender: serves {item['gender']} ({item['serves']})"
    if field == "age":
        return f"age: {item['min']}-{item['max'] or 'any'} includes {item['age']}"
    if field == "moud" and item["check"] == "accepts":
        return f"moud: accepts clients on {item['medication']}"
    if field == "moud":
        return f"moud: {item['medication']} {'' if ok else 'not '}dispensed on site"
    if field in PROGRAMMES:
        return f"{field}: {'has' if ok else 'no'} {PROGRAMMES[field]}"
    if field == "language":
        return f"language: {'speaks' if ok else 'does not list'} {item['language']}"
    if field == "distance":
        return f"distance: {item['miles']:.1f} mi (within {item['within']:g} {item['unit']})"
    if field == "open_beds":
        return (f"open_beds: {item['open']} open, {item['freshness']}" if item["open"]
                else f"open_beds: none known open ({item['freshness']})")
    if field == "intake_24_7":
        return "intake_24_7: takes people around the clock; call first"
    raise ValueError(f"no sentence for reason {field!r}")


def explain(needs, query, hit, figure):
    """(met, unmet): the API's sentences, from `reasons`."""
    items = reasons(needs, query, hit, figure)
    return ([api_line(i) for i in items if i["ok"]],
            [api_line(i) for i in items if not i["ok"]])


def match(store, needs, origin, settings, now, only=None):
    """Ranked, explained matches (and fallbacks when asked); returns a list of dicts.

    `only` (facility ids; coach watches) restricts the answer to those facilities, found
    on every page of the store's answer and never cut at `limit`."""
    per_page = settings.max_per_page
    query = build_query(needs, origin, per_page)
    results = []
    for hit in _hits(store, query, only):
        record = beds.annotate_record(hit.record, now, settings)
        rows = bed_rows(record, query, needs)
        # An open bed this person may take whose own figure is not stale (unless asked):
        # the rule the public cards use, figure by figure, never on a sum of levels.
        if not beds.usable(rows, needs["include_stale"]):
            continue
        figure = beds.figure(hit.capacity["open"], hit.capacity["reported_at"], now, settings)
        results.append(_body(needs, query, hit, figure, record, rows, fallback=False))
        if only is None and len(results) == needs["limit"]:
            break
    if needs["include_fallbacks"]:
        results += _fallbacks(store, needs, origin, settings, now,
                              {r["id"] for r in results})
    return results


def _hits(store, query, only):
    """The store's first page of hits or, for `only`, those facilities' hits on any page."""
    if only is None:
        yield from store.search(query).hits
        return
    wanted = set(only)
    while wanted:
        found = store.search(query)
        for hit in found.hits:
            if hit.record["id"] in wanted:
                wanted.discard(hit.record["id"])
                yield hit
        if not found.hits or query.page * query.per_page >= found.total:
            return
        query = dataclasses.replace(query, page=query.page + 1)


def _fallbacks(store, needs, origin, settings, now, seen):
    query = build_query(needs, origin, settings.max_per_page, fallback=True)
    out = []
    for hit in store.search(query).hits:
        phones = hit.record.get("phones") or {}
        phone = phones.get("intake") or phones.get("main")
        if hit.record["id"] in seen or not phone:
            continue
        record = beds.annotate_record(hit.record, now, settings)
        rows = bed_rows(record, query, needs)
        # A usable open bed belongs in the main list, never among the fallbacks.
        if beds.usable(rows, needs["include_stale"]):
            continue
        figure = beds.figure(hit.capacity["open"], hit.capacity["reported_at"], now, settings)
        out.append(_body(needs, query, hit, figure, record, rows, fallback=True))
        if len(out) == needs["limit"]:
            break
    return out


def _body(needs, query, hit, figure, record, rows, fallback):
    items = (reasons(needs, query, hit, figure, rows)
             + ([dict(FALLBACK_ITEM)] if fallback else []))
    phones = record.get("phones") or {}
    return {"id": record["id"], "name": record["name"],
            "distance_m": round(hit.distance_m, 1), "distance_mi": round(hit_miles(hit), 2),
            # For the coach page only (MatchResponse does not publish it): unrounded.
            "miles": hit_miles(hit),
            "score": round(hit.score, 4), "components": hit.components, "beds_open": figure,
            "beds": rows,
            "met": [api_line(i) for i in items if i["ok"]],
            "unmet": [api_line(i) for i in items if not i["ok"]],
            # For the coach page only: MatchResponse does not publish it.
            "reasons": items, "fallback": fallback,
            "phone": phones.get("intake") or phones.get("main"), "record": record}

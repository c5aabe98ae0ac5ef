"""Bed figures as a person reads them: one level of care and one population per line.

Levels are never added together on a page (issue 21): "1 open" for medically monitored
detox and "4 open" for residential detox, never "5 open". Each line keeps its own age;
freshness is `beds.oldest`, the one rule. Used by cards, the detail and print pages, the
print list and the coach's page.
"""
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from directory_service import beds, vocab
from directory_service.availability.figures import row_open
from directory_service.search.columns import population_group
from directory_service.web import labels
from directory_service.web.present import age_words, ago, as_of, parse_iso

# Who a bed row is for, as the bed figure says it ("4 open for men").
FOR_WHOM = {"men": _l("for men"), "women": _l("for women"), "adults": _l("for any adult"),
            "youth": _l("for teens"), "any": ""}
# An unknown figure names its own population: "for men only" beside "5 open for any adult"
# says the men's own beds are unreported, not that the adult beds are in doubt.
NOT_REPORTED = {"men": _l("men-only beds not reported — call"),
                "women": _l("women-only beds not reported — call"),
                "adults": _l("beds for any adult not reported — call"),
                "youth": _l("beds for teens not reported — call"),
                "any": _l("not reported — call")}
GROUP_ORDER = ("men", "women", "adults", "youth", "any")


def level_name(code):
    """"Detox, medically monitored (3.7-WM)": a level of care in words, with its code."""
    return _("%(level)s (%(code)s)", level=labels.label(labels.LEVELS, code), code=code)


def _level_order(record):
    """Levels in the order the record lists them, then any other in vocabulary order."""
    listed = list(record.get("levels_of_care") or ())
    return {code: i for i, code in enumerate(dict.fromkeys(listed + list(vocab.LEVELS_OF_CARE)))}


def bed_groups(record, levels=(), gender=None, age=None):
    """Bed figures for `levels` (all when empty), one per level of care and population.

    Levels are never added together: a person reads "1 open" for medically monitored
    detox and "4 open" for residential detox, never "5 open". One entry per (level,
    population group the person may take): {"level", "group", "open" (None = unknown),
    "age_seconds", "freshness", "reported_at"}. Rows carry `age_seconds`/`freshness`
    (beds.annotate_record). Within a level, known figures come before unknown ones.
    """
    out = {}
    for row in beds.answering_rows(record, levels, gender, age):
        key = (row["level_of_care"], population_group(row.get("population")))
        entry = out.setdefault(key, {"level": key[0], "group": key[1], "open": None,
                                     "age_seconds": None, "freshness": "unknown",
                                     "reported_at": None})
        figure = row_open(row)
        if figure is None:
            continue
        # Two rows of one level and group (a live row beside an alias) are one pool;
        # the pair is as fresh as its older report.
        entry["open"] = (entry["open"] or 0) + figure
        if entry["age_seconds"] is None or (row.get("age_seconds") or 0) > entry["age_seconds"]:
            entry.update(age_seconds=row.get("age_seconds") or 0, reported_at=row["reported_at"],
                         freshness=row.get("freshness") or "unknown")
    order = _level_order(record)
    return sorted(out.values(), key=lambda e: (order.get(e["level"], len(order)),
                                               e["open"] is None, GROUP_ORDER.index(e["group"])))


def usable_beds(groups, include_stale=False):
    """Whether any group has open beds a person can count on now (stale ones only if asked)."""
    return beds.usable(groups, include_stale)


def bed_line(group, zone_name=None):
    """{"css", "level", "text", "when", "as_of"}: one bed figure as a person reads it.

    `level` names the level of care with its code ("Detox, residential (3.2-WM)"); the
    text says how many and for whom ("4 open for men"), and `when` how old. A stale figure
    says it is too old to trust ("figure for men is 8 days old — call to check"); unknown
    is never 0, and names its population alone ("men-only beds not reported — call") so
    it never reads as contradicting an any-adult figure beside it.
    """
    whom = FOR_WHOM[group["group"]]
    level = level_name(group["level"]) if group.get("level") else ""
    if group["open"] is None:
        return {"css": "unknown", "level": level, "text": str(NOT_REPORTED[group["group"]]),
                "when": "", "as_of": ""}
    moment = parse_iso(group["reported_at"])
    stamp = as_of(moment, zone_name) if moment else ""
    if group["freshness"] == "stale":
        age_text = age_words(group["age_seconds"])
        text = (_("figure %(whom)s is %(age)s old — call to check", whom=whom, age=age_text)
                if whom else _("figure is %(age)s old — call to check", age=age_text))
        return {"css": "stale", "level": level, "when": "", "as_of": stamp, "text": text}
    if group["open"] == 0:
        text = _("Full %(whom)s", whom=whom).strip()
    else:
        text = ngettext("%(num)d open %(whom)s", "%(num)d open %(whom)s", group["open"],
                        whom=whom).strip()
    return {"css": group["freshness"], "level": level, "text": text,
            "when": ago(group["age_seconds"]), "as_of": stamp}


def bed_lines(groups, zone_name=None):
    return [bed_line(group, zone_name) for group in groups]


# A card shows every bed figure when there are at most CARD_BED_LINES, else the most
# telling one and a link to the rest on the place's page. Without it a facility with six
# levels × populations pushed the first Call below a phone's first screen once figures
# stopped being added up (issue 21).
CARD_BED_LINES = 2
def _card_rank(group):
    """Open beds first, then full, then stale figures, then unreported ones."""
    if group["open"] is None:
        return 3
    if group["freshness"] == "stale":
        return 2
    return 0 if group["open"] > 0 else 1


def card_bed_lines(lines, groups, most=CARD_BED_LINES):
    """(the lines a card shows, how many it leaves to the place's page): all of them when
    they fit, else the most telling one (`_card_rank`; `groups` are the lines' bed_groups)."""
    if len(lines) <= most:
        return list(lines), 0
    most = 1  # one line and the link to the rest take the room of two lines
    ranked = sorted(range(len(lines)), key=lambda i: (_card_rank(groups[i]), i))
    keep = sorted(ranked[:most])
    return [lines[i] for i in keep], len(lines) - len(keep)

"""Write the demo directory in seed_data/ (DESIGN §7): four NDJSON files and manifest.json.

The demo must work the moment it starts, so this writes a few hundred fictional records near
real Chicago-area towns in our canonical format (docs/data-format.md). Generating them keeps
every value inside `directory_service.vocab` and the files byte-for-byte reproducible (fixed
seed, no clock, standard library only). Bed `reported_at` times are relative to AS_OF; the
indexer shifts them by (now - as_of). Tables and name/address helpers are in `names.py`.
Run: `python -m seed_data.generate` (or `python seed_data/generate.py`).
"""
import json
import random
import re
import sys
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

if not __package__:  # run as `python seed_data/generate.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory_service import vocab  # noqa: E402
from seed_data import names  # noqa: E402

SEED = 20261123
AS_OF = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
OUT = Path(__file__).resolve().parent
PREFIX = {"treatment_facility": "fac", "meeting": "mtg", "naloxone_site": "nal",
          "takeback_site": "tkb"}
OPEN_24_7 = {"open_24_7": True, "intervals": []}
NO_HOURS = {"open_24_7": False, "intervals": []}
# The first five detox units sit near Naperville, offer 3.7-WM and take Medicaid; their adult-men
# 3.7-WM rows are forced fresh with these statuses so the "open detox bed now" demo always works.
ANCHOR_TOWNS = ("Naperville", "Naperville", "Aurora", "Wheaton", "Naperville")
ANCHOR_STATUS = ("open", "open", "open", "full", None)
# Bed report age buckets: (name, share in percent, minutes before AS_OF from, to).
FRESHNESS = (("fresh", 45, 5, 180), ("aging", 20, 240, 1200), ("stale", 15, 2880, 14400),
             ("unknown", 20, 0, 0))
# Exactly one meeting is inactive, so the `active` filter has something to hide.
INACTIVE_MEETING = 47


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def week(spans):
    """Our hours object from (days, open, close) spans."""
    rows = [{"day": d, "open": o, "close": c} for days, o, c in spans for d in days]
    return {"open_24_7": False, "intervals": sorted(rows, key=lambda r: (r["day"], r["open"]))}


def expand(rng, counts):
    """[(item, how many)] → a shuffled list with each item repeated that many times."""
    items = [item for item, k in counts for _ in range(k)]
    rng.shuffle(items)
    return items


def towns_for(rng, kind):
    column = list(PREFIX).index(kind)
    return expand(rng, [(t, info["counts"][column]) for t, info in names.TOWNS.items()])


def base(rng, kind, n, name, town, description, centre=False):
    """The fields every kind shares (docs/data-format.md)."""
    sid = f"{PREFIX[kind]}-{n:03d}"
    address, location = names.place(rng, town, centre)
    source_at = AS_OF - timedelta(days=rng.randint(3, 150), minutes=rng.randint(0, 1439))
    lag = timedelta(days=rng.randint(0, (AS_OF - source_at).days))
    verified = source_at + lag if rng.random() > 0.15 else None
    updated = min(AS_OF, (verified or source_at) + timedelta(hours=rng.randint(0, 48)))
    spoken = ["en"] + [code for code in ("es", "pl") if rng.random() < names.TOWNS[town][code]]
    return {"id": f"seed:{sid}", "kind": kind, "name": name, "description": description,
            "address": address, "location": location, "phones": {"main": names.phone(rng, town)},
            "website": f"https://example.org/{slug(name)}" if rng.random() < 0.85 else None,
            "timezone": "America/Chicago", "hours": NO_HOURS, "languages": spoken,
            "source": {"name": "seed", "id": sid, "url": None},
            "source_updated_at": iso(source_at), "verified_at": iso(verified) if verified else None,
            "updated_at": iso(updated), "active": True}


def bed_row(rng, level, population, force=None):
    """One bed inventory row; `force` makes it a fresh report with that status."""
    row = {"level_of_care": level, "population": population, "capacity": rng.randrange(6, 41, 2),
           "available": None, "status": "unknown", "reported_at": None, "reported_by": None,
           "note": None}
    weights = [f[1] for f in FRESHNESS]
    bucket, _, low, high = FRESHNESS[0] if force else rng.choices(FRESHNESS, weights)[0]
    if bucket == "unknown":
        row["capacity"] = None if rng.random() < 0.3 else row["capacity"]
        row["note"] = names.BED_NOTES["unknown"] if rng.random() < 0.5 else None
        return row
    status = force or rng.choices(("open", "full", "closed"), (60, 32, 8))[0]
    row.update(status=status, reported_at=iso(AS_OF - timedelta(minutes=rng.randint(low, high))),
               available=rng.randint(1, min(6, row["capacity"])) if status == "open" else 0,
               reported_by="import" if bucket == "stale" and rng.random() < 0.5 else "facility",
               note=names.BED_NOTES.get(status) if rng.random() < 0.6 else None)
    return row


def beds(rng, levels, genders, youth, force):
    """Rows for the bed-bearing levels: one per population served, men and women often apart."""
    rows = []
    for level in (lv for lv in levels if lv in names.BED_LEVELS):
        split = force or rng.random() < (0.6 if level.endswith("WM") else 0.3)
        pops = (("adolescents",) if youth else (f"adult_{genders}",) if genders != "any"
                else ("adult_men", "adult_women") if split else ("adult_any",))
        for pop in pops:
            anchored = (level, pop) == ("3.7-WM", "adult_men")
            rows.append(bed_row(rng, level, pop, force if anchored else None))
    return rows


def facility(rng, used, n, arch, town, genders, anchor=None, levels=None):
    """One facility of archetype `arch`; `anchor` is its index in ANCHOR_TOWNS, if it is one."""
    youth, women = arch == "youth", genders == "women"
    combos = [c for c in names.LEVEL_COMBOS[arch] if anchor is None or "3.7-WM" in c]
    levels = list(levels or rng.choice(combos))
    name = names.org_name(rng, used, town, [f"{{p}} {s}" for s in names.FACILITY_SUFFIXES[arch]])
    about = names.FACILITY_DESCRIPTIONS[arch].format(town=town)
    rec = base(rng, "treatment_facility", n, name, town, about)
    rec["phones"]["intake"] = names.phone(rng, town)
    if arch in ("detox", "hospital", "otp") and rng.random() < 0.4:
        rec["phones"]["hotline"] = names.phone(rng, town)
    clinic = names.CLINIC_HOURS + (names.CLINIC_SATURDAY,) * (rng.random() < 0.5)
    rec["hours"] = (OPEN_24_7 if any(lv in names.BED_LEVELS for lv in levels)
                    else week(names.OTP_HOURS if arch == "otp" else clinic))
    meds = [m for m, p in zip(vocab.MEDICATIONS, names.MED_ODDS[arch]) if rng.random() < p]
    profiles = ("public", "mixed") if anchor is not None else tuple(names.PAYMENT_PROFILES)
    profile = rng.choices(profiles, [names.PAYMENT_PROFILES[p][0] for p in profiles])[0]
    first, *others = names.PAYMENT_PROFILES[profile][1]
    payers = [first] + [p for p in others if rng.random() < 0.7]
    rec.update(
        levels_of_care=levels, medications=meds,
        settings=[s for s in vocab.SETTINGS if any(s in names.SETTINGS_OF[lv] for lv in levels)],
        accepts_clients_on_moud=bool(meds) or rng.random() < 0.5,
        payment=[p for p in vocab.PAYMENT if p in payers],
        populations={"genders": genders, "min_age": 12 if youth else 18,
                     "max_age": 17 if youth else None,
                     "veterans": profile == "veterans" or rng.random() < 0.1,
                     "pregnant_postpartum": rng.random() < (0.6 if women else 0.08) and not youth,
                     "lgbtq": rng.random() < 0.1, "adolescents": youth,
                     "criminal_justice": rng.random() < 0.2 and not youth},
        beds=beds(rng, levels, genders, youth, None if anchor is None else ANCHOR_STATUS[anchor]))
    facts = ("walk_in", "intake_24_7", "accepts_police_or_peer_dropoff",
             "medical_clearance_required")
    rec.update({f: rng.random() < p for f, p in zip(facts, names.FACT_ODDS[arch])})
    return rec


def facilities(rng):
    towns = towns_for(rng, "treatment_facility")
    for town in ANCHOR_TOWNS:
        towns.remove(town)
    rest = expand(rng, names.ARCHETYPES)
    for _ in ANCHOR_TOWNS:
        rest.remove("detox")
    # Six men-only and five women-only programs, among the kinds where that is common.
    eligible = [i for i, a in enumerate(rest) if a in ("detox", "residential", "outpatient")]
    genders = ["any"] * len(rest)
    for j, i in enumerate(rng.sample(eligible, 11)):
        genders[i] = "men" if j < 6 else "women"
    used = set()
    out = [facility(rng, used, i + 1, "detox", t, "any", anchor=i)
           for i, t in enumerate(ANCHOR_TOWNS)]
    youth_levels = iter(names.LEVEL_COMBOS["youth"])  # one of each, so the three programs differ
    for arch, town, gender in zip(rest, towns, genders):
        levels = next(youth_levels) if arch == "youth" else None
        out.append(facility(rng, used, len(out) + 1, arch, town, gender, levels=levels))
    return out


def meeting(rng, used, n, fellowship, town, day, attendance):
    info, lang, groups = names.TOWNS[town], ["en"], names.MEETING_GROUPS[fellowship]
    if fellowship in names.MULTILINGUAL_FELLOWSHIPS:
        if rng.random() < info["pl"] * 0.5:
            lang, groups = ["pl"], names.POLISH_GROUPS
        elif rng.random() < info["es"]:
            lang = rng.choice((["es"], ["en", "es"]))
            groups = names.SPANISH_GROUPS if lang == ["es"] else groups
    name = names.org_name(rng, used.setdefault(town, set()), town, groups)
    closed = rng.random() < names.CLOSED_ODDS.get(fellowship, 0)
    extras = rng.sample(names.TYPE_POOL[fellowship], rng.randint(1, 3))
    if "M" in extras and "W" in extras:  # a meeting is for men or for women, not both
        extras.remove("W")
    types = ["C" if closed else "O"] + extras + ["S"] * ("es" in lang) + ["POL"] * ("pl" in lang)
    online = attendance == "online"
    where = "online" if online else f"in {town}" + " and online" * (attendance == "hybrid")
    about = (f"{'Closed' if closed else 'Open'} {fellowship} meeting "
             f"({vocab.MEETING_TYPES[extras[0]]}), meeting {where}.")
    rec = base(rng, "meeting", n, name, town, about, centre=online)
    start = datetime.strptime(rng.choice(names.MEETING_TIMES), "%H:%M")
    long = fellowship in names.LONG_FELLOWSHIPS or extras[0] in ("B", "ST")
    club = names.CLUBS.get(town) if fellowship in names.CLUB_FELLOWSHIPS else None
    venue = club if club and rng.random() < 0.25 else rng.choice(names.MEETING_PLACES)
    # Online and hybrid: a tenth dial-in only, two fifths both, the rest a link only.
    r, remote = rng.random(), attendance != "in_person"
    url = f"https://example.org/meet/{slug(name)}-{n:03d}"
    rec.update(phones={}, website=rec["website"] if rng.random() < 0.2 else None,
               languages=lang, fellowship=fellowship, day=day, time=start.strftime("%H:%M"),
               end_time=(start + timedelta(minutes=90 if long else 60)).strftime("%H:%M"),
               types=types, attendance=attendance, location_name=None if online else venue,
               conference_url=url if remote and r >= 0.1 else None,
               conference_phone=names.phone(rng, town) if remote and r < 0.5 else None,
               notes=rng.choice(names.MEETING_NOTES[online]) if rng.random() < 0.3 else None)
    if online:  # placed at the home group's town centre, so say how precise that is
        rec["location_precision"] = "city"
    if n == INACTIVE_MEETING:
        rec.update(active=False, notes="This group has stopped meeting.")
    return rec


def meetings(rng):
    plan = zip(expand(rng, names.FELLOWSHIP_COUNTS), towns_for(rng, "meeting"),
               expand(rng, [(day, 23) for day in range(7)]),  # 22 or 23 meetings a day
               expand(rng, names.ATTENDANCE_COUNTS))
    used = {}  # group names repeat across towns, as real ones do, but not within one town
    return [meeting(rng, used, n, *args) for n, args in enumerate(plan, 1)]


def naloxone_sites(rng):
    used, out = set(), []
    plan = zip(expand(rng, names.NALOXONE_PLAN), towns_for(rng, "naloxone_site"))
    for n, ((site_type, always_open), town) in enumerate(plan, 1):
        name = names.org_name(rng, used, town, names.NALOXONE_NAMES[site_type])
        rec = base(rng, "naloxone_site", n, name, town, names.NALOXONE_DESCRIPTIONS[site_type])
        pharmacy, machine = site_type == "pharmacy", site_type == "vending_machine"
        rec.update(site_type=site_type, website=None if machine else rec["website"],
                   hours=OPEN_24_7 if always_open else week(names.NALOXONE_HOURS[site_type]),
                   cost=rng.choice(("insurance", "retail")) if pharmacy else "free",
                   no_prescription_needed=rng.random() < 0.95 if pharmacy else True,
                   fentanyl_test_strips=rng.random() < (0.2 if pharmacy else 0.8))
        out.append(rec)
    return out


def takeback_sites(rng):
    used, out = set(), []
    plan = zip(expand(rng, names.TAKEBACK_PLAN), towns_for(rng, "takeback_site"))
    for n, ((site_type, receptacle), town) in enumerate(plan, 1):
        name = names.org_name(rng, used, town, names.TAKEBACK_NAMES[site_type])
        rec = base(rng, "takeback_site", n, name, town, names.TAKEBACK_DESCRIPTIONS[receptacle])
        accepts = {"pills", "patches"}
        if site_type in ("pharmacy", "hospital") and receptacle != "mail_back":
            accepts |= {a for a, p in (("liquids", .6), ("inhalers", .25)) if rng.random() < p}
        # Only hospitals take sharps; police kiosks and mail-back envelopes never do.
        if site_type == "hospital" and rng.random() < 0.6:
            accepts.add("sharps")
        event = receptacle == "event_only"
        lobby_open = site_type == "law_enforcement" and rng.random() < 0.7
        hours = (OPEN_24_7 if site_type == "hospital" or lobby_open
                 else week(names.TAKEBACK_HOURS[site_type]))
        rec.update(site_type=site_type, receptacle=receptacle, hours=NO_HOURS if event else hours,
                   accepts=[a for a in vocab.TAKEBACK_ACCEPTS if a in accepts],
                   event_dates=list(names.TAKE_BACK_DAYS[:rng.randint(1, 2)]) if event else [])
        out.append(rec)
    return out


def main():
    rng = random.Random(SEED)
    outputs = {"treatment_facilities": facilities(rng), "meetings": meetings(rng),
               "naloxone_sites": naloxone_sites(rng), "takeback_sites": takeback_sites(rng)}
    for stem, records in outputs.items():
        lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in records]
        (OUT / f"{stem}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {len(records):3d} records to seed_data/{stem}.ndjson")
    manifest = {"as_of": iso(AS_OF), "rebase_bed_times": True,
                "description": "Fictional demo directory around Naperville, Aurora, Joliet, "
                               "Rolling Meadows, Elgin and Chicago, written by "
                               "seed_data/generate.py. Bed reported_at times are relative to "
                               "as_of; shift them by (now - as_of) when loading."}
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (OUT / "manifest.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

"""Write the demo directory in seed_data/ (DESIGN §7): four NDJSON files and a manifest.

The demo must work the moment it starts, with records near real Chicago-area towns, so this script
generates a few hundred plausible but fictional records in our canonical format
(docs/data-format.md). Generating them, rather than keeping hand-written files, keeps every value
inside the vocabularies of `directory_service.vocab` and makes the files byte-for-byte reproducible:
a fixed random seed, no clock, standard library only.

Bed `reported_at` times are written relative to AS_OF; the indexer shifts them by (now - as_of) so
freshness looks realistic whenever the demo runs. Run: `python -m seed_data.generate`.
"""
import json
import math
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
TZ = "America/Chicago"
PREFIX = {"treatment_facility": "fac", "meeting": "mtg", "naloxone_site": "nal", "takeback_site": "tkb"}

OPEN_24_7 = {"open_24_7": True, "intervals": []}
NO_HOURS = {"open_24_7": False, "intervals": []}
WEEKDAYS = (1, 2, 3, 4, 5)

# Facility archetypes and the realistic level-of-care combinations each one offers.
ARCHETYPES = (("detox", 14), ("residential", 11), ("otp", 8), ("outpatient", 22), ("hospital", 6),
              ("youth", 3))
LEVEL_COMBOS = {
    "detox": (("3.7-WM",), ("3.7-WM", "3.5"), ("3.7-WM", "3.2-WM", "3.5"), ("3.2-WM", "3.5", "3.1"),
              ("3.7-WM", "3.7"), ("3.2-WM",)),
    "residential": (("3.5",), ("3.5", "3.1"), ("3.7", "3.5"), ("3.1",), ("3.3", "3.5"),
                    ("3.5", "2.5", "2.1")),
    "otp": (("OTP", "1"), ("OTP", "1", "2.1")),
    "outpatient": (("1", "2.1"), ("1", "2.1", "2.5"), ("0.5", "1"), ("1", "1-WM"), ("1", "2.1", "2-WM"),
                   ("2.1", "2.5")),
    "hospital": (("4-WM", "4"), ("4-WM", "4", "3.7-WM"), ("4-WM",)),
    "youth": (("3.5", "1"), ("1", "2.1"), ("1", "2.1", "2.5")),
}
SETTINGS_OF = {
    "0.5": ("outpatient",), "1": ("outpatient",), "2.1": ("iop",), "2.5": ("php",),
    "3.1": ("residential", "transitional_housing"), "3.3": ("residential",), "3.5": ("residential",),
    "3.7": ("residential",), "4": ("hospital_inpatient",), "OTP": ("outpatient",),
    "1-WM": ("outpatient", "detox"), "2-WM": ("outpatient", "detox"), "3.2-WM": ("detox", "residential"),
    "3.7-WM": ("detox",), "4-WM": ("hospital_inpatient", "detox"),
}
BED_LEVELS = ("3.1", "3.3", "3.5", "3.7", "4", "3.2-WM", "3.7-WM", "4-WM")
MED_ODDS = {  # chance of offering buprenorphine, methadone, naltrexone
    "detox": (.85, .15, .5), "residential": (.5, .1, .6), "otp": (.8, 1, .3),
    "outpatient": (.5, 0, .5), "hospital": (1, .7, .6), "youth": (.3, 0, .2),
}
FACT_ODDS = {  # chance of walk_in, intake_24_7, accepts_police_or_peer_dropoff, medical_clearance
    "detox": (.7, .8, .6, .25), "residential": (.2, .1, .15, .7), "otp": (.6, 0, .2, 0),
    "outpatient": (.4, 0, .05, 0), "hospital": (1, 1, 1, 0), "youth": (.3, 0, 0, .3),
}
PAYMENT_PROFILES = {  # the first payer is always kept; the others each with probability .7
    "public": ("medicaid", "medicare", "state_funded", "sliding_fee"),
    "mixed": ("medicaid", "private", "medicare", "self_pay", "military"),
    "private": ("private", "self_pay"),
    "charity": ("free", "state_funded", "payment_assistance", "medicaid"),
    "veterans": ("va", "military", "private", "medicaid"),
}
# The first five detox units sit near Naperville, offer 3.7-WM and take Medicaid; their adult-men
# 3.7-WM rows are forced fresh with these statuses so the "open detox bed now" demo always works.
ANCHOR_TOWNS = ("Naperville", "Naperville", "Aurora", "Wheaton", "Naperville")
ANCHOR_STATUS = ("open", "open", "open", "full", None)
# Bed report age buckets (share, minutes before AS_OF); the rest of the rows are "unknown".
FRESHNESS = (("fresh", 45, 5, 180), ("aging", 20, 240, 1200), ("stale", 15, 2880, 14400),
             ("unknown", 20, 0, 0))
MEETING_TIMES = ("06:30", "07:00", "07:30", "09:00", "10:00", "12:00", "12:15", "17:30", "18:00",
                 "18:30", "19:00", "19:00", "19:30", "19:30", "20:00", "20:30")
FELLOWSHIP_COUNTS = (("AA", 70), ("NA", 40), ("CA", 6), ("CMA", 5), ("SMART", 10),
                     ("Recovery Dharma", 6), ("Refuge Recovery", 4), ("Celebrate Recovery", 7),
                     ("Al-Anon", 8), ("Nar-Anon", 4))
TYPE_POOL = {
    "AA": ("D", "SP", "B", "ST", "BE", "12x12", "LIT", "DR", "ABSI", "11", "CAN", "M", "W", "Y",
           "LGBTQ", "X", "GR", "LS"),
    "NA": ("D", "SP", "ST", "BE", "LIT", "X", "M", "W", "Y", "LGBTQ", "CAN"),
    "CA": ("D", "SP", "ST", "BE", "X"), "CMA": ("D", "ST", "BE", "LGBTQ", "G"),
    "SMART": ("D", "A", "BE", "X"), "Recovery Dharma": ("MED", "D", "A", "X"),
    "Refuge Recovery": ("MED", "D", "A"), "Celebrate Recovery": ("SP", "ST", "CF", "BA"),
    "Al-Anon": ("D", "ST", "BE", "LIT", "X"), "Nar-Anon": ("D", "LIT", "BE"),
}
CLOSED_ODDS = {"AA": .45, "NA": .5, "CA": .5, "CMA": .5, "Al-Anon": .7, "Nar-Anon": .7}
INACTIVE_MEETING = 47
TAKEBACK_PLAN = ((("law_enforcement", "kiosk"), 10), (("law_enforcement", "event_only"), 2),
                 (("pharmacy", "kiosk"), 7), (("pharmacy", "counter"), 3), (("pharmacy", "mail_back"), 2),
                 (("hospital", "kiosk"), 5), (("other", "event_only"), 2), (("other", "mail_back"), 1))
TAKE_BACK_DAYS = ("2027-04-24", "2027-10-30")


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def week(*spans):
    """Weekly hours from (days, open, close) spans; day 0 is Sunday."""
    rows = [{"day": d, "open": o, "close": c} for days, o, c in spans for d in days]
    return {"open_24_7": False, "intervals": sorted(rows, key=lambda r: (r["day"], r["open"]))}


PHARMACY_HOURS = week((WEEKDAYS, "08:00", "21:00"), ((6,), "09:00", "18:00"), ((0,), "10:00", "17:00"))
OFFICE_HOURS = week((WEEKDAYS, "08:30", "16:30"))


def town_pool(rng, kind_index):
    towns = [t for t, info in names.TOWNS.items() for _ in range(info["counts"][kind_index])]
    rng.shuffle(towns)
    return towns


def place(rng, town, centre=False):
    """A fictional street address in `town` and a point jittered up to 9 km from its centre."""
    info, (lat, lon) = names.TOWNS[town], names.TOWNS[town]["center"]
    if not centre:
        km, bearing = 9 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat += km * math.cos(bearing) / 111.32
        lon += km * math.sin(bearing) / (111.32 * math.cos(math.radians(lat)))
    street = None if centre else f"{rng.randint(100, 4999)} {rng.choice(names.STREETS[town])}"
    address = {"street": street, "city": town, "state": "IL", "postal_code": rng.choice(info["zips"])}
    return address, {"lat": round(lat, 5), "lon": round(lon, 5)}


def phone(rng, town):
    return f"({rng.choice(names.TOWNS[town]['area_codes'])}) 555-01{rng.randint(0, 99):02d}"


def languages(rng, town):
    info, langs = names.TOWNS[town], ["en"]
    if rng.random() < info["es"]:
        langs.append("es")
    if rng.random() < info["pl"]:
        langs.append("pl")
    return langs


def org_name(rng, used, town, patterns):
    """A fictional name not yet in `used`, from patterns with {r} (regional word), {p} (regional or
    generic word) and {t} or {town}; after 50 clashes the town is appended to tell it apart."""
    regional = names.TOWN_PREFIXES[town]
    for _ in range(50):
        name = rng.choice(patterns).format(p=rng.choice(regional + names.GENERIC_PREFIXES),
                                           r=rng.choice(regional), t=town, town=town)
        if name not in used:
            break
    else:
        name = f"{name} ({town})"
    used.add(name)
    return name


def base(rng, kind, n, name, town, description, centre=False):
    """The fields every kind shares (docs/data-format.md)."""
    sid = f"{PREFIX[kind]}-{n:03d}"
    address, location = place(rng, town, centre)
    source_at = AS_OF - timedelta(days=rng.randint(3, 150), minutes=rng.randint(0, 1439))
    verified = None
    if rng.random() > 0.15:
        verified = source_at + timedelta(days=rng.randint(0, (AS_OF - source_at).days))
    updated = min(AS_OF, max(source_at, verified or source_at) + timedelta(hours=rng.randint(0, 48)))
    return {"id": f"seed:{sid}", "kind": kind, "name": name, "description": description,
            "address": address, "location": location, "phones": {"main": phone(rng, town)},
            "website": f"https://example.org/{slug(name)}" if rng.random() < 0.85 else None,
            "timezone": TZ, "hours": NO_HOURS, "languages": languages(rng, town),
            "source": {"name": "seed", "id": sid, "url": None}, "source_updated_at": iso(source_at),
            "verified_at": iso(verified) if verified else None, "updated_at": iso(updated), "active": True}


def bed_row(rng, level, population, force=None):
    row = {"level_of_care": level, "population": population, "capacity": rng.randrange(6, 41, 2),
           "available": None, "status": "unknown", "reported_at": None, "reported_by": None, "note": None}
    bucket, _, low, high = FRESHNESS[0] if force else rng.choices(FRESHNESS, [f[1] for f in FRESHNESS])[0]
    if bucket == "unknown":
        row["capacity"] = None if rng.random() < 0.3 else row["capacity"]
        row["note"] = rng.choice((None, "No report yet; call intake to ask about openings."))
        return row
    status = force or rng.choices(("open", "full", "closed"), (60, 32, 8))[0]
    row.update(status=status, available=rng.randint(1, min(6, row["capacity"])) if status == "open" else 0,
               reported_at=iso(AS_OF - timedelta(minutes=rng.randint(low, high))),
               reported_by="import" if bucket == "stale" and rng.random() < 0.5 else "facility")
    if status == "closed":
        row["note"] = "Unit temporarily closed to admissions."
    elif status == "full" and rng.random() < 0.5:
        row["note"] = "Waitlist open; call intake each morning."
    return row


def beds(rng, levels, genders, youth, force):
    rows = []
    for level in (lv for lv in levels if lv in BED_LEVELS):
        if youth:
            pops = ("adolescents",)
        elif genders != "any":
            pops = (f"adult_{genders}",)
        elif force or rng.random() < (0.6 if level.endswith("WM") else 0.3):
            pops = ("adult_men", "adult_women")
        else:
            pops = ("adult_any",)
        rows += [bed_row(rng, level, pop, force if (level, pop) == ("3.7-WM", "adult_men") else None)
                 for pop in pops]
    return rows


def facility(rng, used, n, arch, town, genders, anchor=None, levels=None):
    youth = arch == "youth"
    combos = [c for c in LEVEL_COMBOS[arch] if anchor is None or "3.7-WM" in c]
    levels = list(levels or rng.choice(combos))
    name = org_name(rng, used, town, [f"{{p}} {s}" for s in names.FACILITY_SUFFIXES[arch]])
    rec = base(rng, "treatment_facility", n, name, town, names.FACILITY_DESCRIPTIONS[arch].format(town=town))
    rec["phones"]["intake"] = phone(rng, town)
    if arch in ("detox", "hospital", "otp") and rng.random() < 0.4:
        rec["phones"]["hotline"] = phone(rng, town)
    if any(lv in BED_LEVELS for lv in levels):
        rec["hours"] = OPEN_24_7
    elif arch == "otp":
        rec["hours"] = week((WEEKDAYS, "05:30", "13:30"), ((6,), "06:00", "10:00"), ((0,), "07:00", "09:00"))
    else:
        spans = [((1, 2, 3, 4), "08:00", "20:00"), ((5,), "08:00", "17:00")]
        if rng.random() < 0.5:
            spans.append(((6,), "09:00", "13:00"))
        rec["hours"] = week(*spans)
    meds = [m for m, p in zip(vocab.MEDICATIONS, MED_ODDS[arch]) if rng.random() < p]
    profile = rng.choice(("public", "mixed")) if anchor is not None else rng.choices(
        list(PAYMENT_PROFILES), (35, 35, 15, 10, 5))[0]
    payers = PAYMENT_PROFILES[profile]
    payers = [payers[0]] + [p for p in payers[1:] if rng.random() < 0.7]
    women = genders == "women"
    rec.update(
        levels_of_care=levels, medications=meds,
        settings=[s for s in vocab.SETTINGS if any(s in SETTINGS_OF[lv] for lv in levels)],
        accepts_clients_on_moud=bool(meds) or rng.random() < 0.5,
        payment=[p for p in vocab.PAYMENT if p in payers],
        populations={"genders": genders, "min_age": 12 if youth else 18, "max_age": 17 if youth else None,
                     "veterans": profile == "veterans" or rng.random() < 0.1,
                     "pregnant_postpartum": rng.random() < (0.6 if women else 0.08) and not youth,
                     "lgbtq": rng.random() < 0.1, "adolescents": youth,
                     "criminal_justice": rng.random() < 0.2 and not youth},
        beds=beds(rng, levels, genders, youth, ANCHOR_STATUS[anchor] if anchor is not None else None))
    facts = ("walk_in", "intake_24_7", "accepts_police_or_peer_dropoff", "medical_clearance_required")
    rec.update({f: rng.random() < p for f, p in zip(facts, FACT_ODDS[arch])})
    return rec


def facilities(rng):
    towns = town_pool(rng, 0)
    for town in ANCHOR_TOWNS:
        towns.remove(town)
    rest = [a for a, k in ARCHETYPES for _ in range(k)][len(ANCHOR_TOWNS):]
    rng.shuffle(rest)
    eligible = [i for i, a in enumerate(rest) if a in ("detox", "residential", "outpatient")]
    picked = rng.sample(eligible, 11)
    genders = ["any"] * len(rest)
    for j, i in enumerate(picked):
        genders[i] = "men" if j < 6 else "women"
    used = set()
    out = [facility(rng, used, i + 1, "detox", t, "any", anchor=i) for i, t in enumerate(ANCHOR_TOWNS)]
    youth_levels = iter(LEVEL_COMBOS["youth"])  # one of each, so the three programs differ
    for arch, town, gender in zip(rest, towns, genders):
        levels = next(youth_levels) if arch == "youth" else None
        out.append(facility(rng, used, len(out) + 1, arch, town, gender, levels=levels))
    return out


def meeting(rng, used, n, fellowship, town, day, attendance):
    info, lang = names.TOWNS[town], ["en"]
    if fellowship in ("AA", "NA", "CA", "Al-Anon"):
        if rng.random() < info["pl"] * 0.5:
            lang = ["pl"]
        elif rng.random() < info["es"]:
            lang = rng.choice((["es"], ["en", "es"]))
    groups = {"pl": names.POLISH_GROUPS, "es": names.SPANISH_GROUPS}.get(lang[0]) if len(lang) == 1 else None
    name = org_name(rng, used.setdefault(town, set()), town, groups or names.MEETING_GROUPS[fellowship])
    closed = rng.random() < CLOSED_ODDS.get(fellowship, 0)
    extras = rng.sample(TYPE_POOL[fellowship], rng.randint(1, 3))
    types = ["C" if closed else "O"] + extras + (["S"] if "es" in lang else []) + (["POL"] if "pl" in lang else [])
    fmt = vocab.MEETING_TYPES[extras[0]].lower()
    online = attendance == "online"
    where = "online" if online else f"in {town}" + (" and online" if attendance == "hybrid" else "")
    desc = f"{'Closed' if closed else 'Open'} {fellowship} meeting ({fmt}), meeting {where}."
    rec = base(rng, "meeting", n, name, town, desc, centre=online)
    start = datetime.strptime(rng.choice(MEETING_TIMES), "%H:%M")
    long = fellowship in ("SMART", "Recovery Dharma", "Celebrate Recovery") or extras[0] in ("B", "ST")
    place_name = None
    if not online:
        club = names.CLUBS.get(town) if fellowship in ("AA", "NA", "CA", "CMA") else None
        place_name = club if club and rng.random() < 0.25 else rng.choice(names.MEETING_PLACES)
    url = f"https://example.org/meet/{slug(name)}-{n:03d}"
    conf_url = conf_phone = None
    if attendance != "in_person":
        r = rng.random()
        conf_url, conf_phone = (None if r < 0.1 else url), (phone(rng, town) if r < 0.5 else None)
    rec.update(phones={}, website=rec["website"] if rng.random() < 0.2 else None, languages=lang,
               fellowship=fellowship, day=day, time=start.strftime("%H:%M"),
               end_time=(start + timedelta(minutes=90 if long else 60)).strftime("%H:%M"),
               types=types, attendance=attendance, conference_url=conf_url, conference_phone=conf_phone,
               location_name=place_name, notes=rng.choice(names.MEETING_NOTES) if rng.random() < 0.3 else None)
    if n == INACTIVE_MEETING:
        rec.update(active=False, notes="This group has stopped meeting.")
    return rec


def meetings(rng):
    fellowships = [f for f, k in FELLOWSHIP_COUNTS for _ in range(k)]
    attendance = ["in_person"] * 104 + ["online"] * 32 + ["hybrid"] * 24
    days = [i % 7 for i in range(len(fellowships))]
    for items in (fellowships, attendance, days):
        rng.shuffle(items)
    used = {}  # group names repeat across towns, as real ones do, but not within one town
    return [meeting(rng, used, i + 1, *args)
            for i, args in enumerate(zip(fellowships, town_pool(rng, 1), days, attendance))]


def naloxone_sites(rng):
    types = ["pharmacy"] * 16 + ["health_department"] * 5 + ["community_org"] * 8 + \
        ["vending_machine"] * 7 + ["syringe_service"] * 6
    rng.shuffle(types)
    used, out = set(), []
    for n, (site_type, town) in enumerate(zip(types, town_pool(rng, 2)), 1):
        name = org_name(rng, used, town, names.NALOXONE_NAMES[site_type])
        rec = base(rng, "naloxone_site", n, name, town, names.NALOXONE_DESCRIPTIONS[site_type])
        pharmacy = site_type == "pharmacy"
        rec.update(site_type=site_type, hours={
            "pharmacy": OPEN_24_7 if rng.random() < 0.2 else PHARMACY_HOURS,
            "health_department": OFFICE_HOURS,
            "community_org": week(((2, 4), "12:00", "18:00"), ((6,), "10:00", "14:00")),
            "vending_machine": OPEN_24_7,
            "syringe_service": week(((1, 3, 5), "10:00", "16:00")),
        }[site_type], cost=rng.choice(("insurance", "retail")) if pharmacy else "free",
            no_prescription_needed=rng.random() < 0.95 if pharmacy else True,
            fentanyl_test_strips=rng.random() < (0.2 if pharmacy else 0.8))
        if site_type == "vending_machine":
            rec["website"] = None
        out.append(rec)
    return out


def takeback_sites(rng):
    plan = [p for p, k in TAKEBACK_PLAN for _ in range(k)]
    rng.shuffle(plan)
    used, out = set(), []
    for n, ((site_type, receptacle), town) in enumerate(zip(plan, town_pool(rng, 3)), 1):
        name = org_name(rng, used, town, names.TAKEBACK_NAMES[site_type])
        rec = base(rng, "takeback_site", n, name, town, names.TAKEBACK_DESCRIPTIONS[receptacle])
        accepts = ["pills", "patches"]
        if site_type in ("pharmacy", "hospital") and receptacle != "mail_back":
            accepts += [a for a, p in (("liquids", .6), ("inhalers", .25)) if rng.random() < p]
        if site_type == "hospital" and rng.random() < 0.6:
            accepts.append("sharps")
        if receptacle == "event_only":
            hours = NO_HOURS
        elif site_type == "hospital" or (site_type == "law_enforcement" and rng.random() < 0.7):
            hours = OPEN_24_7
        elif site_type == "other":
            hours = week(((1, 2, 3, 4), "09:00", "21:00"), ((5, 6), "09:00", "17:00"), ((0,), "13:00", "17:00"))
        else:
            hours = OFFICE_HOURS if site_type == "law_enforcement" else PHARMACY_HOURS
        rec.update(site_type=site_type, receptacle=receptacle, hours=hours,
                   accepts=[a for a in vocab.TAKEBACK_ACCEPTS if a in accepts],
                   event_dates=list(TAKE_BACK_DAYS[:rng.randint(1, 2)]) if receptacle == "event_only" else [])
        out.append(rec)
    return out


def write_ndjson(path, records):
    lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    rng = random.Random(SEED)
    outputs = {"treatment_facilities": facilities(rng), "meetings": meetings(rng),
               "naloxone_sites": naloxone_sites(rng), "takeback_sites": takeback_sites(rng)}
    for stem, records in outputs.items():
        write_ndjson(OUT / f"{stem}.ndjson", records)
        print(f"wrote {len(records):3d} records to seed_data/{stem}.ndjson")
    manifest = {"as_of": iso(AS_OF), "rebase_bed_times": True,
                "description": "Fictional demo directory around Naperville, Aurora, Joliet, Rolling "
                               "Meadows, Elgin and Chicago, written by seed_data/generate.py. Bed "
                               "reported_at times are relative to as_of; shift them by (now - as_of)."}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Tables the seed generator draws from, and helpers that turn them into fictional names,
addresses and phone numbers. Town centres, ZIPs and street names are real; house numbers,
organisations and groups are made up. Hours are (days, open, close) spans, day 0 = Sunday.
"""
import math

# Centre (lat, lon), real ZIPs, local area codes, the share of records in Spanish / Polish, and how
# many records of each kind (facilities, meetings, naloxone sites, take-back sites) the town gets.
TOWNS = {
    "Naperville": {"center": (41.7508, -88.1535), "zips": ("60540", "60563", "60564", "60565"),
                   "area_codes": ("630", "331"), "es": 0.20, "pl": 0.03, "counts": (12, 30, 7, 6)},
    "Aurora": {"center": (41.7606, -88.3201), "zips": ("60505", "60506", "60502"),
               "area_codes": ("630", "331"), "es": 0.50, "pl": 0.02, "counts": (10, 24, 6, 5)},
    "Joliet": {"center": (41.5250, -88.0817), "zips": ("60432", "60435", "60436"),
               "area_codes": ("815",), "es": 0.40, "pl": 0.04, "counts": (9, 20, 6, 4)},
    "Rolling Meadows": {"center": (42.0842, -88.0131), "zips": ("60008",),
                        "area_codes": ("847", "224"), "es": 0.30, "pl": 0.05,
                        "counts": (5, 12, 3, 3)},
    "Elgin": {"center": (42.0354, -88.2826), "zips": ("60120", "60123"),
              "area_codes": ("847", "224"), "es": 0.50, "pl": 0.02, "counts": (8, 20, 5, 4)},
    # Lake Michigan lies east of the Chicago centre, so its points only go west (compass bearings).
    "Chicago": {"center": (41.8781, -87.6298), "bearings": (200, 340),
                "zips": ("60601", "60607", "60614", "60622", "60640"),
                "area_codes": ("312", "773"), "es": 0.40, "pl": 0.10, "counts": (14, 40, 11, 6)},
    "Schaumburg": {"center": (42.0334, -88.0834), "zips": ("60173",),
                   "area_codes": ("847", "224"), "es": 0.25, "pl": 0.04, "counts": (3, 7, 2, 2)},
    "Wheaton": {"center": (41.8661, -88.1070), "zips": ("60187",),
                "area_codes": ("630", "331"), "es": 0.20, "pl": 0.02, "counts": (3, 7, 2, 2)},
}

STREETS = {
    "Naperville": ("Washington St", "Ogden Ave", "Chicago Ave", "Jefferson Ave", "Diehl Rd",
                   "Aurora Ave", "W 75th St", "Naper Blvd", "Mill St", "Raymond Dr", "Route 59"),
    "Aurora": ("N Lake St", "S Broadway", "W Galena Blvd", "E New York St", "Indian Trail",
               "N Farnsworth Ave", "Eola Rd", "W Downer Pl", "Montgomery Rd"),
    "Joliet": ("N Chicago St", "W Jefferson St", "Collins St", "N Larkin Ave", "E Cass St",
               "Plainfield Rd", "Black Rd", "McDonough St", "Essington Rd"),
    "Rolling Meadows": ("Kirchoff Rd", "Algonquin Rd", "Golf Rd", "Meacham Rd", "Hicks Rd",
                        "Owl Dr", "Carriageway Dr"),
    "Elgin": ("E Chicago St", "Dundee Ave", "Summit St", "Larkin Ave", "N State St", "Randall Rd",
              "Big Timber Rd", "Spring St"),
    "Chicago": ("N Clark St", "W Madison St", "N Milwaukee Ave", "W Division St", "N Broadway",
                "W Roosevelt Rd", "S Halsted St", "W Lawrence Ave", "N Lincoln Ave", "S Wabash Ave",
                "N Ashland Ave", "W Fullerton Ave"),
    "Schaumburg": ("E Golf Rd", "N Roselle Rd", "Woodfield Rd", "W Schaumburg Rd", "N Meacham Rd"),
    "Wheaton": ("Roosevelt Rd", "N Main St", "Naperville Rd", "N Hale St", "Butterfield Rd",
                "Gary Ave"),
}

# Regional words for organisation names; GENERIC_PREFIXES may be used in any town.
TOWN_PREFIXES = {
    "Naperville": ("DuPage", "Riverwalk", "Prairie Path", "West Branch", "Naperville"),
    "Aurora": ("Fox Valley", "Fox River", "Aurora", "Phillips Park", "Eola"),
    "Joliet": ("Will County", "Des Plaines Valley", "Joliet", "Heritage Corridor",
               "Cathedral Area"),
    "Rolling Meadows": ("Northwest Suburban", "Salt Creek", "Rolling Meadows", "Kirchoff"),
    "Elgin": ("Fox Valley", "Elgin", "Kane County", "Tyler Creek", "Riverside"),
    "Chicago": ("Lakeshore", "Near West", "Uptown", "Wicker Park", "Lincoln Park", "Near North",
                "Pilsen", "South Loop"),
    "Schaumburg": ("Northwest Suburban", "Woodfield", "Schaumburg"),
    "Wheaton": ("DuPage", "Wheaton", "Cantigny"),
}
GENERIC_PREFIXES = ("St. Brigid", "Safe Harbor", "Cornerstone", "New Horizons", "Beacon",
                    "Hope Springs", "Turning Leaf", "Prairie Star", "Second Wind", "Crossroads",
                    "Meadowbrook", "Evergreen", "Lighthouse", "Mercy Ridge")

FACILITY_SUFFIXES = {
    "detox": ("Withdrawal Management Unit", "Detox & Stabilization Center", "Recovery Center",
              "Medical Detox"),
    "residential": ("Residential Treatment Center", "Recovery Lodge", "Recovery House",
                    "Treatment Campus"),
    "otp": ("Comprehensive Treatment Center", "Opioid Treatment Program", "Methadone Clinic",
            "Medication Recovery Clinic"),
    "outpatient": ("Counseling Associates", "Behavioral Health", "Outpatient Recovery Services",
                   "Family Counseling Center", "Recovery Clinic"),
    "hospital": ("Behavioral Health Hospital", "Medical Center Addiction Unit",
                 "Hospital Chemical Dependency Unit"),
    "youth": ("Youth Recovery Program", "Teen Recovery Center", "Adolescent Treatment Services"),
}
FACILITY_DESCRIPTIONS = {
    "detox": "Medically monitored withdrawal management for adults in the {town} area, with "
             "24-hour nursing and a warm handoff to residential or outpatient care.",
    "residential": "Residential substance use treatment serving {town} and nearby towns. "
                   "Structured days of group and individual therapy with discharge planning.",
    "otp": "Opioid treatment program in {town} offering daily medication dosing with counselling.",
    "outpatient": "Outpatient and intensive outpatient substance use treatment in {town}, "
                  "with evening groups for people who work.",
    "hospital": "Hospital-based inpatient unit in {town} for withdrawal with medical or "
                "psychiatric complications.",
    "youth": "Substance use treatment for young people aged 12 to 17 in {town}, "
             "with family sessions and school coordination.",
}

MEETING_GROUPS = {
    "AA": tuple(f"{g} Group" for g in (
        "Sunrise Serenity", "Keep It Simple", "Back to Basics", "Primary Purpose",
        "Came to Believe", "Early Birds", "Nooners", "Friday Night Live", "Happy Destiny",
        "Into Action", "Easy Does It", "Hope", "Steps to Freedom", "Road to Recovery",
        "Lunch Bunch", "Twelve and Twelve", "Candlelight", "Acceptance", "How It Works",
        "Spiritual Awakening", "Daily Reflections", "Big Book Thumpers")),
    "NA": tuple(f"{g} Group" for g in (
        "Just for Today", "Clean and Serene", "Miracles Happen", "Recovery in Action",
        "Never Alone", "Freedom", "Clean Machine", "Spiritual Principles", "New Beginnings",
        "Stay Clean", "Living Clean")),
    "CA": ("Hope and Help CA", "Clean and Sober CA", "Sobriety First CA"),
    "CMA": ("Crystal Clear CMA", "Crystal Free CMA", "Clear Horizons CMA"),
    "SMART": ("SMART Recovery {town}", "SMART Recovery {town} Evening",
              "SMART Recovery {town} Family & Friends"),
    "Recovery Dharma": ("Recovery Dharma {town} Sangha", "Recovery Dharma {town} Evening Sit"),
    "Refuge Recovery": ("Refuge Recovery {town}",),
    "Celebrate Recovery": ("Celebrate Recovery {town}",),
    "Al-Anon": ("Hope for Today AFG", "Courage to Change AFG", "Serenity Seekers AFG",
                "One Day at a Time AFG"),
    "Nar-Anon": ("Nar-Anon Family Group of {town}", "Nar-Anon Hope Group"),
}
SPANISH_GROUPS = ("Grupo Nueva Vida", "Grupo Esperanza", "Grupo Renacer", "Grupo Serenidad",
                  "Grupo Un Día a la Vez", "Grupo Nuevo Amanecer", "Grupo Libertad")
POLISH_GROUPS = ("Grupa Nadzieja", "Grupa Pogoda Ducha", "Grupa Nowe Życie")
MEETING_PLACES = ("St. Raphael Catholic Church", "First Congregational Church",
                  "Knox Presbyterian Church", "Community United Methodist Church",
                  "Trinity Lutheran Church", "St. Mark's Episcopal Church",
                  "Grace Evangelical Church", "Bethany Lutheran Church",
                  "Our Lady of Mercy Parish Hall", "Faith Baptist Church",
                  "Unitarian Fellowship Hall", "Township Community Center", "VFW Post Hall",
                  "Park District Recreation Center", "Public Library Meeting Room")
CLUBS = {"Naperville": "Prairie Path Alano Club", "Aurora": "Riverside Alano Club",
         "Joliet": "Joliet Serenity Club", "Elgin": "Elgin Fellowship Club",
         "Chicago": "Lakeview Alano House"}
MEETING_NOTES = {  # keyed by "is the meeting online only"
    False: ("Enter through the side door by the parking lot.", "Street parking only after 6 pm.",
            "Meets in the lower-level fellowship hall.", "Childcare available on request.",
            "Literature available; newcomers welcome to arrive early."),
    True: ("The waiting room opens ten minutes early.", "Cameras optional; newcomers welcome."),
}

NALOXONE_NAMES = {
    "pharmacy": ("{p} Pharmacy", "{p} Community Pharmacy", "{p} Apothecary",
                 "{p} Harm Reduction Pharmacy"),
    "health_department": ("{r} Public Health Clinic", "{r} Health Department Naloxone Program"),
    "community_org": ("{p} Overdose Prevention Project", "{p} Recovery Community Organization",
                      "{p} Harm Reduction Collective"),
    "vending_machine": tuple(f"Naloxone Vending Machine, {host}" for host in (
        "{t} Police Department Lobby", "{t} Public Library", "{t} Transit Center",
        "{t} Township Hall", "{p} Recovery Community Center")),
    "syringe_service": ("{p} Syringe Services Program", "{p} Mobile Harm Reduction Van"),
}
NALOXONE_DESCRIPTIONS = {
    "pharmacy": "Pharmacy giving naloxone without a prescription under the standing order.",
    "health_department": "Public health clinic with free naloxone kits and overdose training.",
    "community_org": "Community group handing out free naloxone and overdose prevention kits.",
    "vending_machine": "Free naloxone vending machine, restocked weekly, open around the clock.",
    "syringe_service": "Syringe services program: free naloxone, test strips, referrals to care.",
}

TAKEBACK_NAMES = {
    "law_enforcement": ("{t} Police Department", "{t} Police Department Substation",
                        "{t} Police District Station", "{t} Public Safety Building"),
    "pharmacy": ("{p} Pharmacy", "{p} Community Pharmacy", "{p} Family Pharmacy"),
    "hospital": ("{p} Community Hospital", "{p} Medical Center"),
    "other": ("{t} Township Hall", "{t} Fire Station 4", "{t} Public Library", "{p} Senior Center"),
}
TAKEBACK_DESCRIPTIONS = {
    "kiosk": "Secure medication drop box; leave pills in their bottles or in a sealed bag.",
    "counter": "Hand unwanted medicines to pharmacy staff at the counter for safe disposal.",
    "mail_back": "Free prepaid mail-back envelopes for unwanted medicines; ask at the desk.",
    "event_only": "Collection site on DEA Take Back Days (April and October), 10 am to 2 pm.",
}

# Treatment facility archetypes (how many of each) and the level-of-care combinations each offers.
ARCHETYPES = (("detox", 14), ("residential", 11), ("otp", 8), ("outpatient", 22), ("hospital", 6),
              ("youth", 3))
LEVEL_COMBOS = {
    "detox": (("3.7-WM",), ("3.7-WM", "3.5"), ("3.7-WM", "3.2-WM", "3.5"), ("3.2-WM", "3.5", "3.1"),
              ("3.7-WM", "3.7"), ("3.2-WM",)),
    "residential": (("3.5",), ("3.5", "3.1"), ("3.7", "3.5"), ("3.1",), ("3.3", "3.5"),
                    ("3.5", "2.5", "2.1")),
    "otp": (("OTP", "1"), ("OTP", "1", "2.1")),
    "outpatient": (("1", "2.1"), ("1", "2.1", "2.5"), ("0.5", "1"), ("1", "1-WM"),
                   ("1", "2.1", "2-WM"), ("2.1", "2.5")),
    "hospital": (("4-WM", "4"), ("4-WM", "4", "3.7-WM"), ("4-WM",)),
    "youth": (("3.5", "1"), ("1", "2.1"), ("1", "2.1", "2.5")),
}
SETTINGS_OF = {
    "0.5": ("outpatient",), "1": ("outpatient",), "2.1": ("iop",), "2.5": ("php",),
    "3.1": ("residential", "transitional_housing"), "3.3": ("residential",),
    "3.5": ("residential",), "3.7": ("residential",), "4": ("hospital_inpatient",),
    "OTP": ("outpatient",), "1-WM": ("outpatient", "detox"), "2-WM": ("outpatient", "detox"),
    "3.2-WM": ("detox", "residential"), "3.7-WM": ("detox",),
    "4-WM": ("hospital_inpatient", "detox"),
}
# Levels that have beds, so a facility offering one of them reports bed rows and is staffed 24/7.
BED_LEVELS = ("3.1", "3.3", "3.5", "3.7", "4", "3.2-WM", "3.7-WM", "4-WM")
MED_ODDS = {  # chance of offering buprenorphine, methadone, naltrexone (vocab.MEDICATIONS order)
    "detox": (.85, .15, .5), "residential": (.5, .1, .6), "otp": (.8, 1, .3),
    "outpatient": (.5, 0, .5), "hospital": (1, .7, .6), "youth": (.3, 0, .2),
}
FACT_ODDS = {  # chance of walk_in, intake_24_7, accepts_police_or_peer_dropoff, medical_clearance
    "detox": (.7, .8, .6, .25), "residential": (.2, .1, .15, .7), "otp": (.6, 0, .2, 0),
    "outpatient": (.4, 0, .05, 0), "hospital": (1, 1, 1, 0), "youth": (.3, 0, 0, .3),
}
# Payer profiles with their weights; the first payer is always kept, each other one 70% of the time.
PAYMENT_PROFILES = {
    "public": (35, ("medicaid", "medicare", "state_funded", "sliding_fee")),
    "mixed": (35, ("medicaid", "private", "medicare", "self_pay", "military")),
    "private": (15, ("private", "self_pay")),
    "charity": (10, ("free", "state_funded", "payment_assistance", "medicaid")),
    "veterans": (5, ("va", "military", "private", "medicaid")),
}
BED_NOTES = {
    "unknown": "No report yet; call intake to ask about openings.",
    "open": "Call intake before arriving so staff can prepare.",
    "full": "Waitlist open; call intake each morning.",
    "closed": "Unit temporarily closed to admissions.",
}
# Hours of facilities without beds; half the outpatient clinics also open on Saturday morning.
OTP_HOURS = ((range(1, 6), "05:30", "13:30"), ((6,), "06:00", "10:00"), ((0,), "07:00", "09:00"))
CLINIC_HOURS = (((1, 2, 3, 4), "08:00", "20:00"), ((5,), "08:00", "17:00"))
CLINIC_SATURDAY = ((6,), "09:00", "13:00")

MEETING_TIMES = ("06:30", "07:00", "07:30", "09:00", "10:00", "12:00", "12:15", "17:30", "18:00",
                 "18:30", "19:00", "19:00", "19:30", "19:30", "20:00", "20:30")
FELLOWSHIP_COUNTS = (("AA", 70), ("NA", 40), ("CA", 6), ("CMA", 5), ("SMART", 10),
                     ("Recovery Dharma", 6), ("Refuge Recovery", 4), ("Celebrate Recovery", 7),
                     ("Al-Anon", 8), ("Nar-Anon", 4))
ATTENDANCE_COUNTS = (("in_person", 104), ("online", 32), ("hybrid", 24))
# Meeting Guide codes a meeting of each fellowship may carry besides O/C and language codes.
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
# Fellowships whose meetings in our towns are sometimes held in Spanish or Polish.
MULTILINGUAL_FELLOWSHIPS = ("AA", "NA", "CA", "Al-Anon")
CLUB_FELLOWSHIPS = ("AA", "NA", "CA", "CMA")
# Fellowships whose meetings usually run 90 minutes rather than an hour.
LONG_FELLOWSHIPS = ("SMART", "Recovery Dharma", "Celebrate Recovery")

# (site type, open around the clock) and how many; vending machines never close.
NALOXONE_PLAN = ((("pharmacy", False), 13), (("pharmacy", True), 3),
                 (("health_department", False), 5), (("community_org", False), 8),
                 (("vending_machine", True), 7), (("syringe_service", False), 6))
NALOXONE_HOURS = {
    "pharmacy": ((range(1, 6), "08:00", "21:00"), ((6,), "09:00", "18:00"),
                 ((0,), "10:00", "17:00")),
    "health_department": ((range(1, 6), "08:30", "16:30"),),
    "community_org": (((2, 4), "12:00", "18:00"), ((6,), "10:00", "14:00")),
    "syringe_service": (((1, 3, 5), "10:00", "16:00"),),
}

TAKEBACK_PLAN = ((("law_enforcement", "kiosk"), 10), (("law_enforcement", "event_only"), 2),
                 (("pharmacy", "kiosk"), 7), (("pharmacy", "counter"), 3),
                 (("pharmacy", "mail_back"), 2), (("hospital", "kiosk"), 5),
                 (("other", "event_only"), 2), (("other", "mail_back"), 1))
TAKEBACK_HOURS = {
    "law_enforcement": ((range(1, 6), "08:30", "16:30"),),
    "pharmacy": NALOXONE_HOURS["pharmacy"],
    "other": (((1, 2, 3, 4), "09:00", "21:00"), ((5, 6), "09:00", "17:00"),
              ((0,), "13:00", "17:00")),
}
# DEA National Prescription Drug Take Back Days after as_of (last Saturdays of April and October).
TAKE_BACK_DAYS = ("2027-04-24", "2027-10-30")


def place(rng, town, centre=False):
    """A street address and a point up to 9 km from the town centre (or the centre, no street)."""
    info, (lat, lon) = TOWNS[town], TOWNS[town]["center"]
    street = None
    if not centre:
        km = 9 * math.sqrt(rng.random())  # uniform over the disc, not bunched at the centre
        bearing = math.radians(rng.uniform(*info.get("bearings", (0, 360))))
        lat, lon = (lat + km * math.cos(bearing) / 111.32,
                    lon + km * math.sin(bearing) / (111.32 * math.cos(math.radians(lat))))
        street = f"{rng.randint(100, 4999)} {rng.choice(STREETS[town])}"
    address = dict(street=street, city=town, state="IL", postal_code=rng.choice(info["zips"]))
    return address, {"lat": round(lat, 5), "lon": round(lon, 5)}


def phone(rng, town):
    return f"({rng.choice(TOWNS[town]['area_codes'])}) 555-01{rng.randint(0, 99):02d}"


def org_name(rng, used, town, patterns):
    """A name not yet in `used`, from patterns with {r} (regional word), {p} (regional or generic
    word) and {t} or {town}; after 50 clashes the town is appended to tell it apart."""
    regional = TOWN_PREFIXES[town]
    for _ in range(50):
        name = rng.choice(patterns).format(p=rng.choice(regional + GENERIC_PREFIXES),
                                           r=rng.choice(regional), t=town, town=town)
        if name not in used:
            break
    else:
        name = f"{name} ({town})"
    used.add(name)
    return name

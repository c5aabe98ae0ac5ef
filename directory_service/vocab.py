"""Controlled vocabularies and crosswalks (DESIGN §4).

Every filterable field takes its values from one list here, so schemas, the stores and
`GET /v1/vocabularies` all agree. Crosswalks turn codes from other systems (ASAM 4th
edition, SAMHSA FindTreatment) into ours.
"""
import re

KINDS = ("treatment_facility", "meeting", "naloxone_site", "takeback_site")

# ASAM 3rd-edition levels plus the withdrawal-management (WM) levels; OTP is its own track.
LEVELS_OF_CARE = (
    "0.5", "1", "2.1", "2.5", "3.1", "3.3", "3.5", "3.7", "4", "OTP",
    "1-WM", "2-WM", "3.2-WM", "3.7-WM", "4-WM",
)
LEVEL_OF_CARE_NAMES = {
    "0.5": "Early intervention",
    "1": "Outpatient",
    "2.1": "Intensive outpatient",
    "2.5": "Partial hospitalization",
    "3.1": "Clinically managed low-intensity residential",
    "3.3": "Clinically managed population-specific high-intensity residential",
    "3.5": "Clinically managed high-intensity residential",
    "3.7": "Medically monitored intensive inpatient",
    "4": "Medically managed intensive inpatient",
    "OTP": "Opioid treatment program",
    "1-WM": "Ambulatory withdrawal management without extended on-site monitoring",
    "2-WM": "Ambulatory withdrawal management with extended on-site monitoring",
    "3.2-WM": "Clinically managed residential withdrawal management",
    "3.7-WM": "Medically monitored inpatient withdrawal management",
    "4-WM": "Medically managed intensive inpatient withdrawal management",
}
WITHDRAWAL_MANAGEMENT = ("1-WM", "2-WM", "3.2-WM", "3.7-WM", "4-WM")

# ASAM 4th edition → the 3rd-edition codes a facility would list. The 4th edition folds the
# standalone WM levels into the x.7 levels, so 1.7/2.7 map to the ambulatory WM levels.
ASAM4_CROSSWALK = {
    "1.0": ("1",),
    "1.5": ("1",),
    "1.7": ("1", "1-WM"),
    "2.1": ("2.1",),
    "2.5": ("2.5",),
    "2.7": ("2.5", "2-WM"),
    "3.1": ("3.1",),
    "3.5": ("3.5",),
    "3.7": ("3.7", "3.7-WM"),
    "4": ("4", "4-WM"),
}
# Plain words a coach types; "detox" is every withdrawal-management level.
LEVEL_ALIASES = {
    "detox": WITHDRAWAL_MANAGEMENT,
    "residential": ("3.1", "3.3", "3.5", "3.7"),
    "outpatient": ("1", "2.1", "2.5"),
}

SETTINGS = (
    "detox", "residential", "outpatient", "iop", "php", "hospital_inpatient",
    "transitional_housing",
)
MEDICATIONS = ("buprenorphine", "methadone", "naltrexone")

PAYMENT = (
    "medicaid", "medicare", "private", "military", "va", "state_funded", "ihs_tribal",
    "sliding_fee", "payment_assistance", "free", "self_pay",
)
# What "uninsured" means in a query (DESIGN §4).
UNINSURED = ("free", "sliding_fee", "payment_assistance", "state_funded", "self_pay")

GENDERS = ("any", "men", "women")
POPULATION_PROGRAMS = (
    "veterans", "pregnant_postpartum", "lgbtq", "adolescents", "criminal_justice",
)
BED_STATUSES = ("open", "full", "closed", "unknown")
# Who a bed row is for. Reports and holds must use one of these; search counts a row only
# for people it fits (search/columns.py), so a misspelt population is refused, never "any".
BED_POPULATIONS = {
    "adult_any": "Adults of any gender",
    "adult_men": "Adult men",
    "adult_women": "Adult women",
    "adolescents": "Adolescents (under 18)",
}
FRESHNESS = ("fresh", "aging", "stale", "unknown")

FELLOWSHIPS = (
    "AA", "NA", "CA", "CMA", "SMART", "Recovery Dharma", "Refuge Recovery",
    "Celebrate Recovery", "Al-Anon", "Nar-Anon", "other",
)
ATTENDANCE = ("in_person", "online", "hybrid")
# Meeting Guide type codes (code4recovery/spec data/types.json), English labels.
MEETING_TYPES = {
    "11": "11th Step Meditation", "12x12": "12 Steps & 12 Traditions", "A": "Secular",
    "ABSI": "As Bill Sees It", "AF": "Afrikaans", "AL": "Concurrent with Alateen",
    "AL-AN": "Concurrent with Al-Anon", "AM": "Amharic", "AR": "Arabic",
    "ASL": "American Sign Language", "B": "Big Book", "BA": "Babysitting Available",
    "BE": "Newcomer", "BG": "Bulgarian", "BI": "Bisexual", "BRK": "Breakfast",
    "C": "Closed", "CAN": "Candlelight", "CF": "Child-Friendly", "D": "Discussion",
    "DA": "Danish", "DB": "Digital Basket", "DD": "Dual Diagnosis", "DE": "German",
    "DR": "Daily Reflections", "EL": "Greek", "EN": "English", "FA": "Persian",
    "FI": "Finnish", "FF": "Fragrance Free", "FR": "French", "G": "Gay",
    "GR": "Grapevine", "H": "Birthday", "HE": "Hebrew", "HI": "Hindi", "HR": "Croatian",
    "HU": "Hungarian", "IS": "Icelandic", "ITA": "Italian", "JA": "Japanese",
    "KA": "Georgian", "KOR": "Korean", "L": "Lesbian", "LGBTQ": "LGBTQ",
    "LIT": "Literature", "LS": "Living Sober", "LT": "Lithuanian", "M": "Men",
    "MED": "Meditation", "ML": "Malayalam", "MT": "Maltese", "N": "Native American",
    "NB": "Non-Binary", "NDG": "Indigenous", "NE": "Nepali", "NL": "Dutch",
    "NO": "Norwegian", "O": "Open", "OUT": "Outdoor", "P": "Professionals",
    "POA": "Proof of Attendance", "POC": "People of Color", "POL": "Polish",
    "POR": "Portuguese", "PUN": "Punjabi", "RUS": "Russian", "S": "Spanish",
    "SEN": "Seniors", "SK": "Slovak", "SL": "Slovenian", "SM": "Smoking Permitted",
    "SP": "Speaker", "ST": "Step Study", "SV": "Swedish", "T": "Transgender",
    "TC": "Location Temporarily Closed", "TH": "Thai", "TL": "Tagalog",
    "TR": "Tradition Study", "TUR": "Turkish", "UK": "Ukrainian", "W": "Women",
    "X": "Wheelchair Access", "XB": "Wheelchair-Accessible Bathroom",
    "XT": "Cross Talk Permitted", "Y": "Young People",
}

# Meeting Guide types that name the language a meeting is held in → ISO 639-1. A meeting's
# `languages` come from these (only `S` → ["es"], `EN` and `S` → ["en", "es"]); sign
# languages (ASL) stay types, as they have no ISO 639-1 code.
MEETING_TYPE_LANGUAGES = {
    "AF": "af", "AM": "am", "AR": "ar", "BG": "bg", "DA": "da", "DE": "de", "EL": "el",
    "EN": "en", "FA": "fa", "FI": "fi", "FR": "fr", "HE": "he", "HI": "hi", "HR": "hr",
    "HU": "hu", "IS": "is", "ITA": "it", "JA": "ja", "KA": "ka", "KOR": "ko", "LT": "lt",
    "ML": "ml", "MT": "mt", "NE": "ne", "NL": "nl", "NO": "no", "POL": "pl", "POR": "pt",
    "PUN": "pa", "RUS": "ru", "S": "es", "SK": "sk", "SL": "sl", "SV": "sv", "TH": "th",
    "TL": "tl", "TUR": "tr", "UK": "uk",
}

NALOXONE_SITE_TYPES = (
    "pharmacy", "health_department", "community_org", "vending_machine", "syringe_service",
)
NALOXONE_COST = ("free", "insurance", "retail")
TAKEBACK_SITE_TYPES = ("pharmacy", "law_enforcement", "hospital", "other")
TAKEBACK_RECEPTACLES = ("kiosk", "counter", "mail_back", "event_only")
TAKEBACK_ACCEPTS = ("pills", "patches", "liquids", "inhalers", "sharps")
SITE_TYPES = tuple(dict.fromkeys(NALOXONE_SITE_TYPES + TAKEBACK_SITE_TYPES))

# ISO 639-1 codes we expect; other two-letter codes are accepted as well.
LANGUAGES = ("en", "es", "pl", "ar", "zh", "tl", "vi", "ko", "ru", "hi", "fr", "uk")

# SAMHSA FindTreatment codes → ours (CBHSQ/findtreatment src/utils/filters.js).
SAMHSA_PAYMENT = {
    "MD": "medicaid", "MC": "medicare", "PI": "private", "MI": "military",
    "SI": "state_funded", "ITU": "ihs_tribal", "SS": "sliding_fee",
    "PA": "payment_assistance", "NP": "free", "SF": "self_pay",
}
SAMHSA_TYPE_OF_CARE = {
    "DT": {"settings": ("detox",), "levels_of_care": ("3.2-WM", "3.7-WM")},
    "RES": {"settings": ("residential",), "levels_of_care": ("3.1", "3.5")},
    "OP": {"settings": ("outpatient",), "levels_of_care": ("1",)},
    "HI": {"settings": ("hospital_inpatient",), "levels_of_care": ("4",)},
    "HH": {"settings": ("transitional_housing",), "levels_of_care": ("3.1",)},
}
SAMHSA_SETTINGS = {
    "HID": {"settings": ("hospital_inpatient", "detox"), "levels_of_care": ("4-WM",)},
    "HIT": {"settings": ("hospital_inpatient",), "levels_of_care": ("4",)},
    "OD": {"settings": ("outpatient", "detox"), "levels_of_care": ("1-WM", "2-WM")},
    "ODT": {"settings": ("php",), "levels_of_care": ("2.5",)},
    "OIT": {"settings": ("iop",), "levels_of_care": ("2.1",)},
    "OMB": {"settings": ("outpatient",), "levels_of_care": ("OTP",)},
    "ORT": {"settings": ("outpatient",), "levels_of_care": ("1",)},
    "RD": {"settings": ("residential", "detox"), "levels_of_care": ("3.2-WM", "3.7-WM")},
    "RL": {"settings": ("residential",), "levels_of_care": ("3.1",)},
    "RS": {"settings": ("residential",), "levels_of_care": ("3.5",)},
}
SAMHSA_MEDICATIONS = {"BU": "buprenorphine", "METH": "methadone", "NU": "naltrexone"}


def _level_key(code):
    return re.sub(r"[\s_\-]+", "", code).upper()


# A search or match may name a level as typed: "otp", "3.7-wm", "3.7 WM" and "3.7WM" are
# "OTP" and "3.7-WM". A bed report or hold names the published code exactly (issue 11).
_LEVEL_SPELLINGS = {_level_key(c): c for c in LEVELS_OF_CARE + tuple(ASAM4_CROSSWALK)}


def expand_levels(requested):
    """Turn requested level codes (3rd or 4th edition, or plain words) into our codes.

    Returns (primary, related): the codes asked for exactly, and the codes reached only
    through a crosswalk or an alias. Unknown codes raise ValueError naming the code.
    """
    primary, related = [], []
    for code in requested:
        code = _LEVEL_SPELLINGS.get(_level_key(code), code)
        if code in LEVELS_OF_CARE:
            # Codes shared by both editions (3.7, 4) keep their 3rd-edition meaning and
            # reach the withdrawal-management level the 4th edition folds into them.
            primary.append(code)
            related.extend(ASAM4_CROSSWALK.get(code, ())[1:])
        elif code in ASAM4_CROSSWALK:
            mapped = ASAM4_CROSSWALK[code]
            primary.append(mapped[0])
            related.extend(mapped[1:])
        elif code.lower() in LEVEL_ALIASES:
            related.extend(LEVEL_ALIASES[code.lower()])
        else:
            raise ValueError(f"unknown level of care {code!r}")
    primary = tuple(dict.fromkeys(primary))
    related = tuple(c for c in dict.fromkeys(related) if c not in primary)
    return primary, related


def expand_payment(requested):
    """Expand "uninsured" into the payment types that serve a person without insurance."""
    out = []
    for code in requested:
        out.extend(UNINSURED if code == "uninsured" else (code,))
    return tuple(dict.fromkeys(out))


def published():
    """Everything `GET /v1/vocabularies` returns."""
    return {
        "kinds": list(KINDS),
        "levels_of_care": [{"code": c, "name": LEVEL_OF_CARE_NAMES[c]} for c in LEVELS_OF_CARE],
        "level_of_care_aliases": {k: list(v) for k, v in LEVEL_ALIASES.items()},
        "asam4_crosswalk": {k: list(v) for k, v in ASAM4_CROSSWALK.items()},
        "settings": list(SETTINGS),
        "medications": list(MEDICATIONS),
        "payment": list(PAYMENT),
        "uninsured_means": list(UNINSURED),
        "genders": list(GENDERS),
        "population_programs": list(POPULATION_PROGRAMS),
        "bed_statuses": list(BED_STATUSES),
        "bed_populations": [{"code": c, "name": n} for c, n in BED_POPULATIONS.items()],
        "freshness": list(FRESHNESS),
        "fellowships": list(FELLOWSHIPS),
        "attendance": list(ATTENDANCE),
        "meeting_types": [{"code": k, "name": v} for k, v in MEETING_TYPES.items()],
        "meeting_type_languages": MEETING_TYPE_LANGUAGES,
        "naloxone_site_types": list(NALOXONE_SITE_TYPES),
        "naloxone_cost": list(NALOXONE_COST),
        "takeback_site_types": list(TAKEBACK_SITE_TYPES),
        "takeback_receptacles": list(TAKEBACK_RECEPTACLES),
        "takeback_accepts": list(TAKEBACK_ACCEPTS),
        "samhsa_payment": SAMHSA_PAYMENT,
        "samhsa_type_of_care": {k: {f: list(v) for f, v in m.items()}
                                for k, m in SAMHSA_TYPE_OF_CARE.items()},
        "samhsa_settings": {k: {f: list(v) for f, v in m.items()}
                            for k, m in SAMHSA_SETTINGS.items()},
        "samhsa_medications": SAMHSA_MEDICATIONS,
    }

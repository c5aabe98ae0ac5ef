"""FindTreatment's human-readable service values → SAMHSA filter codes and our fields.

The locator returns labels ("Short-term residential"), not the codes its own filters use
("RS"); these tables are that translation, written from the values seen in the locator's
responses (CBHSQ/findtreatment src/utils/_DATA.js, services.js). Categories we do not
map on purpose (treatment approaches, screening, licences ...) are listed in IGNORED so
that only genuinely new values produce warnings.
"""
from dataclasses import dataclass, field

# Service settings and types of care → SAMHSA codes that vocab.py crosswalks.
SETTING_CODES = {
    "outpatient": (), "residential": (), "hospital inpatient": ("HIT",),
    "short-term residential": ("RS",), "long-term residential": ("RL",),
    "residential detoxification": ("RD",), "outpatient detoxification": ("OD",),
    "hospital inpatient detoxification": ("HID",), "hospital inpatient treatment": ("HIT",),
    "intensive outpatient treatment": ("OIT",), "regular outpatient treatment": ("ORT",),
    "outpatient day treatment or partial hospitalization": ("ODT",),
    "partial hospitalization/day treatment": ("ODT",),
    "outpatient methadone/buprenorphine or naltrexone treatment": ("OMB",),
    "computerized treatment/telemedicine": (), "telemedicine/telehealth": (),
    "halfway house": ("HH",), "transitional housing, halfway house, or sober home": ("HH",),
    "detoxification": ("DT",), "substance use treatment": (),
    "interim services for clients": (),
}
PAYMENT = {
    "medicaid": "medicaid", "medicare": "medicare", "private health insurance": "private",
    "cash or self-payment": "self_pay", "military insurance (e.g., tricare)": "military",
    "state-financed health insurance plan other than medicaid": "state_funded",
    "u.s. department of va funds": "va", "ihs/tribal/urban (itu) funds": "ihs_tribal",
    "sliding fee scale (fee is based on income and other factors)": "sliding_fee",
    "payment assistance (check with facility for details)": "payment_assistance",
    "no payment accepted": "free", "treatment at no charge or minimal payment for clients "
    "who cannot afford to pay": "free",
}
# Funding streams that are not a way a person pays: known, deliberately not mapped.
FUNDING = {
    "federal, or any government funding for substance abuse programs",
    "county or local government funds", "community mental health block grants",
    "community service block grants", "other state funds",
    "state corrections or juvenile justice funds", "state mental health agency (or equivalent) "
    "funds", "state education funds", "state welfare or child and family services funds",
    "state substance abuse agency funds", "private or community foundation funds",
}
MEDICATION_WORDS = (("buprenorphine", "buprenorphine"), ("methadone", "methadone"),
                    ("naltrexone", "naltrexone"), ("vivitrol", "naltrexone"),
                    ("suboxone", "buprenorphine"), ("sublocade", "buprenorphine"))
NO_OPIOID_MEDICATION = ("do not use medication", "does not treat opioid",
                        "medications for psychiatric", "acamprosate", "disulfiram")
PROGRAMS = {
    "veterans": "veterans", "pregnant/postpartum women": "pregnant_postpartum",
    "lesbian, gay, bisexual, or transgender (lgbt) clients": "lgbtq",
    "adolescents": "adolescents", "clients referred from the court/judicial system":
    "criminal_justice", "criminal justice (other than dui/dwi)": "criminal_justice",
}
LANGUAGES = {"spanish": "es", "arabic": "ar", "any chinese language": "zh", "french": "fr",
             "german": "de", "korean": "ko", "polish": "pl", "russian": "ru",
             "tagalog": "tl", "vietnamese": "vi", "hindi": "hi", "italian": "it",
             "japanese": "ja", "portuguese": "pt", "greek": "el", "hebrew": "he",
             "farsi": "fa", "creole": "ht", "ukrainian": "uk"}
IGNORED = {"TAP", "FOP", "LCA", "SCR", "TRSRV", "AS", "EDU", "TOBAC", "SMP", "FT", "EMS",
           "HOSP", "SL", "ASSES", "OTHR", "AUT", "DETOX", "PHR_OTHER", "EXCL", "SG_OTHER"}


@dataclass
class Facts:
    """What one facility's service values told us, filled in by `apply`."""

    codes: list = field(default_factory=list)
    payment: list = field(default_factory=list)
    medications: list = field(default_factory=list)
    accepts_moud: bool = False
    programs: set = field(default_factory=set)
    genders: set = field(default_factory=set)
    ages: set = field(default_factory=set)
    languages: list = field(default_factory=list)

    def populations(self):
        only = {"male": "men", "female": "women"}
        genders = {only[g] for g in self.genders if g in only}
        adults_only = self.ages and not ({"children/adolescents"} & self.ages)
        return {"genders": genders.pop() if len(genders) == 1 else "any",
                "min_age": 18 if adults_only else None, "max_age": None,
                **{p: p in self.programs for p in
                   ("veterans", "pregnant_postpartum", "lgbtq", "adolescents",
                    "criminal_justice")}}


def apply(category, value, facts):
    """Record one (category, value); False when the value is not one we know."""
    low = value.lower()
    if category in IGNORED:
        return True
    if category in ("TC", "SET"):
        if category == "TC" and "mental health" in low:
            return True
        if low not in SETTING_CODES:
            return False
        facts.codes.extend(SETTING_CODES[low])
        return True
    if category in ("PAY", "PYAS"):
        if low in PAYMENT:
            facts.payment.append(PAYMENT[low])
            return True
        return low in FUNDING
    if category in ("OT", "OM", "PHR"):
        found = [ours for word, ours in MEDICATION_WORDS if word in low]
        facts.medications.extend(m for m in found if m not in facts.medications)
        if "accepts clients on opioid medication" in low:
            facts.accepts_moud = True
        return bool(found) or "accepts clients" in low or any(
            w in low for w in NO_OPIOID_MEDICATION) or "opioid treatment program" in low
    if category == "SG":
        if low in PROGRAMS:
            facts.programs.add(PROGRAMS[low])
        return True  # many further groups (trauma, seniors ...) are descriptive only
    if category == "GN":
        facts.genders.add(low)
        return low in ("male", "female")
    if category == "AGE":
        facts.ages.add(low)
        if low == "children/adolescents":
            facts.programs.add("adolescents")
        return low in ("adults", "young adults", "seniors (65 or older)", "children/adolescents")
    if category == "OL":
        if low in LANGUAGES:
            facts.languages.append(LANGUAGES[low])
            return True
        return False
    return False

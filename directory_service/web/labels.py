"""Plain-word, translatable names for the codes records carry.

Codes ("3.7-WM", "sliding_fee") are for systems; a person reads "Detox" and "Sliding
scale fee". Lazy strings so each page renders them in its own language.
"""
from flask_babel import lazy_gettext as _l

KINDS = {
    "treatment_facility": _l("Treatment"),
    "meeting": _l("Meeting"),
    "naloxone_site": _l("Naloxone"),
    "takeback_site": _l("Medicine drop-off"),
}
# ASAM levels grouped into the words people use for them.
LEVELS = {
    "0.5": _l("Early intervention"), "1": _l("Outpatient"), "2.1": _l("Intensive outpatient"),
    "2.5": _l("Day treatment (partial hospital)"), "3.1": _l("Residential"),
    "3.3": _l("Residential"), "3.5": _l("Residential"), "3.7": _l("Residential, medically monitored"),
    "4": _l("Hospital inpatient"), "OTP": _l("Opioid treatment program (methadone)"),
    "1-WM": _l("Detox, outpatient"), "2-WM": _l("Detox, outpatient"),
    "3.2-WM": _l("Detox, residential"), "3.7-WM": _l("Detox, medically monitored"),
    "4-WM": _l("Detox, hospital"),
}
PAYMENT = {
    "medicaid": _l("Medicaid"), "medicare": _l("Medicare"), "private": _l("Private insurance"),
    "military": _l("Military insurance (TRICARE)"), "va": _l("VA"),
    "state_funded": _l("State funded"), "ihs_tribal": _l("IHS / tribal"),
    "sliding_fee": _l("Sliding scale fee"), "payment_assistance": _l("Payment help"),
    "free": _l("Free"), "self_pay": _l("Pay yourself"), "uninsured": _l("No insurance"),
}
POPULATIONS = {
    "adult_men": _l("Adult men"), "adult_women": _l("Adult women"),
    "adult_any": _l("Adults"), "adolescents": _l("Teens"),
}
MEDICATIONS = {"buprenorphine": _l("Buprenorphine"), "methadone": _l("Methadone"),
               "naltrexone": _l("Naltrexone")}
ATTENDANCE = {"in_person": _l("In person"), "online": _l("Online"),
              "hybrid": _l("In person and online")}
SITE_TYPES = {
    "pharmacy": _l("Pharmacy"), "health_department": _l("Health department"),
    "community_org": _l("Community organization"), "vending_machine": _l("Vending machine"),
    "syringe_service": _l("Syringe service program"), "law_enforcement": _l("Police station"),
    "hospital": _l("Hospital"), "other": _l("Other"),
}
COST = {"free": _l("Free"), "insurance": _l("Through insurance"), "retail": _l("For a price")}
ACCEPTS = {"pills": _l("Pills"), "patches": _l("Patches"), "liquids": _l("Liquids"),
           "inhalers": _l("Inhalers"), "sharps": _l("Needles (sharps)")}
CARE = {"detox": _l("Detox"), "residential": _l("Residential"),
        "outpatient": _l("Outpatient"), "OTP": _l("Methadone / opioid treatment program")}
NEEDS = {"treatment": _l("Treatment"), "detox": _l("Detox"), "meetings": _l("Meetings"),
         "naloxone": _l("Naloxone"), "takeback": _l("Drop off medicines")}
QUICK_STARTS = {
    "detox_now": _l("Detox bed now"), "treatment": _l("Treatment"),
    "meetings_today": _l("Meetings today"), "naloxone": _l("Naloxone"),
    "takeback": _l("Drop off medicines"),
}
TIMES = {"12:00": _l("After noon"), "17:00": _l("After 5 PM"), "19:00": _l("After 7 PM")}


def label(table, code):
    """The plain name of `code`, or the code itself when it has none."""
    return table.get(code, code)


def names(table, codes):
    """"Detox, Residential": the plain names of `codes`, each once, in order."""
    return ", ".join(dict.fromkeys(str(label(table, code)) for code in codes or ()))

"""Plain, translatable words for the codes the staff pages show."""
from flask_babel import lazy_gettext as _l

FRESHNESS = {"fresh": _l("fresh"), "aging": _l("aging"), "stale": _l("stale"),
             "unknown": _l("never reported"), "never": _l("never reported")}
STATUS = {"open": _l("Open"), "full": _l("Full"), "closed": _l("Closed"),
          "unknown": _l("Unknown")}
EVENTS = {"report": _l("Report"), "confirmation": _l("Still accurate"),
          "admission": _l("Admission"), "baseline": _l("From the directory")}
HOLD_STATES = {"active": _l("Held"), "confirmed": _l("Confirmed: admitted"),
               "declined": _l("Declined by the facility"), "cancelled": _l("Cancelled"),
               "expired": _l("Expired"), "released": _l("Released")}
ROLES = {"facility": _l("Facility intake"), "coach": _l("Coach"),
         "admin": _l("Administrator")}
MOUD = {"none": _l("No medication"), "methadone": _l("Methadone"),
        "buprenorphine": _l("Buprenorphine")}
GENDERS = {"men": _l("Man"), "women": _l("Woman")}

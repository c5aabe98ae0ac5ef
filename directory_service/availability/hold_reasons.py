"""Why a hold was released or could not be decided: one source, two renderings.

The API stores and answers these reasons as English sentences (its contract); the staff
pages translate them. Each kind of reason is written here, once, together with the
pattern that reads it back into its parts, so the page never guesses at text it did not
make and a change to a sentence cannot drift from its reading.
"""
import re

FEWER = re.compile(
    r"^released: the facility reported (?P<open>\d+) open (?P<level>\S+) beds? for "
    r"(?P<population>\S+) at (?P<at>\S+), fewer than the (?P<held>\d+) held; the newest holds "
    r"were released first\. Call intake or hold a bed elsewhere\.$")
GONE = re.compile(
    r"^released: the facility reported no open (?P<level>\S+) bed for (?P<population>\S+) "
    r"\((?P<status>\w+), (?P<available>\d+) available at (?P<at>\S+)\); report the "
    r"admission as a bed report instead$")
EXPIRED = re.compile(r"^hold (?P<hold>\S+) expired at (?P<at>\S+)$")
ALREADY = re.compile(r"^hold (?P<hold>\S+) is already (?P<state>\w+)(?: \((?P<reason>.*)\))?$",
                     re.S)
NOT_CONFIRMED = re.compile(r"^hold (?P<hold>\S+) cannot be confirmed: (?P<reason>.*)$", re.S)


def fewer_than_held(open_beds, level, population, at, held):
    """A report left fewer open beds than active holds: the newest were released."""
    return (f"released: the facility reported {open_beds} open {level} "
            f"bed{'s' if open_beds != 1 else ''} for {population} at "
            f"{at}, fewer than the {held} held; the newest holds "
            f"were released first. Call intake or hold a bed elsewhere.")


def bed_gone(level, population, status, available, at):
    """Confirming found the row full or closed: the hold is released, not confirmed."""
    return (f"released: the facility reported no open {level} bed for "
            f"{population} ({status}, {available or 0} available at "
            f"{at}); report the admission as a bed report instead")


def expired(hold_id, at):
    return f"hold {hold_id} expired at {at}"


def already(hold_id, state, reason=None):
    return f"hold {hold_id} is already {state}" + (f" ({reason})" if reason else "")


def not_confirmed(hold_id, reason):
    return f"hold {hold_id} cannot be confirmed: {reason}"


KINDS = (("fewer_than_held", FEWER), ("bed_gone", GONE), ("expired", EXPIRED),
         ("already", ALREADY), ("not_confirmed", NOT_CONFIRMED))


def parse(text):
    """{"kind": ..., parts...} for a sentence made above; None for any other text."""
    for kind, pattern in KINDS:
        found = pattern.match(text or "")
        if found:
            parts = {k: v for k, v in found.groupdict().items() if v is not None}
            for name in ("open", "held", "available"):
                if name in parts:
                    parts[name] = int(parts[name])
            return {"kind": kind, **parts}
    return None

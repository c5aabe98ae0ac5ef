"""Reading a directory phone string the way a phone dials it: E.164, extension, tel: link.

Phones are written for people ("(630) 555-0100 ext. 12", "Intake: 630-555-0100, 24/7",
"988", "+16465588656,,83153365392#" for a meeting's dial-in). The compact view shows the
result (api/compact_view.py) and the pages link it (web/present.py `tel_url`), so a tap
calls the number written, with its extension, never a number made of all its digits.
"""
import re
from functools import lru_cache

import phonenumbers

# Read as US numbers unless they start with + and a country code.
PHONE_REGION = "US"


# A number spelt in letters with its digits after it: "1-800-662-HELP (4357)", SAMHSA's
# National Helpline as it is written everywhere. The letters are dialled; the repeat is not.
VANITY_REPEAT = re.compile(r"^(?P<number>.*[A-Za-z]{3,}.*?)\s*\(\d{3,}\)\s*$")
# Numbers written with what they are for: a fax is never a number to tap and call, and a
# TTY line answers only text telephones, so a voice number beside them is the one dialled.
LABELLED = re.compile(r"\b(fax|facsimile|tty|tdd)\b", re.I)
FAX = re.compile(r"\b(fax|facsimile)\b", re.I)
# Where one number's label starts: after the number before it, or a separator.
SEPARATOR = re.compile(r"[;,/|]|\bor\b|\band\b", re.I)
# A number offered for text messages only ("Text HOME to 741741", "SMS 55555"): calling a
# text-only short code fails, so no tel: link; "Call or text 988" is a number to call.
TEXT_ONLY = re.compile(r"\b(text|sms)\b", re.I)
VOICE = re.compile(r"\b(call|phone|voice|tel|dial)\b", re.I)
# A one-tap dial-in as conference feeds write it: the number, then pauses (",") and the
# meeting id and passcode keyed in ("+16465588656,,83153365392#,,#,,123456#").
DIAL_SEQUENCE = re.compile(r"^(?P<number>[^,]+?)\s*(?P<keys>,[0-9*#,]*[0-9*#])$")


@lru_cache(maxsize=8192)
def phone(text):
    """A directory phone string → {text, e164, extension, tel}; None for no number.

    The whole string is read first; failing that, the first valid number written in it
    ("630-555-0100 or 630-555-0101", "Intake: (630) 555-0100, 24/7"), skipping a fax.
    Short codes (988, 211) get a tel: link and no E.164 form; a number only to text
    ("Text HOME to 741741") gets none; a one-tap dial-in keeps its keyed-in meeting
    id and passcode in the link; anything else unreadable keeps only its text.
    """
    if not text or not text.strip():
        return None
    out = {"text": text, "e164": None, "extension": None, "tel": None}
    if TEXT_ONLY.search(text) and not VOICE.search(text):
        # "Text HOME to 741741": a number to text, not to call; the words say what to do.
        return out
    sequence = DIAL_SEQUENCE.match(text.strip())
    vanity = None if sequence else VANITY_REPEAT.match(text.strip())
    number = _read(sequence["number"] if sequence else vanity["number"] if vanity else text,
                   search=not sequence)
    if number is None:
        return out
    if phonenumbers.is_valid_short_number_for_region(number, PHONE_REGION):
        return {**out, "tel": "tel:" + str(number.national_number)}
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    ext = number.extension or None
    tel = f"tel:{e164}" + (f";ext={ext}" if ext else "")
    if sequence:
        tel += sequence["keys"].replace("#", "%23")  # "#" would end the URI
    return {**out, "e164": e164, "extension": ext, "tel": tel}


def _read(text, search):
    """A valid or short phone number in `text`, or None."""
    if search and LABELLED.search(text):
        # "Fax: 630-555-0199; Main: 630-555-0100": read number by number, by their labels.
        return _labelled(text)
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and (phonenumbers.is_valid_number(number) or
                               phonenumbers.is_valid_short_number_for_region(number, PHONE_REGION)):
        return number
    digits = text.strip()
    if digits.startswith("+") and len(re.sub(r"\D", "", digits)) == 10:
        # "+3017158592": a US number given a + but no country code, as feeds often write.
        return _read(digits[1:], search=False)
    if search:
        found = next(iter(phonenumbers.PhoneNumberMatcher(text, PHONE_REGION)), None)
        return found.number if found else None
    return None


def _labelled(text):
    """The number to call in a string that labels its numbers: the first that is neither a
    fax nor a TTY line, else the first TTY line; a fax alone is no number to call."""
    tty = None
    start = 0
    for found in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION):
        before = text[start:found.start]
        label = SEPARATOR.split(before)[-1]
        start = found.end
        if FAX.search(label):
            continue
        if LABELLED.search(label):
            tty = tty or found.number
            continue
        return found.number
    return tty

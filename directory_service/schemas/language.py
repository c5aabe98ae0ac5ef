"""A language as a searcher's tools send it: `es`, `ES`, `es-MX`, `Spanish` or `español` → `es`.

Records carry ISO 639-1 codes (docs/data-format.md). A coach's phone app or a partner's
form may send the code in capitals, a browser's or phone's language tag (BCP 47: `es-MX`,
`zh-Hant-TW`, `en_US`, whose first part is the language), or the language's name; those are
read, and anything
that names no language is a 422 saying what to send, never a silent empty answer.
"""
import functools
import json
import os
import re

from marshmallow import ValidationError, fields, validate

MAX_NAME = 40  # "Haitian Creole", "Norwegian Bokmål": none is longer

# A BCP 47 tag (or a POSIX locale's "es_MX"): the language, then region, script, variant.
LANGUAGE_TAG = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]{1,8})+$", re.I)
# Names people use that babel files under a three-letter code.
ALIASES = {"filipino": "tl"}


NAMES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "language_names.json")


def build_names():
    """{lower-case name or code: code}: English names and each language's own name, from
    babel. Reading every locale's data costs about 120 MB, so this runs when the table is
    made (`python scripts/write_language_names.py`), not in a server: the server
    reads the table it wrote (language_names.json; tests/test_language_param.py checks the
    file is what babel says)."""
    from babel import Locale

    english = {code: name for code, name in Locale("en").languages.items() if len(code) == 2}
    known = {code: code for code in english} | ALIASES
    for code, name in english.items():
        known.setdefault(name.lower(), code)
        try:
            own = Locale(code).get_display_name(code)
        except Exception:  # babel has no locale data for every ISO 639-1 language
            own = None
        if own:
            known.setdefault(own.lower(), code)
    return dict(sorted(known.items()))


@functools.cache
def _names():
    with open(NAMES_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def code_for(text):
    """The ISO 639-1 code `text` names, or None."""
    text = " ".join(str(text).split()).lower()
    if (found := _names().get(text)) is None and (tag := LANGUAGE_TAG.match(text)):
        found = _names().get(tag.group(1))
    return found


def warm():
    """Read the table of names now (gunicorn's master), so no searcher waits for it."""
    _names()



def write_names():
    """Write language_names.json from babel (scripts/write_language_names.py)."""
    with open(NAMES_FILE, "w", encoding="utf-8") as out:
        json.dump(build_names(), out, ensure_ascii=False, indent=0)
        out.write("\n")


class LanguageCode(fields.String):
    """An ISO 639-1 code in any case, or a language's name; loads as the lower-case code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault(
            "description", "An ISO 639-1 code ('es'), in any case, a language tag ('es-MX') "
                           "or the language's name ('Spanish', 'español').")
        kwargs.setdefault("validate", validate.Length(1, MAX_NAME))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        code = code_for(text) if len(text) <= MAX_NAME else None
        if code is None:
            shown = text if len(text) <= MAX_NAME else text[:MAX_NAME] + "…"
            raise ValidationError(f"{shown!r} names no language: send its ISO 639-1 code, "
                                  "for example 'es' for Spanish")
        return code

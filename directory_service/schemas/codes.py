"""A code from a fixed list, read the way people type it.

A coach's app or a hand-edited URL sends `kind=Meeting`, `payment=Medicaid`,
`attendance=in-person` or `fellowship=al anon`: each names exactly one code of the list,
so it loads as that code instead of a 422. Only case and the separator between words
(`_`, `-`, spaces) are forgiven; anything else is still refused with the list of codes.
"""
import re

from marshmallow import fields, validate

_SEPARATORS = re.compile(r"[\s_\-]+")


def code_key(value):
    """What two spellings of one code share: case folded, word separators as one `_`."""
    return _SEPARATORS.sub("_", value.strip()).casefold()


def spellings(choices):
    """{code_key: code} for `choices`; two codes that would share a key are a bug here."""
    found = {}
    for code in choices:
        key = code_key(code)
        if found.setdefault(key, code) != code:
            raise ValueError(f"codes {found[key]!r} and {code!r} read alike")
    return found


class Code(fields.String):
    """One of `choices` in any case or word separator, loaded as the listed code.

    The validator stays `OneOf(choices)`, so the OpenAPI document lists the codes and an
    unknown one is refused with the same message as before."""

    def __init__(self, choices, **kwargs):
        choices = tuple(choices)
        self.choices, self._codes = frozenset(choices), spellings(choices)
        kwargs.setdefault("validate", validate.OneOf(choices))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value in self.choices:
            return value
        return self._codes.get(code_key(value), value)

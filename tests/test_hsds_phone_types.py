"""HSDS phones carry a `type` (RFC 6350: voice, cell, fax, pager, text, textphone): a fax,
pager, SMS-only or TTY line is never made a record's number to call, even when it comes
first; with no voice phone at all the record has none rather than a fax."""
from indexer.formats import hsds_records


def _roles(*phones):
    return hsds_records._phones({"phones": list(phones)}, {})


def test_a_fax_listed_first_is_not_the_main_number():
    roles = _roles({"number": "630-555-0199", "type": "fax"},
                   {"number": "630-555-0100", "type": "voice"})
    assert roles["main"] == "630-555-0100"


def test_typed_roles_skip_phones_that_cannot_be_called():
    roles = _roles({"number": "630-555-0111", "type": "textphone", "description": "intake"},
                   {"number": "630-555-0101", "type": "voice", "description": "intake"},
                   {"number": "555-0102", "type": "Pager"},
                   {"number": "630-555-0103", "type": "cell"})
    assert roles == {"main": "630-555-0101", "intake": "630-555-0101", "hotline": None}


def test_only_a_fax_gives_no_number_and_untyped_phones_are_voice():
    assert _roles({"number": "630-555-0199", "type": "FAX"})["main"] is None
    assert _roles({"number": "630-555-0100"})["main"] == "630-555-0100"

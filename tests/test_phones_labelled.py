"""Phone strings that label their numbers ("Fax: …; Main: …", "TTY … / Voice …"): the tap
calls the voice number, never a fax; a fax alone gives no tel: link (its text is still
shown); a TTY line alone is still a number to call."""
import pytest

from directory_service.phones import phone


@pytest.mark.parametrize("text, tel", [
    ("Fax: 630-555-0199; Main: 630-555-0100", "tel:+16305550100"),
    ("Phone 630-555-0100 Fax 630-555-0199", "tel:+16305550100"),
    ("630-555-0100 (fax 630-555-0199)", "tel:+16305550100"),
    ("FAX (630) 555-0199, Intake (630) 555-0100 ext 12", "tel:+16305550100;ext=12"),
    ("Facsimile 630.555.0199 / Office 630.555.0100", "tel:+16305550100"),
    ("TTY: 630-555-0111 / Voice 630-555-0100", "tel:+16305550100"),
    ("TDD 630-555-0111", "tel:+16305550111"),
    # A word that only starts like a label is no label.
    ("Faxton Center 630-555-0100", "tel:+16305550100"),
    # Unlabelled strings read as before.
    ("630-555-0100 / 630-555-0199", "tel:+16305550100"),
])
def test_the_number_to_call_is_the_voice_line(text, tel):
    assert phone(text)["tel"] == tel


@pytest.mark.parametrize("text", ["Fax 630-555-0199", "fax: (630) 555-0199"])
def test_a_fax_alone_is_shown_but_not_called(text):
    read = phone(text)
    assert read == {"text": text, "e164": None, "extension": None, "tel": None}


@pytest.mark.parametrize("text, tel", [
    ("Text HOME to 741741", None),          # the Crisis Text Line: text only
    ("SMS 55555", None),
    ("Call or text 988", "tel:988"),
    ("Text or call (630) 555-0100", "tel:+16305550100"),
    ("Phone: 630-555-0100 (text only after hours)", "tel:+16305550100"),
    ("Textile Building 630-555-0100", "tel:+16305550100"),
])
def test_a_number_only_to_text_gets_no_tel_link(text, tel):
    read = phone(text)
    assert read["tel"] == tel and read["text"] == text

"""A cell of the outcomes CSV never runs as a spreadsheet formula (outcomes/table.py)."""
from directory_service.outcomes.table import _cell


def test_every_formula_lead_in_a_cell_is_defused_and_plain_text_is_not():
    for lead in ("=", "+", "-", "@", "\t", "\r"):
        assert _cell(f"{lead}cmd|' /C calc'!A0") == f"'{lead}cmd|' /C calc'!A0"
    assert _cell("North team") == "North team"
    assert _cell("a=b") == "a=b"
    assert _cell(-3) == -3  # a number is a number, not a formula
    assert _cell(None) == ""

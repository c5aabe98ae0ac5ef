"""Meeting Guide feeds as groups outside the spec's examples write them: type codes in
lower case ("o", "d"), type labels in Spanish or French ("Abierta", "Discusión", "Fermé"),
an address copied from Google in Spanish ("…, EE. UU.") and Puerto Rico's address form
("Calle Luna 123, San Juan, 00901, Puerto Rico")."""
import json

import pytest

from indexer.formats import meeting_guide
from tests.test_workbooks import _records

PLACE = {"formatted_address": "123 Main St, Naperville, IL 60540", "latitude": 41.77,
         "longitude": -88.14}


def _meetings(tmp_path, rows):
    path = tmp_path / "district.json"
    path.write_text(json.dumps([{"name": f"Group {i}", "slug": f"g{i}", "day": 1,
                                 "time": "19:00", **row} for i, row in enumerate(rows)]),
                    encoding="utf-8")
    found, report = _records(str(path))
    return [found[f"mg:district:g{i}"] for i in range(len(rows))], report


@pytest.mark.parametrize("typed, codes", [
    (["o", "d", "w"], ["O", "D", "W"]),
    (["Abierta", "Discusión", "Mujeres"], ["O", "D", "W"]),
    (["ABIERTA", "discusion", "Español"], ["O", "D", "S"]),
    (["Fermé", "Femmes", "Français"], ["C", "W", "FR"]),
    (["Ouvert(e)"], ["O"]),
    (["12 Steps & 12 Traditions", "12x12"], ["12x12"]),
])
def test_type_codes_and_labels_as_feeds_write_them(typed, codes):
    assert meeting_guide.parse_types(typed) == (codes, [])


def test_what_is_no_type_is_still_warned():
    codes, warnings = meeting_guide.parse_types(["Abiertísima", "zz"])
    assert codes == [] and [w.code for w in warnings] == ["type:Abiertísima", "type:zz"]


def test_spanish_types_set_the_language(tmp_path):
    (record,), _report = _meetings(tmp_path, [{**PLACE, "types": ["Abierta", "Español"]}])
    assert record["types"] == ["O", "S"] and record["languages"] == ["es"]


def test_an_address_ending_in_spanish_for_usa_is_placed(tmp_path):
    (record,), report = _meetings(tmp_path, [
        {"formatted_address": "400 S Eagle St, Naperville, IL 60540, EE. UU."}])
    assert not report.rejected
    assert record["address"] == {"street": "400 S Eagle St", "city": "Naperville",
                                 "state": "IL", "postal_code": "60540"}
    assert record["location_precision"] == "zip"


def test_puerto_ricos_address_form(tmp_path):
    (record,), _report = _meetings(tmp_path, [
        {"formatted_address": "Calle Luna 123, San Juan, 00901, Puerto Rico",
         "latitude": 18.4655, "longitude": -66.1057}])
    assert record["address"] == {"street": "Calle Luna 123", "city": "San Juan",
                                 "state": "PR", "postal_code": "00901"}

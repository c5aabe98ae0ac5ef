"""Vocabularies, crosswalks and the record schemas."""
import pytest
from marshmallow import ValidationError

from directory_service import vocab
from directory_service.schemas.records import RecordSchema
from tests.factories import ago, facility, meeting


def test_asam4_codes_map_to_third_edition_with_related_levels():
    assert vocab.expand_levels(["3.7"]) == (("3.7",), ("3.7-WM",))
    assert vocab.expand_levels(["1.7"]) == (("1",), ("1-WM",))
    assert vocab.expand_levels(["3.7-WM"]) == (("3.7-WM",), ())


def test_detox_alias_is_every_withdrawal_management_level():
    primary, related = vocab.expand_levels(["detox"])
    assert primary == () and set(related) == set(vocab.WITHDRAWAL_MANAGEMENT)


def test_unknown_level_is_an_error_naming_the_code():
    with pytest.raises(ValueError, match="9.9"):
        vocab.expand_levels(["9.9"])


def test_uninsured_expands_to_the_designed_payment_types():
    assert set(vocab.expand_payment(["uninsured"])) == {
        "free", "sliding_fee", "payment_assistance", "state_funded", "self_pay"}
    assert vocab.expand_payment(["medicaid", "uninsured"])[0] == "medicaid"


def test_samhsa_codes_map_into_our_vocabularies():
    assert set(vocab.SAMHSA_PAYMENT.values()) <= set(vocab.PAYMENT)
    for mapping in list(vocab.SAMHSA_SETTINGS.values()) + list(vocab.SAMHSA_TYPE_OF_CARE.values()):
        assert set(mapping["settings"]) <= set(vocab.SETTINGS)
        assert set(mapping["levels_of_care"]) <= set(vocab.LEVELS_OF_CARE)
    for codes in vocab.ASAM4_CROSSWALK.values():
        assert set(codes) <= set(vocab.LEVELS_OF_CARE)


def test_published_vocabularies_cover_every_list():
    published = vocab.published()
    assert [c["code"] for c in published["levels_of_care"]] == list(vocab.LEVELS_OF_CARE)
    assert "uninsured_means" in published and "asam4_crosswalk" in published


def test_valid_records_load_with_defaults():
    record = facility("a")
    assert record["populations"]["genders"] == "any"
    assert record["beds"] == [] and record["active"] is True
    assert meeting("m")["attendance"] == "in_person"


@pytest.mark.parametrize("change, field", [
    ({"location": {"lat": 95, "lon": 0}}, "location"),
    ({"levels_of_care": ["9.9"]}, "levels_of_care"),
    ({"payment": ["bitcoin"]}, "payment"),
    ({"colour": "blue"}, "colour"),
    ({"id": "no-prefix"}, "id"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
])
def test_invalid_facility_fields_are_named(change, field):
    with pytest.raises(ValidationError) as err:
        facility("bad", **change)
    assert field in err.value.messages


def test_bed_rows_are_checked_for_consistency():
    too_many = {"level_of_care": "3.7-WM", "capacity": 2, "available": 3, "status": "open",
                "reported_at": ago(hours=1)}
    with pytest.raises(ValidationError) as err:
        facility("beds", beds=[too_many])
    assert "available" in err.value.messages["beds"][0]
    future = {"level_of_care": "3.7-WM", "capacity": 2, "available": 1, "status": "open",
              "reported_at": "2999-01-01T00:00:00Z"}
    with pytest.raises(ValidationError) as err:
        facility("beds", beds=[future])
    assert "reported_at" in err.value.messages["beds"][0]
    unoffered = {"level_of_care": "3.5", "status": "unknown"}
    with pytest.raises(ValidationError) as err:
        facility("beds", beds=[unoffered])
    assert "beds" in err.value.messages


def test_online_meeting_needs_a_way_in():
    with pytest.raises(ValidationError) as err:
        meeting("m", attendance="online")
    assert "attendance" in err.value.messages


def test_unknown_kind_is_named():
    with pytest.raises(ValidationError) as err:
        RecordSchema().load({"id": "x:1", "kind": "spaceship"})
    assert "kind" in err.value.messages

"""The ranking formula (directory_service/ranking.py, docs/ranking.md)."""
import numpy as np
import pytest

from directory_service import ranking


def test_distance_decays_smoothly_to_half_at_the_scale():
    scale = ranking.DISTANCE_SCALE_M["treatment_facility"]
    assert ranking.distance_component(0.0, scale) == pytest.approx(1.0)
    assert ranking.distance_component(scale, scale) == pytest.approx(0.5)
    values = ranking.distance_component(np.array([0, 10e3, 40e3, 80e3]), scale)
    assert np.all(np.diff(values) < 0)


def test_per_kind_scales_make_a_far_meeting_rank_lower_than_a_far_bed():
    meeting = ranking.distance_component(10e3, ranking.DISTANCE_SCALE_M["meeting"])
    bed = ranking.distance_component(10e3, ranking.DISTANCE_SCALE_M["treatment_facility"])
    assert meeting < 0.2 < 0.9 < bed


def test_unknown_capacity_is_neutral_not_zero():
    assert ranking.capacity_component(np.nan, np.nan) == pytest.approx(ranking.CAPACITY_UNKNOWN)
    assert ranking.capacity_component(-1, 1.0) == pytest.approx(ranking.CAPACITY_UNKNOWN)


def test_fresh_full_is_near_zero_and_fresh_open_is_high():
    assert ranking.capacity_component(0, 0.0) == pytest.approx(0.0)
    assert ranking.capacity_component(6, 0.0) == pytest.approx(0.875)
    assert ranking.capacity_component(1, 0.0) == pytest.approx(2 / 3)
    assert ranking.capacity_component(1, 0.0) < ranking.capacity_component(3, 0.0)


def test_any_fresh_open_bed_beats_unknown_and_stale_plenty():
    unknown = ranking.capacity_component(np.nan, np.nan)
    one_fresh = ranking.capacity_component(1, 0.5)
    eight_stale = ranking.capacity_component(8, 72.0)
    assert one_fresh > eight_stale > unknown


def test_old_reports_drift_towards_neutral_by_half_life():
    half = ranking.CAPACITY_HALF_LIFE_H
    fresh_full = ranking.capacity_component(0, 0.0)
    aged_full = ranking.capacity_component(0, half)
    assert aged_full == pytest.approx((fresh_full + ranking.CAPACITY_UNKNOWN) / 2)
    very_old_open = ranking.capacity_component(6, 20 * half)
    assert very_old_open == pytest.approx(ranking.CAPACITY_UNKNOWN, abs=1e-3)


def test_uninsured_payment_prefers_free_over_self_pay():
    assert ranking.payment_value({"free"}, True) == 1.0
    assert ranking.payment_value({"self_pay"}, True) < ranking.payment_value({"sliding_fee"}, True)
    assert ranking.payment_value({"medicaid"}, False) == 1.0
    assert ranking.payment_value(set(), False) == 0.0


def test_combine_is_weighted_mean_over_applicable_components():
    all_one = ranking.combine({"distance": 1.0, "capacity": 1.0, "payment": 1.0,
                               "level_of_care": 1.0})
    assert all_one == pytest.approx(1.0)
    only_distance = ranking.combine({"distance": 0.5, "capacity": np.nan})
    assert only_distance == pytest.approx(0.5)
    w = ranking.WEIGHTS
    mixed = ranking.combine({"distance": 1.0, "capacity": 0.0})
    assert mixed == pytest.approx(w["distance"] / (w["distance"] + w["capacity"]))


@pytest.mark.parametrize("age_h, expected", [(None, "unknown"), (0.5, "fresh"),
                                             (10, "aging"), (30, "stale")])
def test_freshness_thresholds(age_h, expected):
    age = None if age_h is None else age_h * 3600
    assert ranking.freshness(age, 4, 24) == expected


def test_uninsured_tier_puts_self_pay_only_below_every_reduced_cost_score():
    # The best self-pay-only score stays below the worst reduced-cost one.
    self_pay = ranking.uninsured_tier(1.0, ranking.UNINSURED_PAYMENT_VALUE["self_pay"])
    sliding = ranking.uninsured_tier(0.0, ranking.UNINSURED_PAYMENT_VALUE["sliding_fee"])
    assert self_pay <= ranking.UNINSURED_TIER_SPLIT <= sliding
    # A hit without a payment component (a meeting in a mixed search) is not demoted.
    assert ranking.uninsured_tier(0.4, None) == ranking.uninsured_tier(0.4, 1.0) == 0.7
    scores = ranking.uninsured_tier(np.array([0.9, 0.2]), np.array([0.3, np.nan]))
    assert scores.tolist() == [0.45, 0.6]

"""The ranking formula, defined once (DESIGN §5; docs/ranking.md says the same in prose).

Every function works on plain floats and on NumPy arrays alike, so the embedded store
scores a whole candidate set in one vectorised pass with exactly this code, and the
Elasticsearch store sends these constants to its script as parameters.

score = Σ weight·component / Σ weight, over the components that apply to the hit and the
query; each component is in [0, 1].
"""
import numpy as np

# Relative importance of each component. Distance leads because a bed two hours away is
# often no bed at all; capacity next because an open bed is the point of the search.
WEIGHTS = {"distance": 0.4, "capacity": 0.3, "payment": 0.15, "level_of_care": 0.15}

# Gaussian distance decay: the component is DISTANCE_DECAY at the kind's scale (metres).
# A meeting 5 km away is far, a detox bed 50 km away is still near.
DISTANCE_SCALE_M = {
    "treatment_facility": 50_000.0,
    "meeting": 5_000.0,
    "naloxone_site": 5_000.0,
    "takeback_site": 10_000.0,
}
DISTANCE_DECAY = 0.5

# Any open bed beats "unknown"; more beds help, saturating: with k = 2, one bed scores
# 0.67, two 0.75, six 0.875. A full report scores 0.
CAPACITY_SATURATION_BEDS = 2.0
# A report's evidence halves every 12 hours, drifting towards "unknown".
CAPACITY_HALF_LIFE_H = 12.0
# Unknown capacity is neutral: neither as good as an open bed nor as bad as a full one.
CAPACITY_UNKNOWN = 0.5

# Payment for a person without insurance: free care first, then programmes that reduce the
# bill; plain self-pay is the weakest kind of "accepts uninsured".
UNINSURED_PAYMENT_VALUE = {
    "free": 1.0, "sliding_fee": 0.8, "payment_assistance": 0.8, "state_funded": 0.8,
    "self_pay": 0.3,
}
# For a person without insurance, care that is free or costs less (payment value at least
# REDUCED_COST_MIN) comes before every facility whose only way in is paying full price
# (self-pay only), however near: a detox bed at full price is out of reach for them. The
# two tiers keep their own halves of the score: reduced-cost in [UNINSURED_TIER_SPLIT, 1],
# self-pay only in [0, UNINSURED_TIER_SPLIT].
REDUCED_COST_MIN = 0.8
UNINSURED_TIER_SPLIT = 0.5
# A level reached only through a crosswalk or an alias ranks below an exact match.
LEVEL_EXACT = 1.0
LEVEL_RELATED = 0.6

# A problem the public reported and an administrator confirmed (a dead phone, wrong hours),
# not yet corrected: each one halves the record's score, so a record people could not
# reach sinks below ones they can, and the hit says why (`confirmed_problems`). A confirmed
# "closed" is not discounted but filtered: the record leaves search until it reopens.
CONFIRMED_PROBLEM_FACTOR = 0.5

# Kinds that carry capacity, payment and level of care.
FACILITY_ONLY = ("capacity", "payment", "level_of_care")


def distance_component(distance_m, scale_m):
    """Gaussian decay, equal to DISTANCE_DECAY at `scale_m` (as Elasticsearch's gauss)."""
    sigma_sq = -(np.square(scale_m)) / (2.0 * np.log(DISTANCE_DECAY))
    return np.exp(-np.square(distance_m) / (2.0 * sigma_sq))


def capacity_component(open_beds, age_hours):
    """Open beds, saturating, discounted towards neutral as the report ages.

    `open_beds` < 0 or NaN means unknown; unknown is CAPACITY_UNKNOWN, never 0.
    """
    open_beds = np.asarray(open_beds, dtype=float)
    age_hours = np.asarray(age_hours, dtype=float)
    known = np.isfinite(open_beds) & (open_beds >= 0) & np.isfinite(age_hours)
    beds = np.where(known, np.maximum(open_beds, 0.0), 0.0)
    saturating = beds / (beds + CAPACITY_SATURATION_BEDS)
    raw = np.where(beds > 0, CAPACITY_UNKNOWN + (1.0 - CAPACITY_UNKNOWN) * saturating, 0.0)
    trust = np.power(0.5, np.where(known, np.maximum(age_hours, 0.0), 0.0) / CAPACITY_HALF_LIFE_H)
    value = CAPACITY_UNKNOWN + (raw - CAPACITY_UNKNOWN) * trust
    return np.where(known, value, CAPACITY_UNKNOWN)


def payment_value(accepted, requested_uninsured):
    """Best value among the payment types a facility accepts for this query.

    `accepted` is the set of matching payment codes; for an insured payer any match is 1.
    """
    if not requested_uninsured:
        return 1.0 if accepted else 0.0
    return max((UNINSURED_PAYMENT_VALUE.get(code, 0.0) for code in accepted), default=0.0)


def uninsured_tier(score, payment):
    """The score of a hit in an uninsured search: self-pay-only facilities below the rest.

    `payment` is the hit's payment component (NaN or None where it does not apply, as for
    a meeting in a mixed search: those stay in the upper tier, nothing there costs money).
    """
    payment = np.asarray(np.nan if payment is None else payment, dtype=float)
    self_pay_only = np.isfinite(payment) & (payment < REDUCED_COST_MIN)
    score = np.asarray(score, dtype=float)
    return np.where(self_pay_only, UNINSURED_TIER_SPLIT * score,
                    UNINSURED_TIER_SPLIT + (1.0 - UNINSURED_TIER_SPLIT) * score)


def combine(components, weights=WEIGHTS):
    """Weighted mean over the components present (a None or NaN component does not apply)."""
    total, weight_sum = 0.0, 0.0
    for name, value in components.items():
        if value is None:
            continue
        value = np.asarray(value, dtype=float)
        applies = np.isfinite(value)
        total = total + np.where(applies, value, 0.0) * weights[name]
        weight_sum = weight_sum + np.where(applies, weights[name], 0.0)
    return np.where(np.asarray(weight_sum) > 0, total / np.maximum(weight_sum, 1e-12), 0.0)


def confirmed_problems_component(count):
    """CONFIRMED_PROBLEM_FACTOR per confirmed problem; NaN (does not apply) for none."""
    count = np.asarray(count, dtype=float)
    return np.where(count > 0, np.power(CONFIRMED_PROBLEM_FACTOR, count), np.nan)


def discount(score, component):
    """The score times the confirmed-problems component where it applies."""
    component = np.asarray(component, dtype=float)
    return score * np.where(np.isfinite(component), component, 1.0)


def freshness(age_seconds, fresh_hours, stale_hours):
    """fresh / aging / stale / unknown for one report age (None = never reported)."""
    if age_seconds is None:
        return "unknown"
    hours = age_seconds / 3600.0
    if hours < fresh_hours:
        return "fresh"
    return "aging" if hours < stale_hours else "stale"


def constants():
    """The tuning as data, for docs, `/v1/vocabularies` and Elasticsearch script params."""
    return {
        "weights": dict(WEIGHTS),
        "distance_scale_m": dict(DISTANCE_SCALE_M),
        "distance_decay": DISTANCE_DECAY,
        "capacity_saturation_beds": CAPACITY_SATURATION_BEDS,
        "capacity_half_life_h": CAPACITY_HALF_LIFE_H,
        "capacity_unknown": CAPACITY_UNKNOWN,
        "uninsured_payment_value": dict(UNINSURED_PAYMENT_VALUE),
        "reduced_cost_min": REDUCED_COST_MIN,
        "uninsured_tier_split": UNINSURED_TIER_SPLIT,
        "level_exact": LEVEL_EXACT,
        "level_related": LEVEL_RELATED,
        "confirmed_problem_factor": CONFIRMED_PROBLEM_FACTOR,
    }

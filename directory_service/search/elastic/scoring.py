"""The ranking formula of `ranking.py` as an Elasticsearch `script_score`, and its explanation.

The Painless source is a constant; every number it uses arrives as a parameter taken from
`ranking.constants()`, so tuning is changed in one place and no script is ever assembled
from strings. Elasticsearch can return only one score per hit, so the components shown
with a hit are recomputed here in Python from the hit's document and its sort distance
with the very functions of `ranking.py`; tests/test_es_scoring.py holds the two together.
"""
import math
from datetime import datetime

from directory_service import ranking
from directory_service.search import columns as cols
from directory_service.search.elastic.mapping import BED_FIELD_KEYS

# Mirrors ranking.distance_component, capacity_component, payment_value, combine and
# uninsured_tier.
# Painless whitelists only the double overloads of Math.min/max, hence the typed locals
# and the explicit comparison for the oldest report time.
SCORE_SCRIPT = """
double lat = params.lat;
double lon = params.lon;
double dist = doc['location'].arcDistance(lat, lon);
String kind = doc['kind'].value;
double scale = params.scale[kind];
double decay = params.decay;
double sigmaSq = -(scale * scale) / (2.0 * Math.log(decay));
double wDistance = params.w_distance;
double total = wDistance * Math.exp(-(dist * dist) / (2.0 * sigmaSq));
double weights = wDistance;
boolean selfPayOnly = false;
if (kind == 'treatment_facility') {
  long cutoffMs = params.now_ms;
  double beds = 0.0;
  long oldest = Long.MAX_VALUE;
  boolean known = false;
  for (int i = 0; i < params.open_fields.size(); ++i) {
    String openField = params.open_fields[i];
    String atField = params.at_fields[i];
    if (doc[openField].size() > 0 && doc[atField].size() > 0) {
      known = true;
      beds += doc[openField].value;
      String holdField = params.hold_fields[i];
      for (int j = 0; j < doc[holdField].size(); ++j) {
        if (doc[holdField].get(j).toInstant().toEpochMilli() <= cutoffMs) {
          beds += 1.0;
        }
      }
      long at = doc[atField].value.toInstant().toEpochMilli();
      if (at < oldest) {
        oldest = at;
      }
    }
  }
  double capacity = params.unknown;
  if (known) {
    double saturation = params.saturation;
    double halfLife = params.half_life_h;
    long nowMs = params.now_ms;
    double raw = 0.0;
    if (beds > 0) {
      raw = params.unknown + (1.0 - params.unknown) * beds / (beds + saturation);
    }
    double ageH = Math.max((nowMs - oldest) / 3600000.0, 0.0);
    double trust = Math.pow(0.5, ageH / halfLife);
    capacity = capacity + (raw - capacity) * trust;
  }
  double wCapacity = params.w_capacity;
  total += wCapacity * capacity;
  weights += wCapacity;
  if (params.payment.size() > 0) {
    double pay = 0.0;
    for (def code : params.payment) {
      if (doc['payment'].contains(code)) {
        double value = 1.0;
        if (params.uninsured) {
          value = 0.0;
          if (params.payment_value.containsKey(code)) {
            value = params.payment_value[code];
          }
        }
        pay = Math.max(pay, value);
      }
    }
    double wPayment = params.w_payment;
    total += wPayment * pay;
    weights += wPayment;
    selfPayOnly = pay < params.reduced_cost_min;
  }
  if (params.levels_requested) {
    double level = params.level_related;
    for (def code : params.levels_primary) {
      if (doc['levels_of_care'].contains(code)) {
        level = params.level_exact;
      }
    }
    double wLevel = params.w_level;
    total += wLevel * level;
    weights += wLevel;
  }
}
double score = weights > 0 ? total / weights : 0.0;
if (params.uninsured) {
  double split = params.tier_split;
  score = selfPayOnly ? split * score : split + (1.0 - split) * score;
}
return score;
"""


def bed_field_keys(query):
    """Figures the query counts: its levels (all if none) × the person's population groups."""
    return [BED_FIELD_KEYS[key] for key in cols.bed_keys(query.levels, query.gender, query.age)]


def level_fields(query):
    """Open-bed and report-time fields of the query's levels (all levels when none asked)."""
    keys = bed_field_keys(query)
    return ([f"beds_by_level.{k}.open" for k in keys],
            [f"beds_by_level.{k}.reported_at" for k in keys])


def hold_fields(query):
    """The hold-expiry fields matching `level_fields`: a passed expiry is an open bed."""
    return [f"beds_by_level.{k}.hold_until" for k in bed_field_keys(query)]


def script_params(query):
    """The script's parameters for one query: the origin, the clock and ranking's numbers."""
    c = ranking.constants()
    open_fields, at_fields = level_fields(query)
    return {
        "lat": query.lat, "lon": query.lon, "now_ms": int(query.now.timestamp() * 1000),
        "scale": c["distance_scale_m"], "decay": c["distance_decay"],
        "w_distance": c["weights"]["distance"], "w_capacity": c["weights"]["capacity"],
        "w_payment": c["weights"]["payment"], "w_level": c["weights"]["level_of_care"],
        "open_fields": open_fields, "at_fields": at_fields, "hold_fields": hold_fields(query),
        "saturation": c["capacity_saturation_beds"], "half_life_h": c["capacity_half_life_h"],
        "unknown": c["capacity_unknown"],
        "payment": list(query.payment), "uninsured": query.uninsured,
        "payment_value": c["uninsured_payment_value"],
        "reduced_cost_min": c["reduced_cost_min"], "tier_split": c["uninsured_tier_split"],
        "levels_requested": bool(query.levels), "levels_primary": list(query.levels_primary),
        "level_exact": c["level_exact"], "level_related": c["level_related"],
    }


def _epoch(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def capacity_of(beds_by_level, query):
    """(open beds summed over the query's levels or None, oldest report epoch or None)."""
    keys = bed_field_keys(query)
    known = [(beds_by_level or {}).get(k) or {} for k in keys]
    known = [f for f in known if f.get("open") is not None and f.get("reported_at")]
    if not known:
        return None, None
    now = query.now.timestamp()
    freed = sum(1 for f in known for t in f.get("hold_until") or () if _epoch(t) <= now)
    return (sum(f["open"] for f in known) + freed,
            min(_epoch(f["reported_at"]) for f in known))


def components_of(record, beds_by_level, distance_m, query):
    """The components of one hit, computed with ranking.py exactly as the script does."""
    kind = record["kind"]
    out = {"distance": float(ranking.distance_component(
        distance_m, ranking.DISTANCE_SCALE_M[kind]))}
    is_facility = kind == "treatment_facility"
    open_beds, reported = capacity_of(beds_by_level, query) if is_facility else (None, None)
    if is_facility:
        age_h = math.nan if reported is None else (query.now.timestamp() - reported) / 3600.0
        beds = math.nan if open_beds is None else open_beds
        out["capacity"] = float(ranking.capacity_component(beds, age_h))
    else:
        out["capacity"] = None
    if query.payment:
        accepted = set(query.payment) & set(record.get("payment") or ())
        out["payment"] = ranking.payment_value(accepted, query.uninsured) if is_facility else None
    if query.levels:
        exact = set(query.levels_primary) & set(record.get("levels_of_care") or ())
        value = ranking.LEVEL_EXACT if exact else ranking.LEVEL_RELATED
        out["level_of_care"] = value if is_facility else None
    return out, open_beds, reported

"""The column-mapping file of a CSV list, read from YAML or JSON and checked by marshmallow.

A mistake in the mapping (an unknown kind, a typo in a key, a target the kind does not
have, a mapped code that is not in our vocabularies) is reported once, naming the key,
instead of showing up as hundreds of rejected rows.

Value tables translate a source's label text into our codes. For a list field
(levels_of_care, payment, languages, populations, ...) a cell may hold several labels
("Detoxification; Residential, Medicaid"): it is split on `separators`, each label is
looked up case- and space-insensitively, then tried against the target's `patterns`
(regular expressions); one label may give several codes (a list), and a label mapped to
[] is known and deliberately left out. Labels found nowhere are the caller's to warn.
"""
import json
import re

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from directory_service import vocab
from directory_service.schemas.records import SCHEMAS

# `populations` is an object in our records; as a mapping target it takes these codes:
# a programme flag (veterans ...) or a gender the programme is for.
POPULATION_CODES = vocab.POPULATION_PROGRAMS + ("men", "women")
DEFAULT_SEPARATORS = (";", ",", "|", "\n")
# Bullets and trailing full stops around labels in scraped cells ("• Detox.").
LABEL_TRIM = " \t\u00a0•·*-–—.:"


class MappingError(ValueError):
    """The mapping file cannot be read or does not describe a usable mapping."""


class Classify(Schema):
    class Meta:
        unknown = RAISE

    columns = fields.List(fields.String(), required=True)
    patterns = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    default = fields.String(load_default=None, allow_none=True)


def _code_or_codes(value):
    return value is None or isinstance(value, (str, bool, int, float)) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value))


class MappingSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(vocab.KINDS))
    prefix = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_-]+$"))
    source = fields.Dict(load_default=dict)
    encoding = fields.String(load_default="auto")
    id_column = fields.String(load_default=None, allow_none=True)
    hash_columns = fields.List(fields.String(), load_default=None)
    columns = fields.Dict(keys=fields.String(), required=True,
                          values=fields.Raw(validate=lambda v: isinstance(v, (str, list))))
    values = fields.Dict(keys=fields.String(), load_default=dict, values=fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True, validate=_code_or_codes)))
    patterns = fields.Dict(keys=fields.String(), load_default=dict, values=fields.Dict(
        keys=fields.String(), values=fields.Raw(validate=_code_or_codes)))
    separators = fields.List(fields.String(validate=validate.Length(min=1)),
                             load_default=lambda: list(DEFAULT_SEPARATORS))
    booleans = fields.List(fields.String(), load_default=list)
    defaults = fields.Dict(load_default=dict)
    classify = fields.Dict(keys=fields.String(), values=fields.Nested(Classify), load_default=dict)
    describe = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    hours_column = fields.String(load_default=None, allow_none=True)
    html_cell = fields.String(load_default=None, allow_none=True)


def label_key(text):
    """How labels are compared: case-, space- and bullet-insensitive."""
    return re.sub(r"\s+", " ", str(text)).strip(LABEL_TRIM).lower()


def load(path):
    """The checked mapping with every column list normalised and value tables keyed by label."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh) if path.endswith(".json") else yaml.safe_load(fh)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc}") from None
    try:
        mapping = MappingSchema().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        raise MappingError(f"{path}: {exc.messages}") from None
    mapping["columns"] = {target: [c] if isinstance(c, str) else list(c)
                          for target, c in mapping["columns"].items()}
    problems = _check_targets(mapping)
    mapping["lists"] = {t for t in set(mapping["columns"]) | set(mapping["values"])
                        | set(mapping["patterns"]) if is_list_target(mapping["kind"], t)}
    problems += _check_codes(mapping)
    mapping["values"] = {target: {label_key(k): _codes(v, target in mapping["lists"])
                                  for k, v in table.items()}
                         for target, table in mapping["values"].items()}
    compiled = {}
    for target, table in mapping["patterns"].items():
        compiled[target] = []
        for pattern, codes in table.items():
            try:
                compiled[target].append((re.compile(pattern, re.I), _codes(codes, True)))
            except re.error as exc:
                problems.append(f"patterns.{target}: {pattern!r} is not a regular "
                                f"expression: {exc}")
    mapping["patterns"] = compiled
    if problems:
        raise MappingError(f"{path}: " + "; ".join(problems))
    mapping["source"].setdefault("name", mapping["prefix"])
    if mapping["hash_columns"] is None:
        mapping["hash_columns"] = sorted({c for cols in mapping["columns"].values() for c in cols})
    return mapping


def _codes(value, as_list):
    if not as_list:
        return value
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def target_field(kind, target):
    """The marshmallow field of our record a mapping target names, or None."""
    schema, field = SCHEMAS[kind], None
    for part in target.split("."):
        if schema is None:
            return None
        field = schema.fields.get(part)
        if field is None:
            return None
        schema = field.schema if isinstance(field, fields.Nested) else None
    return field


def is_list_target(kind, target):
    return target == "populations" or isinstance(target_field(kind, target), fields.List)


def _check_targets(mapping):
    kind, problems = mapping["kind"], []
    targets = {f"columns.{t}": t for t in mapping["columns"]}
    targets.update({f"values.{t}": t for t in mapping["values"]})
    targets.update({f"patterns.{t}": t for t in mapping["patterns"]})
    targets.update({f"classify.{t}": t for t in mapping["classify"]})
    for where, target in sorted(targets.items()):
        if target_field(kind, target) is None:
            problems.append(f"{where}: {kind} records have no field {target!r}")
    for where in ("values", "patterns"):
        for target in mapping[where]:
            if target not in mapping["columns"]:
                problems.append(f"{where}.{target}: no column is mapped to {target!r}")
    return problems


def _check_codes(mapping):
    """Every code a value table or pattern gives must pass our record schema's validation."""
    kind, problems = mapping["kind"], []
    tables = [(f"{where}.{t}", t, table.items())
              for where in ("values", "patterns") for t, table in mapping[where].items()]
    for where, target, items in tables:
        field = target_field(kind, target)
        if field is None:
            continue
        for label, codes in items:
            for code in codes if isinstance(codes, list) else [codes]:
                error = _invalid(target, field, code)
                if error:
                    problems.append(f"{where}: {label!r} → {code!r}: {error}")
    return problems


def _invalid(target, field, code):
    if target == "populations":
        return None if code in POPULATION_CODES else (
            "must be one of: " + ", ".join(POPULATION_CODES))
    inner = field.inner if isinstance(field, fields.List) else field
    try:
        inner.deserialize(code)
    except ValidationError as exc:
        return " ".join(str(m) for m in exc.messages) if isinstance(exc.messages, list) \
            else str(exc.messages)
    return None


def missing_columns(mapping, header):
    """Mapped columns the CSV header lacks (columns from an HTML cell are exempt)."""
    if mapping["html_cell"]:
        return [mapping["html_cell"]] if mapping["html_cell"] not in header else []
    wanted = {c for cols in mapping["columns"].values() for c in cols}
    wanted |= {c for rule in mapping["classify"].values() for c in rule["columns"]}
    wanted |= set(mapping["describe"]) | ({mapping["id_column"]} - {None})
    wanted |= {mapping["hours_column"]} - {None}
    return sorted(wanted - set(header))

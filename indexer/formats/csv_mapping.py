"""The column-mapping file of a CSV list, read from YAML or JSON and checked by marshmallow.

A mistake in the mapping (an unknown kind, a typo in a key) is reported once, naming the
key, instead of showing up as hundreds of rejected rows.
"""
import json

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from directory_service import vocab


class MappingError(ValueError):
    """The mapping file cannot be read or does not describe a usable mapping."""


class Classify(Schema):
    class Meta:
        unknown = RAISE

    columns = fields.List(fields.String(), required=True)
    patterns = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    default = fields.String(load_default=None, allow_none=True)


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
    values = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=dict)
    booleans = fields.List(fields.String(), load_default=list)
    defaults = fields.Dict(load_default=dict)
    classify = fields.Dict(keys=fields.String(), values=fields.Nested(Classify), load_default=dict)
    describe = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    hours_column = fields.String(load_default=None, allow_none=True)
    html_cell = fields.String(load_default=None, allow_none=True)


def load(path):
    """The checked mapping with every column list normalised and value tables lower-cased."""
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
    mapping["values"] = {target: {str(k).lower(): v for k, v in table.items()}
                         for target, table in mapping["values"].items()}
    mapping["source"].setdefault("name", mapping["prefix"])
    if mapping["hash_columns"] is None:
        mapping["hash_columns"] = sorted({c for cols in mapping["columns"].values() for c in cols})
    return mapping


def missing_columns(mapping, header):
    """Mapped columns the CSV header lacks (columns from an HTML cell are exempt)."""
    if mapping["html_cell"]:
        return [mapping["html_cell"]] if mapping["html_cell"] not in header else []
    wanted = {c for cols in mapping["columns"].values() for c in cols}
    wanted |= {c for rule in mapping["classify"].values() for c in rule["columns"]}
    wanted |= set(mapping["describe"]) | ({mapping["id_column"]} - {None})
    wanted |= {mapping["hours_column"]} - {None}
    return sorted(wanted - set(header))

"""Validate exported HSDS objects against the official HSDS 3.0 JSON schemas.

The schemas are read from ../shared/reference/hsds-3-schema/ (never copied here) into a
`referencing` registry, so their relative `$ref`s ("location.json") resolve to the
sibling files. Formats are checked: uuid, date-time, date, uri and email.
"""
import json
import os
from datetime import date, datetime
from urllib.parse import urlparse

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

FORMATS = FormatChecker(["uuid", "email"])


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


@FORMATS.checks("date", raises=ValueError)
def _date(value):
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@FORMATS.checks("uri")
def _uri(value):
    parts = urlparse(value) if isinstance(value, str) else None
    return parts is None or bool(parts.scheme and (parts.netloc or parts.path))


def registry(folder):
    """Every top-level schema of `folder`, under its file name."""
    resources = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json") and name != "openapi.json":
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                resources.append((name, Resource(json.load(fh), specification=DRAFT202012)))
    return Registry().with_resources(resources)


def validator(schemas, name):
    """A validator for the object schema `name` ("service_at_location.json")."""
    return Draft202012Validator(schemas.contents(name), registry=schemas,
                                format_checker=FORMATS)


def problems(folder, exported):
    """Every schema error of exported service_at_location objects and their services.

    The top-level service_at_location schema has no `service` member (only the compiled
    one does), so the nested service is checked against service.json on its own.
    """
    schemas = registry(folder)
    sal, service = validator(schemas, "service_at_location.json"), validator(schemas, "service.json")
    out = []
    for i, item in enumerate(exported):
        for check, value, where in ((sal, item, f"[{i}]"),
                                    (service, item.get("service", {}), f"[{i}].service")):
            out += [f"{where}/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in check.iter_errors(value)]
    return out

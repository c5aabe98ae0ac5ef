"""A fast loader compiled from a marshmallow schema: the same rules, not a second copy.

`compile_loader(schema, finish)` reads the schema's fields (type, required, allow_none,
load_default, validators), its nested schemas and its `@validates` / `@validates_schema`
hooks, and writes one plain Python function per schema that checks a row the way
marshmallow would and builds the loaded dict in marshmallow's key order. Nothing about a
record is written here: change the schema and the compiled loader changes with it.

The fast path only ever says "valid, and here is exactly what marshmallow returns" or
"not sure": anything it does not recognise as plainly valid (a wrong type, a value a
validator refuses, a string where marshmallow would coerce a number, a hook that raises)
raises `NotFast`, and the caller loads that row through marshmallow itself, so every
rejected row gets marshmallow's own messages. Field types and validators it does not know
are run through the field's own `deserialize` / the validator's own `__call__`; schema
features it does not handle (pre/post-load hooks, data_key, attribute, partial loads,
unknown=INCLUDE, many) make `compile_loader` raise `CannotCompile` at import time rather
than drift (tests/test_fast_load.py).

`finish(value)` turns a loaded value (a date, a datetime, a default) into its JSON-ready
form, as the slow path does to marshmallow's whole result; datetimes are turned after all
hooks ran (they see datetimes, as under marshmallow).
"""
import datetime as dt
import math

from marshmallow import EXCLUDE, RAISE, fields, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.utils import missing


class NotFast(Exception):
    """The fast path cannot vouch for this row: load it through marshmallow."""


class CannotCompile(Exception):
    """The schema uses a feature the fast loader does not reproduce."""


_SCALARS = (type(None), bool, int, float, str)


class _Compiler:
    def __init__(self, finish):
        self.finish = finish
        self.env = {"NotFast": NotFast, "missing": missing, "isnan": math.isnan,
                    "isinf": math.isinf, "finish": finish, "dt": dt}
        self.lines = []
        self.names = {}     # id(schema) -> function name
        self.counter = 0

    def const(self, value, prefix="c"):
        self.counter += 1
        name = f"{prefix}{self.counter}"
        self.env[name] = value
        return name

    # -- one function per schema ---------------------------------------------------
    def schema_function(self, schema, unknown=None):
        key = (id(schema), unknown)
        if key in self.names:
            return self.names[key]
        name = self.const(None, f"load_{type(schema).__name__}_")
        self.names[key] = name
        self._check_schema(schema)
        unknown = unknown or schema.unknown
        if unknown not in (RAISE, EXCLUDE):
            raise CannotCompile(f"{type(schema).__name__}: unknown={unknown!r}")
        body = []
        out = body.append
        known = self.const(frozenset(schema.load_fields), "known")
        out("    if type(raw) is not dict: raise NotFast")
        if unknown == RAISE:
            out(f"    if not raw.keys() <= {known}: raise NotFast")
        out("    d = {}")
        for attr, field in schema.load_fields.items():
            if field.data_key is not None or field.attribute is not None or "." in attr:
                raise CannotCompile(f"{type(schema).__name__}.{attr}: data_key/attribute")
            out(f"    v = raw.get({attr!r}, missing)")
            out("    if v is missing:")
            if field.required:
                out("        raise NotFast")
            elif field.load_default is missing:
                out("        pass")
            else:
                out(f"        d[{attr!r}] = {self._default(field)}")
            out("    elif v is None:")
            out(f"        {'d[%r] = None' % attr if field.allow_none else 'raise NotFast'}")
            out("    else:")
            for line in _indent(self.field_code(field, "v", "d", repr(attr),
                                                f"{name}_{attr}"), 2):
                out(line)
        # Field hooks (@validates) on values present, then schema hooks, as _do_load.
        for hook_name, hook_many, kwargs in schema._hooks[VALIDATES]:
            hook = self.const(getattr(schema, hook_name), "hook")
            field_name = kwargs["field_name"]
            if field_name not in schema.fields:
                raise CannotCompile(f"{type(schema).__name__}: @validates({field_name!r})")
            out(f"    if {field_name!r} in d:")
            out(f"        try:\n            r = {hook}(d[{field_name!r}])\n"
                "        except Exception:\n            raise NotFast")
            out("        if r is missing: raise NotFast")
        for hook_name, hook_many, kwargs in schema._hooks[VALIDATES_SCHEMA]:
            if hook_many:
                raise CannotCompile(f"{type(schema).__name__}.{hook_name}: pass_many")
            hook = self.const(getattr(schema, hook_name), "hook")
            args = "d, raw" if kwargs.get("pass_original") else "d"
            partial = self.const(schema.partial, "partial")
            out(f"    try:\n        {hook}({args}, partial={partial}, many=False)\n"
                "    except Exception:\n        raise NotFast")
        out("    return d")
        self.lines.append(f"def {name}(raw, todo):\n" + "\n".join(body) + "\n")
        return name

    def _check_schema(self, schema):
        label = type(schema).__name__
        for tag in (PRE_LOAD, POST_LOAD):
            if schema._hooks[tag]:
                raise CannotCompile(f"{label}: {tag} hooks")
        if schema.many or schema.partial:
            raise CannotCompile(f"{label}: many/partial")

    def _default(self, field):
        default = field.load_default
        if callable(default):
            # A fresh value per row, as marshmallow's; JSON-ready it as the slow path does,
            # unless it already is, and fresh down to its last list (checked here, once).
            fn = self.const(default, "default")
            if _plain_and_fresh(default(), default()):
                return f"{fn}()"
            return f"finish({fn}())"
        if isinstance(default, _SCALARS):
            return self.const(default, "default")
        fn = self.const(default, "default")
        return f"finish({fn})"

    # -- one field: code that checks `src` and stores it in `dst[key]` -------------
    def field_code(self, field, src, dst, key, label):
        kind = type(field)
        lines = []
        add = lines.append
        if isinstance(field, fields.Nested):
            if field.many or field.only or field.exclude:
                raise CannotCompile(f"{label}: Nested many/only/exclude")
            fn = self.schema_function(field.schema, field.unknown)
            add(f"{dst}[{key}] = {fn}({src}, todo)")
            self._validators(field, f"{dst}[{key}]", lines, label)
            return lines
        if kind is fields.List:
            inner_dst = f"l_{self.counter}"
            self.counter += 1
            add(f"if type({src}) is not list: raise NotFast")
            add(f"{inner_dst} = [None] * len({src})")
            add(f"for i_{inner_dst}, e_{inner_dst} in enumerate({src}):")
            inner = field.inner
            add(f"    if e_{inner_dst} is None:")
            add(f"        {'pass' if inner.allow_none else 'raise NotFast'}")
            add("    else:")
            lines += _indent(self.field_code(inner, f"e_{inner_dst}", inner_dst,
                                             f"i_{inner_dst}", label + "[]"), 2)
            add(f"{dst}[{key}] = {inner_dst}")
            self._validators(field, f"{dst}[{key}]", lines, label)
            return lines
        if _is(field, fields.String):
            add(f"if type({src}) is not str: raise NotFast")
            add(f"{dst}[{key}] = {src}")
        elif _is(field, fields.Integer):
            add(f"if type({src}) is not int: raise NotFast")
            add(f"{dst}[{key}] = {src}")
        elif _is(field, fields.Float) and not field.allow_nan:
            add(f"if type({src}) is float:")
            add(f"    if isnan({src}) or isinf({src}): raise NotFast")
            add(f"elif type({src}) is int:")
            add(f"    try:\n        {src} = float({src})\n    except OverflowError:\n"
                "        raise NotFast")
            add("else: raise NotFast")
            add(f"{dst}[{key}] = {src}")
        elif _is(field, fields.Boolean) and True in field.truthy and False in field.falsy:
            add(f"if {src} is not True and {src} is not False: raise NotFast")
            add(f"{dst}[{key}] = {src}")
        elif isinstance(field, fields.DateTime) and all(
                getattr(type(field), name) is getattr(fields.Field, name)
                for name in ("deserialize", "_validate", "_validate_missing")):
            # Parsed by the field itself (its format, its awareness rule), made JSON-ready
            # after the hooks ran.
            own = self.const(field._deserialize, "parse")
            add(f"if type({src}) is not str: raise NotFast")
            add(f"try:\n    {dst}[{key}] = {own}({src}, None, None)\n"
                "except Exception:\n    raise NotFast")
            add(f"todo.append(({dst}, {key}))")
        else:
            # A field type not compiled here: its own deserialize, whole.
            own = self.const(field.deserialize, "deserialize")
            add(f"try:\n    {dst}[{key}] = {own}({src})\nexcept Exception:\n    raise NotFast")
            add(f"todo.append(({dst}, {key}))")
            return lines
        self._validators(field, src, lines, label)
        return lines

    def _validators(self, field, value, lines, label):
        for validator in field.validators:
            kind = type(validator)
            if kind is validate.OneOf:
                try:
                    choices = self.const(frozenset(validator.choices), "choices")
                except TypeError:
                    choices = self.const(validator.choices, "choices")
                lines.append(f"if {value} not in {choices}: raise NotFast")
            elif kind is validate.Range:
                lo, hi = validator.min, validator.max
                if lo is not None:
                    op = "<" if validator.min_inclusive else "<="
                    lines.append(f"if {value} {op} {self.const(lo)}: raise NotFast")
                if hi is not None:
                    op = ">" if validator.max_inclusive else ">="
                    lines.append(f"if {value} {op} {self.const(hi)}: raise NotFast")
            elif kind is validate.Length:
                if validator.equal is not None:
                    lines.append(f"if len({value}) != {validator.equal!r}: raise NotFast")
                if validator.min is not None:
                    lines.append(f"if len({value}) < {validator.min!r}: raise NotFast")
                if validator.max is not None:
                    lines.append(f"if len({value}) > {validator.max!r}: raise NotFast")
            elif kind is validate.Regexp:
                match = self.const(validator.regex.match, "match")
                lines.append(f"if {match}({value}) is None: raise NotFast")
            else:
                own = self.const(validator, "validator")
                lines.append(f"try:\n    r = {own}({value})\nexcept Exception:\n"
                             "    raise NotFast\nif r is False: raise NotFast")


def _plain_and_fresh(one, two):
    """Whether two results of a default are JSON values (no dates) sharing no container."""
    if type(one) in (dict, list):
        if one is two or type(one) is not type(two) or len(one) != len(two):
            return False
        pairs = (zip(one.values(), two.values()) if isinstance(one, dict)
                 else zip(one, two))
        return all(_plain_and_fresh(a, b) for a, b in pairs)
    return isinstance(one, _SCALARS)


def _indent(lines, levels):
    return ["    " * levels + part for line in lines for part in line.split("\n")]


# The methods a field deserializes and validates with: a subclass that overrides any of
# them is not compiled as its base class (it goes through its own `deserialize`).
_OWN_METHODS = ("deserialize", "_deserialize", "_validated", "_format_num", "_validate",
                "_validate_missing")


def _is(field, cls):
    """`field` deserializes exactly as `cls` does (a subclass may only add validators)."""
    return isinstance(field, cls) and all(
        getattr(type(field), name, None) is getattr(cls, name, None) for name in _OWN_METHODS)


def compile_loader(schema, finish):
    """A function row -> loaded, JSON-ready dict (raises NotFast), built from `schema`."""
    compiler = _Compiler(finish)
    top = compiler.schema_function(schema)
    source = "\n".join(compiler.lines)
    source += (f"\ndef load(raw):\n    todo = []\n    d = {top}(raw, todo)\n"
               "    for container, key in todo:\n"
               "        value = container[key]\n"
               "        if value is not None:\n"
               "            container[key] = finish(value)\n"
               "    return d\n")
    namespace = dict(compiler.env)
    exec(compile(source, f"<fast loader of {type(schema).__name__}>", "exec"), namespace)
    load = namespace["load"]
    load.source = source
    return load

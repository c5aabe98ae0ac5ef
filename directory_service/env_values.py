"""Reading one environment variable as a typed value, or a ConfigError naming it.

config.py builds the settings from these; kept apart so the settings file is the list of
what can be configured and not how text becomes a number.
"""
import os


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _float(name, default):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _int(name, default):
    value = _float(name, default)
    if value != int(value):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _str(name, default):
    raw = os.environ.get(name)
    return default if raw in (None, "") else raw


def _str_or_empty(name, default):
    """Like _str, but a variable set to "" means empty (a rate limit class turned off)."""
    raw = os.environ.get(name)
    return default if raw is None else raw.strip()


def _bool(name, default):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _list(name, default=()):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return tuple(default)
    return tuple(part.strip() for part in raw.split(",") if part.strip())

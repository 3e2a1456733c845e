"""How compose spells a value when it prints a file: Go's strings of numbers and booleans, Go
durations ("1m30s"), byte sizes, CPU counts, maps from `KEY=value` lists and command words.

Both sides of a comparison are put in these spellings, so that `5s` and `5000ms`, `'0.50'` and
`0.5`, `[A=1]` and `{A: 1}` are one setting, as they are to compose.
"""
from __future__ import annotations

import math
import re
import shlex
from functools import lru_cache
from typing import Any


def go_string(value: Any) -> str | None:
    """A YAML scalar as Go's fmt would print it, which is how compose stringifies values."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(f: float) -> str:
    """Go's %v: the shortest digits that round-trip, in exponent form below 1e-4 or from 1e6."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    from decimal import Decimal  # only floats in compose files need it

    d = Decimal(repr(f)).normalize()
    exp = d.adjusted()
    if exp < -4 or exp >= 6:
        sign, digits, _ = d.as_tuple()
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return format(d, "f")


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_duration(value: Any) -> int | None:
    """Nanoseconds from a Go duration ("1m30s"); bare numbers are seconds, as compose reads them."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value * 10**9)
    s = str(value).strip()
    if not s:
        return None
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    if s == "0":
        return 0
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(s):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT_NS[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        return None
    return sign * int(round(total))


def format_duration(ns: int) -> str:
    """Go's time.Duration.String()."""
    if ns == 0:
        return "0s"
    neg, ns = ns < 0, abs(ns)
    if ns < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= size:
                return ("-" if neg else "") + _trim(ns / size) + unit
    h, rem = divmod(ns, 3600 * 10**9)
    m, rem = divmod(rem, 60 * 10**9)
    secs = _trim(rem / 10**9)
    out = (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + f"{secs}s"
    return ("-" if neg else "") + out


def _trim(x: float) -> str:
    return f"{x:.9f}".rstrip("0").rstrip(".")


def duration(value: Any) -> Any:
    if isinstance(value, str):
        return _duration_text(value)
    ns = parse_duration(value)
    return value if ns is None else format_duration(ns)


@lru_cache(maxsize=1024)
def _duration_text(value: str) -> str:
    # A few spellings (`30s`, `5s`) stand in every service's healthcheck, twice on the way.
    ns = parse_duration(value)
    return value if ns is None else format_duration(ns)


_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def byte_size(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return int(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*", str(value), re.IGNORECASE)
    if not m:
        return value
    return int(float(m.group(1)) * _BYTE_UNITS[m.group(2).lower()])


def cpu_count(value: Any) -> Any:
    """A CPU count is a number to compose (`'0.50'` is 0.5); a `${VAR}` stays as written."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return value


def kv_map(value: Any, *, none_as: str | None = None) -> Any:
    """`["A=1", "B"]` or `{A: 1, B: null}` -> `{"A": "1", "B": None}`."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            out[key] = val if sep else none_as
        return out
    if isinstance(value, dict):
        return {str(k): (none_as if v is None else go_string(v)) for k, v in value.items()}
    return value


def command_words(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return [value]
    if isinstance(value, list):
        return [go_string(v) if v is not None else "" for v in value]
    return value


def as_list(value: Any) -> Any:
    return [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value

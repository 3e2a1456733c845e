"""Every field the compose specification types, converted as compose's loader converts it.

The types come from the specification's JSON schema (bot/compare/compose_schema.py, generated
from it), so `retries: "3"`, `init: "true"`, `replicas: "2"` or `deploy.labels: [a=b]` read as
compose reads them at every depth: service, build, deploy, develop, top level. A value compose
would not convert (`${VAR}`, `all`, a typo) is left as written: the comparison then shows it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.compare.compose_schema import TREE
from bot.compare.compose_spellings import byte_size, command_words, duration, kv_map

# The spellings compose's loader casts to a typed boolean, in any case (`"1"` and `"t"` it refuses).
_BOOLS = {"true": True, "yes": True, "y": True, "on": True, "false": False, "no": False, "n": False, "off": False}
_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _bool(value: Any) -> Any:
    return _BOOLS.get(value.lower(), value) if isinstance(value, str) else value


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, str) and _INT.fullmatch(value) else value


def _number(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return int(value) if _INT.fullmatch(value) else float(value)
    return value


def _scalars(convert: Callable[[Any], Any]) -> Callable[[Any, str], Any]:
    return lambda value, key: value if isinstance(value, (dict, list)) else convert(value)


def _to_map(value: Any, key: str) -> Any:
    # An entry without a value: unset in an environment, empty elsewhere (labels, options).
    return kv_map(value, none_as=None if key in ("environment", "args") else "") if isinstance(value, list) else value


_CONVERT: dict[str, Callable[[Any, str], Any]] = {
    "bool": _scalars(_bool),
    "int": _scalars(_int),
    "number": _scalars(_number),
    "duration": _scalars(duration),
    "bytes": _scalars(byte_size),
    "map": _to_map,
    "list": lambda value, key: [value] if isinstance(value, str) else value,
    "command": lambda value, key: command_words(value) if isinstance(value, (str, list)) else value,
}


def coerce(value: Any, node: dict[str, Any] = TREE, key: str = "") -> Any:
    """`value` with every typed field below `node` converted; the input is never mutated."""
    kind = node.get("kind")
    if kind is not None and value is not None:
        value = _CONVERT[kind](value, key)
    if isinstance(value, dict):
        props, values = node.get("props"), node.get("values")
        if props is None and values is None:
            return value
        out = {}
        for k, v in value.items():
            sub = props.get(k) if props and k in props else values
            out[k] = coerce(v, sub, str(k)) if sub is not None and v is not None else v
        return out
    if isinstance(value, list) and "items" in node:
        return [coerce(v, node["items"], key) if v is not None else v for v in value]
    return value

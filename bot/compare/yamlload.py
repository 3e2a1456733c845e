"""YAML as compose reads it: the YAML 1.2 core schema, fast.

PyYAML resolves plain scalars by YAML 1.1, where `8080:80` is a base-60 integer, `yes` is
true and `2026-04-24` is a date. Compose (Go, yaml.v3) reads all three as strings, so the
1.1-only resolvers are replaced before the C loader is used.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Yaml12Loader(_Base):  # type: ignore[misc, valid-type]
    pass


Yaml12Loader.yaml_implicit_resolvers = {}
# What compose's YAML reader (Go yaml.v3) takes for a number: underscores are dropped first,
# then Go's base-prefix rules apply (0x, 0o, 0b, and 0777 as octal); what is not an integer
# but reads as a float (08, 1e3) is a float.
_INT = r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$"
_FLOAT = r"^(?:[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9_]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
for first, pattern, tag in [
    (list("tTfF"), r"^(?:true|True|TRUE|false|False|FALSE)$", "tag:yaml.org,2002:bool"),
    (list("-+0123456789"), _INT, "tag:yaml.org,2002:int"),
    (list("-+.0123456789"), _FLOAT, "tag:yaml.org,2002:float"),
    (["~", "n", "N", ""], r"^(?:~|null|Null|NULL|)$", "tag:yaml.org,2002:null"),
    (["<"], r"^<<$", "tag:yaml.org,2002:merge"),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), first)


def _int_like_go(loader: Any, node: Any) -> int | float:
    text = loader.construct_scalar(node).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    prefixes = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
    if digits[:2] in prefixes:
        return sign * int(digits[2:], prefixes[digits[:2]])
    if len(digits) > 1 and digits.startswith("0"):
        if all(c in "01234567" for c in digits):
            return sign * int(digits, 8)
        return sign * float(digits)  # 08: not an integer for Go, but a float
    return sign * int(digits)


def _float_like_go(loader: Any, node: Any) -> float:
    text = loader.construct_scalar(node).replace("_", "")
    lowered = text.lower()
    if lowered.endswith("inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered.endswith("nan"):
        return float("nan")
    return float(text)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int_like_go)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float_like_go)


class YamlError(ValueError):
    """Malformed YAML, with the place: `line L, column C: what`."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)


def load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=Yaml12Loader)  # noqa: S506 - a safe loader with other resolvers
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        if mark is None:
            raise YamlError(what) from None
        raise YamlError(what, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0]) from None

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
for first, pattern, tag in [
    (list("tTfF"), r"^(?:true|True|TRUE|false|False|FALSE)$", "tag:yaml.org,2002:bool"),
    (list("-+0123456789"), r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "tag:yaml.org,2002:int"),
    (list("-+.0123456789"),
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "tag:yaml.org,2002:float"),
    (["~", "n", "N", ""], r"^(?:~|null|Null|NULL|)$", "tag:yaml.org,2002:null"),
    (["<"], r"^<<$", "tag:yaml.org,2002:merge"),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), first)


def _int12(loader: Any, node: Any) -> int:
    value = loader.construct_scalar(node)
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    return int(value)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)


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

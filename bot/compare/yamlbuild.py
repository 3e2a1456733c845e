"""yamlbuild: YAML nodes into values as compose (Go, yaml.v3) builds them: numbers by Go's rules,
and a compose file's maps, lists and scalars in one plain pass (PyYAML's general construction
builds, or refuses, anything else)."""
from __future__ import annotations

import math
from typing import Any

import yaml

# What compose's YAML reader (Go yaml.v3) takes for a number: underscores are dropped first,
# then Go's base-prefix rules apply (0x, 0o, 0b, and 0777 as octal); what is not an integer
# but reads as a float (08, 1e3) is a float.
# A base prefix needs a digit after it (`0x_` is a string for Go); a float needs a digit too.
INT_PATTERN = r"^[-+]?(?:0[xX]_*[0-9a-fA-F][0-9a-fA-F_]*|0[oO]_*[0-7][0-7_]*|0[bB]_*[01][01_]*|[0-9][0-9_]*)$"
FLOAT_PATTERN = (r"^(?:[-+]?(?:\.[0-9_]*[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?_*[0-9][0-9_]*)?"
          r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")

_GO_INT_RANGE = range(-(2**63), 2**64)  # what ParseInt or ParseUint take; beyond it Go tries a float


def _number(loader: Any, node: Any, read: Any) -> Any:
    text = loader.construct_scalar(node)
    try:
        return read(text.replace("_", ""), text)
    except ValueError:
        raise yaml.constructor.ConstructorError(None, None, f"cannot read `{text}` as a number", node.start_mark) from None


def _int_from_go(plain: str, written: str) -> int | float | str:
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    prefixes = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
    if digits[:2] in prefixes:
        value = sign * int(digits[2:], prefixes[digits[:2]])
        return value if value in _GO_INT_RANGE else written  # too large for Go: the string as written
    if len(digits) > 1 and digits.startswith("0") and all(c in "01234567" for c in digits):
        value = sign * int(digits, 8)
    elif len(digits) > 1 and digits.startswith("0"):
        return sign * float(digits)  # 08: not an integer for Go, but a float
    else:
        value = sign * int(digits)
    return value if value in _GO_INT_RANGE else sign * float(digits)


def _float_from_go(plain: str, written: str) -> float | str:
    lowered = plain.lower()
    if lowered.endswith("inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered.endswith("nan"):
        return float("nan")
    value = float(plain)
    return written if math.isinf(value) else value  # out of range (1e999): Go keeps the string


def int_like_go(loader: Any, node: Any) -> int | float | str:
    return _number(loader, node, _int_from_go)


def float_like_go(loader: Any, node: Any) -> float | str:
    return _number(loader, node, _float_from_go)


_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_MAP, _SEQ, MERGE_TAG = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge"
_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode




class _Unusual(Exception):
    """A node the plain construction leaves to PyYAML's: another tag, a cycle, anything it would refuse."""


def construct(loader: Any, root: Any) -> Any:
    """The document of `root`, as `loader.construct_document` builds it.

    A compose file holds maps, lists, strings, numbers, booleans and nulls: those are built here
    in one pass, several times faster than PyYAML's general machinery, which is still what builds
    (or refuses) any document holding something else. Nothing is changed in the nodes until
    PyYAML's construction runs, so it starts from the nodes as composed.
    """
    try:
        return _Plain(loader).build(root)
    except (_Unusual, RecursionError, yaml.YAMLError):
        return loader.construct_document(root)


class _Plain:
    def __init__(self, loader: Any):
        self.loader = loader
        self.built: dict[int, Any] = {}  # id(node) -> its list or map: an alias is the same object
        self.building: set[int] = set()

    def scalar(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _INT_TAG:
            return int_like_go(self.loader, node)
        if tag == _FLOAT_TAG:
            return float_like_go(self.loader, node)
        if tag == _NULL:
            return None
        if tag == _BOOL:
            value = self.loader.bool_values.get(node.value.lower())
            if value is None:
                raise _Unusual
            return value
        raise _Unusual

    def build(self, node: Any) -> Any:
        cls = node.__class__
        if cls is _ScalarNode:
            return self.scalar(node)
        key = id(node)
        if key in self.built:
            return self.built[key]
        if key in self.building:
            raise _Unusual  # an alias inside its own anchor: PyYAML builds (or refuses) the cycle
        self.building.add(key)
        out: Any
        if cls is _MappingNode and node.tag == _MAP:
            out = {}
            for key_node, value_node in self.pairs(node):
                if value_node.__class__ is _ScalarNode and value_node.tag == _STR:
                    out[self.scalar(key_node)] = value_node.value
                else:
                    out[self.scalar(key_node)] = self.build(value_node)
        elif cls is _SequenceNode and node.tag == _SEQ:
            out = [n.value if n.__class__ is _ScalarNode and n.tag == _STR else self.build(n) for n in node.value]
        else:
            raise _Unusual
        self.building.discard(key)
        self.built[key] = out
        return out

    def pairs(self, node: Any) -> list[tuple[Any, Any]]:
        """The mapping's pairs as the loader's flatten_mapping leaves them (merged pairs first), without
        changing the node; a key given twice is left to PyYAML, which refuses it where it should."""
        pairs = node.value
        names = {k.value for k, _ in pairs if k.__class__ is _ScalarNode}
        if len(names) != len(pairs):
            raise _Unusual  # a key twice, or a key that is not a scalar
        if "<<" not in names:
            return pairs  # a `!!merge` key elsewhere has a tag `scalar` refuses
        merged: list[tuple[Any, Any]] = []
        taken: set[str] = set()  # the first merged map naming a key wins, as in the loader's flatten_mapping

        def merge(source_pairs: list[tuple[Any, Any]]) -> None:
            for pair in source_pairs:
                if pair[0].value not in taken:
                    taken.add(pair[0].value)
                    merged.append(pair)

        own = []
        for key_node, value_node in pairs:
            if key_node.tag != MERGE_TAG:
                own.append((key_node, value_node))
            elif value_node.__class__ is _MappingNode:
                merge(self.pairs(value_node))
            elif value_node.__class__ is _SequenceNode:
                for source in value_node.value:
                    if source.__class__ is not _MappingNode:
                        raise _Unusual
                    merge(self.pairs(source))
            else:
                raise _Unusual
        return merged + own

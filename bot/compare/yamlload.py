"""YAML as compose reads it: the YAML 1.2 core schema, fast.

PyYAML resolves plain scalars by YAML 1.1, where `8080:80` is a base-60 integer, `yes` is
true and `2026-04-24` is a date. Compose (Go, yaml.v3) reads all three as strings, so the
1.1-only resolvers are replaced before the C loader is used.
"""
from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from bot.compare.yamlbuild import FLOAT_PATTERN, INT_PATTERN, MERGE_TAG, float_like_go, int_like_go, construct

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Yaml12Loader(_Base):  # type: ignore[misc, valid-type]
    def __init__(self, stream: Any):
        super().__init__(stream)
        self._checked: set[int] = set()
        self.resets = False  # a `!reset` was read: its keys are dropped once the document is built
        # A text without both `&` and `*` holds no alias (an alias names an anchor): nothing to count.
        self._aliases_possible = not isinstance(stream, str) or ("*" in stream and "&" in stream)
        if self.yaml_path_resolvers or None in self.yaml_implicit_resolvers:
            self.resolve = super().resolve  # type: ignore[method-assign]  # what `resolve` below leaves out

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        """PyYAML's resolve without path or wildcard resolvers, which this loader has none of:
        it runs for every node composed."""
        if kind is yaml.ScalarNode and implicit[0]:
            for tag, regexp in self.yaml_implicit_resolvers.get(value[0] if value else "", ()):
                if regexp.match(value):
                    return tag
        return _DEFAULT_TAGS[kind]

    def get_single_node(self) -> Any:
        with collector_paused():
            node = super().get_single_node()
            if node is not None and self._aliases_possible:
                _refuse_excessive_aliasing(node)
        return node

    def flatten_mapping(self, node: Any) -> None:
        # Every mapping passes here before its merge keys are folded in, and only then can a key
        # given twice be told from a key a merge brings in.
        if id(node) not in self._checked:
            self._checked.add(id(node))
            _refuse_duplicate_keys(node)
        if not any(k.tag == MERGE_TAG for k, _ in node.value):
            return
        # As yaml.v3 (and so compose) folds them: of the merged maps the first one naming a key
        # wins, the mapping's own keys win over all of them. PyYAML 6.0.3 and later lets a later
        # map win for most keys (it tells keys apart by string object, not by value).
        merged, own, seen = [], [], set()
        for key_node, value_node in node.value:
            if key_node.tag != MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"expected a mapping or list of mappings for merging, but found {source.id}", source.start_mark)
                self.flatten_mapping(source)
                for pair in source.value:
                    name = pair[0].value if isinstance(pair[0], yaml.ScalarNode) else id(pair[0])
                    if name not in seen:
                        seen.add(name)
                        merged.append(pair)
        node.value = merged + own


_DEFAULT_TAGS = {yaml.ScalarNode: "tag:yaml.org,2002:str", yaml.SequenceNode: "tag:yaml.org,2002:seq",
                 yaml.MappingNode: "tag:yaml.org,2002:map"}


def _alias_ratio(decoded: int) -> float:
    """yaml.v3's allowedAliasRatio: 99 % of the nodes may come through aliases in a small
    document, falling to 10 % at four million nodes."""
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decoded - 400_000) / 3_600_000


def _refuse_excessive_aliasing(root: Any) -> None:
    """Refuse a document whose aliases expand it beyond what yaml.v3 (compose's reader) reads:
    a few hundred bytes of nested aliases stand for billions of nodes ("billion laughs"). The
    nodes are counted as expanded, each node's subtree once (a node reached again is an alias),
    so the count itself takes time in the size of the text."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes decoded, aliases decoded) in its expansion

    def count(node: Any) -> tuple[int, int]:
        decoded, aliases = 1, 0
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else ())
        for child in children:
            seen = sizes.get(id(child))
            if seen is None:
                seen = sizes[id(child)] = count(child)
                decoded, aliases = decoded + seen[0], aliases + seen[1]
            else:  # reached again: an alias, standing for its whole expansion
                decoded, aliases = decoded + seen[0], aliases + seen[1] + 1
        return decoded, aliases

    try:
        decoded, aliases = count(root)
    except RecursionError:
        raise yaml.composer.ComposerError(None, None, "the document is nested too deeply to be read",
                                          root.start_mark) from None
    if aliases > 100 and decoded > 1000 and aliases / decoded > _alias_ratio(decoded):
        raise yaml.composer.ComposerError(
            None, None, f"document contains excessive aliasing ({aliases:,} aliases expanding to {decoded:,} nodes; "
            "compose refuses it too)", root.start_mark)


def _refuse_duplicate_keys(node: Any) -> None:
    """yaml.v3 refuses a mapping that names a key twice (`<<` included), so compose does too."""
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    if len(keys) == len(set(keys)):
        return
    first: dict[str, Any] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        if key_node.value in first:
            line = first[key_node.value].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f'mapping key "{key_node.value}" already defined at line {line}', key_node.start_mark)
        first[key_node.value] = key_node


Yaml12Loader.yaml_implicit_resolvers = {}
for first, pattern, tag in [
    (list("tTfF"), r"^(?:true|True|TRUE|false|False|FALSE)$", "tag:yaml.org,2002:bool"),
    (list("-+0123456789"), INT_PATTERN, "tag:yaml.org,2002:int"),
    (list("-+.0123456789"), FLOAT_PATTERN, "tag:yaml.org,2002:float"),
    (["~", "n", "N", ""], r"^(?:~|null|Null|NULL|)$", "tag:yaml.org,2002:null"),
    (["<"], r"^<<$", "tag:yaml.org,2002:merge"),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), first)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", int_like_go)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", float_like_go)


class _Reset:
    """The value of a `!reset` key: compose removes the key (also one a `<<` merge brought in)."""

    def __repr__(self) -> str:
        return "RESET"


RESET = _Reset()


def _untagged(loader: Any, node: Any) -> Any:
    """`!override`: in one file the value stands as written, replacing whatever a merge brings."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    tag = loader.resolve(yaml.ScalarNode, node.value, (not node.style, False))
    return loader.yaml_constructors[tag](loader, node)


def _reset(loader: Any, node: Any) -> Any:
    loader.resets = True
    return RESET


Yaml12Loader.add_constructor("!override", _untagged)
Yaml12Loader.add_constructor("!reset", _reset)


def _drop_resets(value: Any, seen: set[int] | None = None) -> Any:
    seen = set() if seen is None else seen
    if id(value) in seen or not isinstance(value, (dict, list)):
        return value
    seen.add(id(value))
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is RESET]:
            del value[key]
        for v in value.values():
            _drop_resets(v, seen)
    else:
        value[:] = [v for v in value if v is not RESET]
        for v in value:
            _drop_resets(v, seen)
    return value


class YamlError(ValueError):
    """Malformed YAML, with the place: `line L, column C: what`."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.message, self.line, self.column = message, line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector held off while a document's nodes or values are built.

    Building a large document makes hundreds of thousands of objects, none of them in a cycle;
    each pass of the collector meanwhile walks every object alive, the other file's included,
    and doubles the cost of a parse. When that many were built, they join the oldest generation
    at once (freeze, unfreeze) rather than being walked again by each younger collection on the
    way there; they are still collected as any old object is. A small document's objects (and
    whatever else the process made meanwhile) are left to the collector as usual: promoting them
    all would keep a long-lived process's garbage until its next full collection. Nested pauses
    end with the outermost."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] >= _MANY:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


_MANY = 100_000  # objects built in one pause (a compose file of a few thousand lines)


# Texts already composed (by the secret reader, which composes every compose file it redacts),
# with their root node: the comparison then constructs from the node instead of parsing again.
# A node is taken out when it is constructed: construction folds merge keys into the nodes.
_COMPOSED: dict[str, Any] = {}
_KEEP = 16


def compose_node(text: str) -> Any:
    """The root node of a one-document YAML text, as compose's reader resolves plain scalars."""
    loader = Yaml12Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def remember(text: str, node: Any) -> None:
    if len(_COMPOSED) >= _KEEP:
        _COMPOSED.pop(next(iter(_COMPOSED)))
    _COMPOSED[text] = node


def load_yaml(text: str) -> Any:
    try:
        node = _COMPOSED.pop(text, None)
        loader = Yaml12Loader("" if node is not None else text)
        try:
            if node is None:
                node = loader.get_single_node()
            if node is None:
                return None
            with collector_paused():
                document = construct(loader, node)
            return _drop_resets(document) if loader.resets else document
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        if mark is None:
            raise YamlError(what) from None
        raise YamlError(what, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0]) from None
    except RecursionError:
        raise YamlError("the document is nested too deeply to be read") from None

"""Apply compose divergences to main's file with ruamel.yaml, changing only the lines they need.

Pointers name keys of the normalised document; the values written are the live file's own
nodes (its quoting, its spelling), looked up by the same keys in the live file. Where main
spells a key-value block as a list (`- KEY=value`), the entry is edited in that spelling.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.capture.redact import TOKEN_RE
from bot.edit.splice import splice
from bot.model import Divergence

_KEYED_LISTS = {"environment", "labels", "annotations", "sysctls", "args"}


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer_keys(pointer: str) -> list[str]:
    return [_unescape(t) for t in pointer.split("/")[1:]] if pointer else []


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel.yaml wants them, read off the file itself."""
    mapping, offsets = Counter(), Counter()
    previous: tuple[int, bool] | None = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if previous is not None:
            prev_indent, opens_block = previous
            if opens_block and indent > prev_indent:
                (offsets if stripped.startswith("- ") else mapping)[indent - prev_indent] += 1
        previous = (indent, stripped.rstrip().endswith(":"))
    m = mapping.most_common(1)[0][0] if mapping else 2
    offset = offsets.most_common(1)[0][0] if offsets else m
    return m, offset + 2, offset


def _yaml(text: str) -> Any:
    from ruamel.yaml import YAML  # only pull requests need the round-trip library

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: Any, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _get(node: Any, keys: list[str]) -> tuple[bool, Any]:
    for i, key in enumerate(keys):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and i > 0 and keys[i - 1] in _KEYED_LISTS:
            entry = next((e for e in node if str(e).split("=", 1)[0] == key), None)
            if entry is None:
                return False, None
            name, sep, value = str(entry).partition("=")
            node = value if sep else None
        else:
            return False, None
    return True, node


def _placeholder(key: str, value: Any) -> Any:
    """A secret's value stays on the host: main gets a reference to it instead."""
    if isinstance(value, str) and TOKEN_RE.search(value):
        return "${" + re.sub(r"[^A-Za-z0-9_]", "_", key).upper() + "}"
    if isinstance(value, list):
        return [_placeholder(key, v) for v in value]
    if isinstance(value, dict):
        for k in list(value):
            value[k] = _placeholder(str(k), value[k])
    return value


def _insert_at(parent: Any, key: str, value: Any, live_parent: Any) -> None:
    """Add `key` after the key that precedes it live, so main's order follows the host's."""
    if key in parent:
        parent[key] = value
        return
    position = len(parent)
    if isinstance(live_parent, dict):
        before = list(live_parent)
        idx = before.index(key) if key in before else -1
        for prev in reversed(before[:idx] if idx >= 0 else []):
            if prev in parent:
                position = list(parent).index(prev) + 1
                break
        else:
            position = 0 if idx == 0 else len(parent)
    parent.insert(position, key, value)


def _set(base: Any, live: Any, keys: list[str], value: Any, remove: bool) -> None:
    node, live_node = base, live
    for i, key in enumerate(keys[:-1]):
        if isinstance(node, list) and keys[i - 1] in _KEYED_LISTS if i > 0 else False:
            break
        if key not in node or node[key] is None:
            from ruamel.yaml.comments import CommentedMap

            _insert_at(node, key, CommentedMap(), live_node)
        node = node[key]
        live_node = live_node.get(key) if isinstance(live_node, dict) else None
    last = keys[-1]
    if isinstance(node, list):  # main spells this block as `- KEY=value`
        idx = next((i for i, e in enumerate(node) if str(e).split("=", 1)[0] == last), None)
        if remove:
            if idx is not None:
                del node[idx]
            return
        entry = last if value is None else f"{last}={value}"
        if idx is None:
            node.append(entry)
        else:
            node[idx] = entry
        return
    if remove:
        node.pop(last, None)
        return
    _insert_at(node, last, value, live_node)


def apply_compose(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    yaml = _yaml(base_text)
    base = yaml.load(base_text)
    live = yaml.load(live_text)
    before = _dump(yaml, base)
    for d in divergences:
        keys = pointer_keys(d.pointer)
        if not keys:
            continue
        found, value = _get(live, keys)
        if d.kind == "removed" or not found:
            _set(base, live, keys, None, remove=True)
            continue
        if d.secret:
            value = _placeholder(keys[-1], value)
        _set(base, live, keys, value, remove=False)
    return splice(base_text, before, _dump(yaml, base))

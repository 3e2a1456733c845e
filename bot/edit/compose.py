"""Apply compose divergences to main's file with ruamel.yaml, changing only the lines they need.

Pointers name keys of the normalised document; the values written are the live file's own
nodes (its quoting, its spelling), looked up by the same keys in the live file. Where main
spells a block differently from the host, the edit is made in main's spelling: `- KEY=value`
entries stay entries (with the string compose reads from the live value), and a short form
(`build: ./agent`, `depends_on: [db]`) is first spelt out so that a key below it can be set.
A key a service only has through a `<<:` merge is given to that service alone; the shared
node is never edited for one of its users.

Both files are read without their comment and blank lines, which `layout` puts back around
the edit (see there why).
"""
from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.secrets.references import referenced_in
from bot.compare.compose import go_string
from bot.edit.layout import YamlText, arrange
from bot.edit.splice import pieces
from bot.model import Divergence

_KEYED_LISTS = {"environment", "labels", "annotations", "sysctls", "args"}  # `- KEY=value` entries
_NAMED_LISTS = {"depends_on", "networks"}  # `- name` entries, keys of the long form


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
            is_item = stripped.startswith("- ") or stripped == "-"
            if opens_block and is_item and indent >= prev_indent:  # `key:` then `- a` at its indent: offset 0
                offsets[indent - prev_indent] += 1
            elif opens_block and indent > prev_indent:
                mapping[indent - prev_indent] += 1
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


def _map() -> Any:
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap()


def _seq() -> Any:
    from ruamel.yaml.comments import CommentedSeq

    return CommentedSeq()


# --- reading either file by normalised keys ------------------------------------------

def _entry_name(item: Any) -> str:
    return str(item).split("=", 1)[0]


def _long_form(field: str | None, node: Any) -> Any:
    """The long spelling of a short one (None: there is none), so a key below it can be reached."""
    if field == "build" and isinstance(node, str):
        out = _map()
        out["context"] = node
        return out
    if field in _NAMED_LISTS and isinstance(node, list):
        out = _map()
        for name in node:
            if field == "depends_on":
                out[str(name)] = _map()
                out[str(name)]["condition"] = "service_started"
            else:
                out[str(name)] = None
        return out
    return None


def _child(node: Any, key: str, field: str | None) -> tuple[bool, Any]:
    """node[key], reading `- KEY=value` entries and short forms as compare does."""
    if isinstance(node, list) and field in _KEYED_LISTS:
        for item in node:
            name, sep, value = str(item).partition("=")
            if name == key:
                return True, (value if sep else None)
        return False, None
    if not isinstance(node, dict):
        node = _long_form(field, node)
    if isinstance(node, dict) and key in node:
        return True, node[key]
    return False, None


def _lookup(doc: Any, keys: list[str]) -> tuple[bool, Any]:
    node, field = doc, None
    for key in keys:
        found, node = _child(node, key, field)
        if not found:
            return False, None
        field = key
    return True, node


def _order(node: Any, field: str | None) -> list[str]:
    """The keys of a block in the host's order, whichever way the host spells it."""
    if isinstance(node, dict):
        return [str(k) for k in node]
    if isinstance(node, list) and field in _KEYED_LISTS | _NAMED_LISTS:
        return [_entry_name(e) for e in node]
    return []


def _live_line(live: Any, keys: list[str]) -> int | None:
    """Line (0-based, of the bare live text) of the deepest key of the path the live file spells."""
    node, field, line = live, None, None
    for key in keys:
        lc = getattr(node, "lc", None)
        if isinstance(node, list) and field in _KEYED_LISTS | _NAMED_LISTS:
            at = next((i for i, e in enumerate(node) if _entry_name(e) == key), None)
            return lc.item(at)[0] if lc is not None and at is not None else line
        if not isinstance(node, dict) or key not in node or key not in getattr(node, "_ok", node):
            return line
        line = lc.key(key)[0] if lc is not None else line
        node, field = node[key], key
    return line


# --- writing main ----------------------------------------------------------------------

def _own(node: Any, key: str) -> bool:
    """The key is the node's own, not one a `<<:` merge brings."""
    return key in getattr(node, "_ok", node)


def _detached(node: Any) -> Any:
    """A copy of a shared node that one user can change without changing it for the others."""
    if isinstance(node, dict):
        out = _map()
        for k, v in node.items():
            out[k] = _detached(v)
        style = getattr(node, "fa", None)
        if style is not None and style.flow_style():
            out.fa.set_flow_style()
        return out
    if isinstance(node, list):
        seq = _seq()
        seq.extend(_detached(v) for v in node)
        style = getattr(node, "fa", None)
        if style is not None and style.flow_style():
            seq.fa.set_flow_style()
        return seq
    return node


def _put(parent: Any, key: str, value: Any, order: list[str]) -> None:
    """Set parent[key]; a key main lacks goes after the key that precedes it live."""
    if _own(parent, key):
        parent[key] = value
        return
    own = [str(k) for k in parent if _own(parent, k)]
    at = order.index(key) if key in order else len(order)
    position = next((own.index(k) + 1 for k in reversed(order[:at]) if k in own), None)
    if position is None:
        position = next((own.index(k) for k in order[at + 1 :] if k in own), len(own))
    merge = getattr(parent, "merge", None)
    merge_pos = getattr(merge, "merge_pos", -1) if merge else -1
    # ruamel counts the `<<:` key among the positions.
    parent.insert(position + (1 if 0 <= merge_pos <= position else 0), key, value)


def _put_entry(entries: Any, key: str, text: str, order: list[str]) -> None:
    """Set the `- KEY=value` entry of a key; a new one goes after the key that precedes it live."""
    at = [i for i, e in enumerate(entries) if _entry_name(e) == key]
    if at:
        entries[at[0]] = text
        for i in reversed(at[1:]):
            del entries[i]
        return
    names = [_entry_name(e) for e in entries]
    here = order.index(key) if key in order else len(order)
    position = next((max(i for i, n in enumerate(names) if n == k) + 1 for k in reversed(order[:here]) if k in names), None)
    if position is None:
        position = next((names.index(k) for k in order[here + 1 :] if k in names), len(entries))
    entries.insert(position, text)


def _writable(node: Any, key: str, order: list[str], live_child: Any, last: bool) -> Any:
    """main's node[key] for writing below it: created when missing, made the service's own when a
    merge brings it, spelt out when short. None: the path cannot go through main's spelling."""
    if _own(node, key) and node[key] is not None:
        child = node[key]
    elif key in node and node[key] is not None:  # only through `<<:`: never edit the shared node
        child = _detached(node[key])
        _put(node, key, child, order)
    else:
        child = _seq() if key in _KEYED_LISTS and isinstance(live_child, list) and last else _map()
        _put(node, key, child, order)
    if isinstance(child, dict) or (isinstance(child, list) and key in _KEYED_LISTS):
        return child
    if isinstance(child, list) and key in _NAMED_LISTS and last:
        return child  # `- name` entries: a name is added or removed as an entry
    expanded = _long_form(key, child)
    if expanded is not None:
        node[key] = expanded
    return expanded


def _anchors(doc: Any, found: dict[str, Any] | None = None) -> dict[str, Any]:
    """main's anchored nodes by name."""
    found = {} if found is None else found
    anchor = getattr(doc, "yaml_anchor", lambda: None)()
    if anchor is not None and anchor.value not in found:
        found[anchor.value] = doc
    for v in (doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else ()):
        _anchors(v, found)
    return found


def _rebased(value: Any, anchors: dict[str, Any]) -> Any:
    """A live node whose `<<: *name` points at the live file's anchor points at main's instead,
    so that main gets the alias and not a copy of what it stands for."""
    merged = getattr(value, "_yaml_merge", None)
    for i, m in enumerate(merged or ()):
        anchor = getattr(m, "yaml_anchor", lambda: None)()
        if anchor is not None and anchor.value in anchors:
            merged[i] = anchors[anchor.value]
    for v in (value.non_merged_items() if merged else value.items()) if isinstance(value, dict) else ():
        _rebased(v[1], anchors)
    for v in value if isinstance(value, list) else ():
        _rebased(v, anchors)
    return value


def _placeholder(key: str, value: Any) -> Any:
    """A secret's value stays on the host: main gets a reference to it instead."""
    return referenced_in(value, key)[0]


def _set(base: Any, live: Any, keys: list[str], value: Any, compose_string: Any) -> None:
    node, field = base, None
    for i, key in enumerate(keys[:-1]):
        order = _order(_lookup(live, keys[:i])[1], field)
        live_child = _lookup(live, keys[: i + 1])[1]
        child = _writable(node, key, order, live_child, last=i == len(keys) - 2)
        if child is None:
            # Main spells this field in a way the key cannot be reached through: take the live field.
            found, whole = _lookup(live, keys[: i + 1])
            if found:
                _put(node, key, _rebased(whole, _anchors(base)), order)
            return
        node, field = child, key
    order = _order(_lookup(live, keys[:-1])[1], field)
    if isinstance(node, list):
        if field in _NAMED_LISTS:  # a name with settings: the long form is needed after all
            return _set_named(base, live, keys, value)
        # The string compose makes of the live value (`true`, not Python's `True`).
        s = compose_string if compose_string is not None else value if isinstance(value, str) else go_string(value)
        _put_entry(node, keys[-1], keys[-1] if value is None else f"{keys[-1]}={s}", order)
        return
    _put(node, keys[-1], value, order)


def _set_named(base: Any, live: Any, keys: list[str], value: Any) -> None:
    found, parent = _lookup(base, keys[:-2])
    if found and isinstance(parent, dict):
        if _by_default(keys[-2], value):
            if keys[-1] not in [_entry_name(e) for e in parent[keys[-2]]]:
                _put_entry(parent[keys[-2]], keys[-1], keys[-1], _order(_lookup(live, keys[:-1])[1], keys[-2]))
            return
        parent[keys[-2]] = _long_form(keys[-2], parent[keys[-2]])
        _set(base, live, keys, value, None)


def _by_default(field: str, value: Any) -> bool:
    """A name whose settings are the defaults: the short form says as much."""
    if value is None or value == {}:
        return True
    if field == "depends_on" and isinstance(value, dict):
        rest = {k: v for k, v in value.items() if not (k == "required" and v is True)}
        return rest in ({}, {"condition": "service_started"})
    return False


def _remove(base: Any, live: Any, keys: list[str]) -> None:
    node, field = base, None
    for i, key in enumerate(keys[:-1]):
        if not isinstance(node, dict) or node.get(key) is None:
            return
        child = node[key]
        if not (isinstance(child, dict) or isinstance(child, list) and key in _KEYED_LISTS | _NAMED_LISTS):
            return  # a short form holds nothing that can be removed below it
        if not _own(node, key):  # only through `<<:`: never edit the shared node
            child = _detached(child)
            _put(node, key, child, _order(_lookup(live, keys[:i])[1], field))
        node, field = child, key
    last = keys[-1]
    if isinstance(node, list):
        for i in reversed([i for i, e in enumerate(node) if _entry_name(e) == last]):
            del node[i]  # every entry that sets the key
    elif isinstance(node, dict) and _own(node, last):
        del node[last]
    # A block emptied by the removal goes too, when the host does not have it either.
    for depth in range(len(keys) - 1, 1, -1):
        found, block = _lookup(base, keys[:depth])
        if not found or block is None or len(block) or not isinstance(block, (dict, list)):
            break
        found, there = _lookup(live, keys[:depth])
        if found and there not in (None, {}, []):
            break
        parent = _lookup(base, keys[: depth - 1])[1]
        if isinstance(parent, dict) and _own(parent, keys[depth - 1]):
            del parent[keys[depth - 1]]


def apply_compose(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    yaml = _yaml(base_text)
    main, host = YamlText(base_text), YamlText(live_text)
    base = yaml.load(main.bare)
    if base is None:
        base = _map()
    live = yaml.load(host.bare)
    before = _dump(yaml, base)
    anchors = _anchors(base)
    carried: list[int] = []
    for d in divergences:
        keys = pointer_keys(d.pointer)
        if not keys:
            continue
        if len(keys) == 4 and keys[0] == "services" and keys[2] == "networks" and not _lookup(base, keys[:3])[0]:
            # Without `networks:` a service is on `default`; naming one network takes it off that,
            # so the host's whole list comes along rather than the one entry.
            keys = keys[:3]
        if d.kind == "removed":
            _remove(base, live, keys)
            continue
        found, value = _lookup(live, keys)
        if found:
            value = _rebased(value, anchors)
        else:  # the host spells it in a way the key cannot be read: take compare's value
            value = _detached(d.after)
        if d.secret:
            value = _placeholder(keys[-1], value)
        # The live line the carried node starts at: the first key main lacks, or the key itself.
        depth = next((n for n in range(1, len(keys)) if not _lookup(base, keys[:n])[0]), len(keys))
        line = _live_line(live, keys[:depth])
        _set(base, live, keys, value, None if d.secret or not isinstance(d.after, str) else d.after)
        if line is not None:
            carried.append(host.kept[line])
    after = _dump(yaml, base)
    if after == before:
        return base_text
    return arrange(pieces(base_text, before, after, main.trivia), main, host, carried)

"""Secrets in a YAML file, found on its nodes and replaced in its text.

The file is composed (not constructed: no alias is expanded, so an alias bomb costs nothing here)
and every scalar is judged where it stands: under a key that names a secret, as the word after a
secret flag in a list, as `NAME=value` in a list, or by its own shape. A scalar judged secret is
rewritten in the text as one double-quoted scalar with the placeholders in it, whatever its
spelling was (plain, quoted, block or folded, on the next line, behind a tag or an anchor),
padded so that every line below keeps its number. An alias stands for its anchored node, so
replacing the anchored node hides every use of it.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import yaml

from bot.secrets.placeholders import PLACEHOLDER_RE, Redaction, Redactor
from bot.secrets.shapes import Span, merged, secret_spans, shape_spans, whole_value_secret, word_list_spans

_PROPS = re.compile(r"(?:[&!][^\s,\[\]{}]*\s+)+")
_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)=(?P<value>.*)", re.DOTALL)
# A secret repeated outside the node that holds it (a comment keeping the old value) is hidden
# too, from this length on: shorter values would take unrelated text with them.
_SWEEP_MIN = 6


def redact_yaml(text: str, redactor: Redactor) -> Redaction | None:
    """The text with its secrets replaced; None when it is not YAML that can be read."""
    from bot.compare.yamlload import compose_node, remember

    try:
        root = compose_node(text)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    found: dict[int, tuple[Any, list[Span]]] = {}
    if root is not None:
        _judge(root, found)
    edits, values = [], []
    for node, spans in found.values():
        spans = merged(spans)
        values += [node.value[s:e] for s, e in spans]
        masked = redactor.mask(node.value, spans)
        edits.append((node.start_mark.index, node.end_mark.index, _rewritten(text, node, masked)))
        # The node now says what the rewritten text says: the comparison constructs from it.
        node.value, node.tag, node.style = masked, "tag:yaml.org,2002:str", '"'

    out, last = [], len(text)
    for start, end, new in sorted(edits, reverse=True):
        if end > last:
            continue  # nested in an edit already made (cannot happen for scalars; kept safe)
        out.append(text[end:last])
        out.append(new)
        last = start
    out.append(text[:last])
    redacted = "".join(reversed(out))
    swept = _sweep(redacted, values, redactor)
    if swept == redacted:
        remember(redacted, root)
    added = len(PLACEHOLDER_RE.findall(swept)) - len(PLACEHOLDER_RE.findall(redacted))
    return Redaction(swept, len(values) + added)


def _judge(root: Any, found: dict[int, tuple[Any, list[Span]]]) -> None:
    """Walk every node once (iteratively: a deep file is no recursion limit) and note the spans
    of every scalar's value to hide. A scalar is judged where it stands, once per place: an
    alias of it may stand under another name."""
    scalar_node, mapping_node = yaml.ScalarNode, yaml.MappingNode
    if isinstance(root, scalar_node):
        _scalar(root, None, [], found)
        return
    judged_value = _value_spans
    seen: set[int] = set()
    stack = [root]
    push = stack.append
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, mapping_node):
            for key, value in node.value:
                if isinstance(key, scalar_node):
                    name = key.value
                    if len(name) >= 16 and _key_spans(name):
                        _add(found, key, list(_key_spans(name)))
                else:
                    name = None
                    push(key)
                if not isinstance(value, scalar_node):
                    push(value)
                elif value.value and (name is not None or len(value.value) >= 8):
                    judged = judged_value(name, value.value)
                    if judged is not None and (judged[0] or judged[1]):
                        _scalar(value, name, [], found)
        else:
            items = [n for n in node.value if isinstance(n, scalar_node)]
            flagged = _list_spans(tuple(n.value for n in items))
            for i, item in enumerate(items):
                extra = flagged.get(i)
                if extra:
                    _scalar(item, None, list(extra), found)
                elif len(item.value) >= 8:
                    judged = judged_value(None, item.value)
                    if judged is not None and (judged[0] or judged[1]):
                        _scalar(item, None, [], found)
            stack += [n for n in node.value if not isinstance(n, scalar_node)]


def _scalar(node: Any, name: str | None, extra: list[Span], found: dict[int, tuple[Any, list[Span]]]) -> None:
    value = node.value
    if not value or (name is None and not extra and len(value) < 8):
        return  # too short to be a secret by its shape, and no name says it is one
    judged = _value_spans(name, value)
    if judged is None:
        return
    whole, spans = judged
    if whole:
        _add(found, node, [(0, len(value))])
    elif extra or spans:
        _add(found, node, [*extra, *spans])


# Kept for many values: a setting repeats in every service, and main's file and the live one are
# mostly the same text, so most values and commands are judged once per run instead of four times.
@lru_cache(maxsize=65536)
def _value_spans(name: str | None, value: str) -> tuple[bool, tuple[Span, ...]] | None:
    """(whether the whole value is secret, else the spans to hide in it) for a value held by
    `name`; None for a placeholder already."""
    if PLACEHOLDER_RE.fullmatch(value):
        return None
    if whole_value_secret(name, value):
        return True, ()
    spans = []
    m = _ASSIGNMENT.fullmatch(value) if name is None else None
    if m is not None and whole_value_secret(m.group("name"), m.group("value")):
        spans.append(m.span("value"))  # `- API_TOKEN=…` in an environment list
    spans += secret_spans(value)
    return False, tuple(spans)


@lru_cache(maxsize=16384)
def _list_spans(items: tuple[str, ...]) -> dict[int, tuple[Span, ...]]:
    """Per item of a list of words, the spans that follow a secret flag (a command's `--token X`)."""
    if not any(item[:1] == "-" for item in items):
        return {}  # no flag, no word after one (ports, volumes)
    return {i: tuple(spans) for i, spans in word_list_spans(list(items)).items()}


@lru_cache(maxsize=4096)
def _key_spans(key: str) -> tuple[Span, ...]:
    return tuple(shape_spans(key))


def _add(found: dict[int, tuple[Any, list[Span]]], node: Any, spans: list[Span]) -> None:
    spans = [(s, e) for s, e in spans if e > s and not PLACEHOLDER_RE.fullmatch(node.value[s:e])]
    if spans:
        found.setdefault(id(node), (node, []))[1].extend(spans)


def _quoted(value: str) -> str:
    # JSON's string escapes are YAML's double-quoted escapes; YAML also breaks lines at these.
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("\u2028", "\\L").replace("\u2029", "\\P").replace("\u0085", "\\N")


_PLAIN_SAFE = re.compile(r"(?:[A-Za-z0-9<./$_]|-(?=\S))[^\n,\[\]{}'\"#]*(?<![\s:])")


def _plain_safe(value: str) -> bool:
    """Whether a value reads back as the same string when written plain, in block or flow context."""
    if not _PLAIN_SAFE.fullmatch(value) or ": " in value or " #" in value:
        return False
    from bot.compare.yamlload import load_yaml

    try:
        return load_yaml(f"[{value}]") == [value]
    except ValueError:
        return False


def _rewritten(text: str, node: Any, new_value: str) -> str:
    """The node's new spelling: its anchor kept (aliases point at it), its tag dropped (the value
    is a string now), one double-quoted scalar, and the node's lines kept."""
    start, end = node.start_mark.index, node.end_mark.index
    old = text[start:end]
    props = _PROPS.match(old)
    anchor = " ".join(p for p in (props.group().split() if props else []) if p.startswith("&"))
    breaks = old.count("\n")
    if not breaks and not node.style and _plain_safe(new_value):
        return (anchor + " " if anchor else "") + new_value  # written plain, it stays plain
    head = (anchor + " " if anchor else "") + _quoted(new_value)
    if not breaks:
        return head
    if node.style in ("|", ">"):
        # A block scalar runs to the end of its last line: blank lines stand in for its body.
        return head + "\n" * breaks
    # A flow scalar over several lines ends inside its last line: escaped line breaks keep the
    # lines without adding to the value, indented as the scalar's last line was.
    line_start = text.rfind("\n", 0, end) + 1
    indent = re.match(r"[ \t]*", text[line_start:end]).group()  # type: ignore[union-attr]
    return head[:-1] + ("\\\n" + indent) * breaks + '"'


_COMMENT = re.compile(r"(?m)(?:^|(?<=\s))#.*$")


def _sweep(text: str, values: list[str], redactor: Redactor) -> str:
    """What the nodes do not hold: a secret in a comment (an old value kept "for reference"), and
    the values found repeated elsewhere; kept only as long as the file still reads the same."""
    longest = sorted({v for v in values if len(v) >= _SWEEP_MIN and not PLACEHOLDER_RE.fullmatch(v)}, key=len, reverse=True)
    longest = [v for v in longest if v in text]
    pattern = re.compile("|".join(re.escape(v) for v in longest)) if longest else None

    def comment(m: re.Match[str]) -> str:
        body = m.group()
        body = redactor.mask(body, secret_spans(body))
        return pattern.sub(lambda v: redactor.placeholder(v.group()), body) if pattern else body

    swept = _COMMENT.sub(comment, text) if "#" in text else text
    if pattern is not None:
        everywhere = pattern.sub(lambda v: redactor.placeholder(v.group()), swept)
        if _reads(everywhere):
            return everywhere
    return swept if swept == text or _reads(swept) else text


def _reads(text: str) -> bool:
    from bot.compare.yamlload import compose_node, remember

    try:
        remember(text, compose_node(text))
        return True
    except (yaml.YAMLError, RecursionError, ValueError):
        return False

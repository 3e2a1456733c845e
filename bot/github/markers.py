"""The bot's own text inside a human's issue body: between its markers, and nowhere else.

Every place that edits an issue or PR body goes through `replace_section`, which rewrites
what lies between `<!-- drift-bot:begin NAME -->` and `<!-- drift-bot:end NAME -->` and adds
the section at the end when it is absent. Everything outside the markers is left as it was.
"""
from __future__ import annotations

import json
import re
from typing import Any


def _pattern(name: str) -> re.Pattern[str]:
    n = re.escape(name)
    return re.compile(rf"<!-- drift-bot:begin {n} -->\n?(.*?)\n?<!-- drift-bot:end {n} -->", re.S)


def read_section(body: str | None, name: str) -> str | None:
    m = _pattern(name).search(body or "")
    return m.group(1) if m else None


def replace_section(body: str | None, name: str, content: str) -> str:
    body = body or ""
    block = f"<!-- drift-bot:begin {name} -->\n{content.strip(chr(10))}\n<!-- drift-bot:end {name} -->"
    pattern = _pattern(name)
    if pattern.search(body):
        return pattern.sub(lambda _: block, body, count=1)
    return (body.rstrip("\n") + "\n\n" if body.strip() else "") + block + "\n"


def _state_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- drift-bot:{re.escape(name)} (\{{.*?\}}) -->", re.S)


def read_state(body: str | None, name: str = "state") -> dict[str, Any]:
    """The bot's memory kept in the body (comment ids, hashes): a hidden JSON line."""
    m = _state_re(name).search(body or "")
    if not m:
        return {}
    try:
        value = json.loads(m.group(1))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def state_line(state: dict[str, Any], name: str = "state") -> str:
    # `--` cannot appear inside an HTML comment; JSON escapes keep the line a single comment.
    text = json.dumps(state, sort_keys=True, separators=(",", ":")).replace("--", "-\\u002d")
    return f"<!-- drift-bot:{name} {text} -->"


def write_state(body: str, state: dict[str, Any], name: str = "state") -> str:
    """The body with its state line `name` replaced where it stands (or added at the end)."""
    line = state_line(state, name)
    pattern = _state_re(name)
    if pattern.search(body):
        return pattern.sub(lambda _: line, body, count=1)
    return body.rstrip("\n") + "\n" + line + "\n"

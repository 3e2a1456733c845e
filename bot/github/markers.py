"""markers: every hidden marker and state line the bot writes, read and written here only.

The bot's own text inside a human's issue body lies between its markers, and nowhere else.

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


# --- the hidden markers that name what the bot wrote --------------------------------
# Each is written and read here only: a marker the bot cannot find again is a duplicate
# the next run makes.

BOT_LABEL = "drift-bot"
MEGA_MARKER = "<!-- drift-bot:mega -->"
SLOT_END = "<!-- drift-bot:slot-end -->"
_PR = re.compile(r"<!--\s*drift-bot:pr\s+(\{.*?\})\s*-->", re.S)
_DOCS = re.compile(r"<!-- drift-bot:docs (\{.*?\}) -->")
SLOT = re.compile(r"(<!-- drift-bot:slot (?P<slot>[\w-]+) -->)(?P<content>.*?)(<!-- drift-bot:slot-end -->)", re.S)


def research_marker(key: str) -> str:
    return f"<!-- drift-bot:research {key} -->"


def child_marker(child: str, instance: str | None = None) -> str:
    return f"<!-- drift-bot:child {child}{':' + instance if instance else ''} -->"


def reply_marker(comment_id: int) -> str:
    """The `/drift` reply to one comment: found again, it is edited instead of posted twice."""
    return f"<!-- drift-bot:reply {comment_id} -->"


def slot_marker(slot: str) -> str:
    return f"<!-- drift-bot:slot {slot} -->"


def _json_marker(pattern: re.Pattern[str], body: str | None) -> dict[str, Any] | None:
    m = pattern.search(body or "")
    if not m:
        return None
    try:
        value = json.loads(m.group(1))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def pr_marker(body: str | None) -> dict[str, Any] | None:
    """What the bot noted in a pull request it opened: slug, fingerprint, children."""
    return _json_marker(_PR, body)


def render_marker(data: dict[str, Any]) -> str:
    return f"<!-- drift-bot:pr {json.dumps(data, sort_keys=True, separators=(',', ':'))} -->"


def closed_by_bot(body: str) -> str:
    """The body with its marker saying the bot closed it (a human's close is remembered; this is not)."""
    marker = pr_marker(body)
    if marker is None:
        return body
    return _PR.sub(lambda _: render_marker({**marker, "closed_by_bot": True}), body, count=1)


def docs_marker(fingerprint: str) -> str:
    return "<!-- drift-bot:docs " + json.dumps({"fingerprint": fingerprint}) + " -->"


def docs_fingerprint_of(body: str | None) -> str | None:
    """The content a docs pull request carried, as its body names it."""
    data = _json_marker(_DOCS, body)
    return str(data.get("fingerprint")) if data is not None else None


def slot_content(body: str | None, slot: str) -> str | None:
    """What humans put in an attachment slot of the MEGA; None when the body has no such slot."""
    m = re.search(rf"{re.escape(slot_marker(slot))}(.*?){re.escape(SLOT_END)}", body or "", re.S)
    return m.group(1) if m else None


def has_slots(body: str | None) -> bool:
    return "<!-- drift-bot:slot " in (body or "")


def has_sections(body: str | None) -> bool:
    return "<!-- drift-bot:begin " in (body or "")


def section_before_the_others(body: str, name: str) -> str:
    """The body with an empty section `name` placed before the bot's first section (when it has one
    and not this one yet): a section that sums up the others reads first."""
    if read_section(body, name) is not None or not has_sections(body):
        return body
    at = body.index("<!-- drift-bot:begin ")
    return body[:at] + f"<!-- drift-bot:begin {name} -->\n<!-- drift-bot:end {name} -->\n\n" + body[at:]


# A Markdown link definition nothing refers to: every renderer shows nothing, and MDX reads it as
# Markdown, not as code. It ends a handover page, naming what the page was written as of.
_ENTRY = re.compile(r"\[//\]: # \(drift-bot:handover ([^()\n]*)\)\n?")
_ENTRY_FIELD = re.compile(r"(\w+)=(\S+)")
_ENTRY_WORD = re.compile(r"[\s()]")


def with_entry_line(text: str, fields: dict[str, str]) -> str:
    """`text` with its entry line (replacing any) at the end; a value becomes one word (no space,
    no parenthesis), an empty one `-`."""
    words = " ".join(f"{k}={_ENTRY_WORD.sub('_', v) or '-'}" for k, v in fields.items())
    return _ENTRY.sub("", text).rstrip("\n") + f"\n\n[//]: # (drift-bot:handover {words})\n"


def entry_fields(text: str | None) -> dict[str, str] | None:
    m = _ENTRY.search(text or "")
    if not m:
        return None
    return {k: ("" if v == "-" else v) for k, v in _ENTRY_FIELD.findall(m.group(1))}

"""Escaping for MDX pages: every value that reaches a docs page goes through one of these.

MDX reads more of a page as syntax than Markdown does: `{…}` is a JavaScript expression,
`<…` a JSX tag (so `<!-- -->` is an error, not a comment), a line starting with `import` or
`export` is an ES module statement. A value from the host (a service name, an env value, a
PR title) must come out as the same text a reader sees, never as code. Inline text is
therefore backslash-escaped for every character that can start a construct, and code spans
pick a fence longer than any run of backticks inside. The tests hold this against the real
compiler with hostile strings (tests/test_mdx.py).
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# Every ASCII punctuation character may be backslash-escaped in CommonMark (and MDX keeps
# that); these are the ones that can open or close something in MDX, GFM tables included.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_NEWLINES = re.compile(r"\r\n|\r|\n|\t")
# At the start of a line these open a block (list item, setext underline, ordered list, ESM).
_LEADING_MARK = re.compile(r"^(\s*)([-+=])")
_LEADING_ORDINAL = re.compile(r"^(\s*\d{1,9})([.)])")
_LEADING_ESM = re.compile(r"^(\s*)([ie])(mport|xport)\b")
# GFM turns `http://…` and `www.…` into links by themselves, and such a link swallows the
# backslash of an escape after it (`http://x/\<a` would open a tag): break the literal.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp)(:)|(www)(\.)")


def _flat(value: Any) -> str:
    """One line of plain text: control characters and line breaks become spaces."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(" ", _NEWLINES.sub(" ", text))


def mdx(value: Any) -> str:
    """Text that renders as exactly `value` (on one line) wherever inline text may stand,
    table cells included."""
    if value is None:
        return ""
    text = _SPECIAL.sub(r"\\\1", _flat(value))
    text = _AUTOLINK.sub(lambda m: f"{m[1] or m[3]}\\{m[2] or m[4]}", text)
    text = _LEADING_MARK.sub(r"\1\\\2", text)
    text = _LEADING_ORDINAL.sub(r"\1\\\2", text)
    # A letter cannot be backslash-escaped; a character reference keeps `import x` a sentence.
    return _LEADING_ESM.sub(lambda m: f"{m[1]}&#x{ord(m[2]):x};{m[3]}", text)


def mdx_code(value: Any, table: bool = False) -> str:
    """`value` as an inline code span. In a table cell a pipe needs a backslash even inside
    code, and a backslash right before a pipe cannot be written there at all: such a value is
    given as escaped text instead."""
    if value is None:
        return ""
    text = _flat(value)
    if text == "":
        return "_(empty)_"
    if table and "|" in text:
        if "\\|" in text:
            return mdx(text)
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end when both are spaces: pad so it strips ours.
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ") and text.strip(" ")):
        text = f" {text} "
    return f"{fence}{text}{fence}"


_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# GFM links bare URLs, `www.` names and e-mail addresses after parsing, from the text itself, so no
# escape stops it; a word joiner (invisible, no width) inside each opener does.
_LITERAL_LINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def mdx_heading(value: Any) -> str:
    """Text for a heading: escaped as `mdx`, and no bare URL or address that GFM would make a
    link. The docs site makes every heading (and its "On this page" entry) a link, and a link
    inside a link is invalid HTML that breaks the page's hydration."""
    return mdx(_LITERAL_LINK.sub(WORD_JOINER, _flat("" if value is None else value)))


def mdx_prose(value: Any) -> str:
    """A sentence written by the checks, where `…` marks code (a Caddyfile line to add): those
    spans become code spans, the rest is escaped text, so the reader sees neither a backtick
    nor a backslash. A lone backtick stays a literal backtick."""
    if value is None:
        return ""
    text = _flat(value)
    out, at = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(mdx(text[at:m.start()]) + mdx_code(m[1]))
        at = m.end()
    return "".join(out) + mdx(text[at:])


def mdx_cell(value: Any) -> str:
    """A table cell: escaped text (pipes included)."""
    return mdx(value)


def yaml_str(value: Any) -> str:
    """A double-quoted YAML scalar for the frontmatter, on one line, readable by any YAML 1.1
    or 1.2 parser: what YAML cannot hold raw is written as an escape."""
    out = []
    for ch in _NEWLINES.sub(" ", "" if value is None else str(value)):
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif o in (0x09,) or 0x20 <= o <= 0x7E or o == 0x85 or 0xA0 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000:
            out.append(ch)
        elif o <= 0xFF:
            out.append(f"\\x{o:02x}")
        else:
            out.append(f"\\u{o:04x}")
    return '"' + "".join(out) + '"'


def short(value: Any, width: int = 60) -> str:
    """A value on one line, cut in the middle of nothing: compact JSON for lists and maps."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    text = _flat(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def mdx_evidence(ev: Mapping[str, Any] | None, *, table: bool = False) -> str:
    """Where a finding can be checked: a file and line in the snapshot, or in main at a commit."""
    if not ev:
        return ""
    where = ev.get("file")
    if where and ev.get("line"):
        where = f"{where}:{ev['line']}"
    at = str(ev.get("at") or "")
    code = lambda v: mdx_code(v, table=table)  # noqa: E731 - local shorthand
    if ev.get("side") == "main":
        place = f"{code(where)} in main at {code(at[:7])}" if where else f"main at {code(at[:7])}"
    elif where:
        place = f"{code(where)} in snapshot {code(at)}" if at else code(where)
    else:
        place = f"snapshot {code(at)}" if at else ""
    if ev.get("container"):
        place += ("; " if place else "") + f"container {code(ev['container'])}"
    return place


FILTERS = {
    "mdx": mdx,
    "mdx_code": mdx_code,
    "mdx_cell": mdx_cell,
    "mdx_prose": mdx_prose,
    "mdx_heading": mdx_heading,
    "mdx_evidence": mdx_evidence,
    "yaml_str": yaml_str,
    "short": short,
}


def register(env: Any) -> Any:
    """Add the MDX filters to a Jinja2 environment (safe to call more than once)."""
    env.filters.update(FILTERS)
    return env

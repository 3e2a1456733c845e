"""Secrets in files read line by line: `.env` by entry, a Dockerfile by instruction, a Caddyfile by
directive, any other text (and YAML that cannot be read) by assignment and shape.

Each reader finds the span of every secret value in the text and the text is rewritten span by
span, so that every line keeps its number and the file reads the same with placeholders.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from bot.secrets.placeholders import PLACEHOLDER_RE, Redaction, Redactor
from bot.secrets.names import holds_secret, is_reference, name_strength
from bot.secrets.shapes import Span, merged, secret_spans, whole_value_secret, word_list_spans, words

# --- .env ---------------------------------------------------------------------------------------

_ENV_KEY = re.compile(r"[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=[ \t]*")


def _dotenv_values(text: str) -> Iterator[tuple[str, int, int, str]]:
    """(key, start, end, quote) of every value, as compose reads a `.env`: a quoted value may run
    over lines; an unquoted one ends at ` #`."""
    pos = 0
    while pos < len(text):
        eol = text.find("\n", pos)
        eol = len(text) if eol == -1 else eol
        m = _ENV_KEY.match(text, pos, eol)
        if m is None:
            pos = eol + 1
            continue
        start = m.end()
        quote = text[start : start + 1]
        if quote in ("'", '"'):
            i = start + 1
            while i < len(text) and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
            end = min(i + 1, len(text))
            yield m.group("key"), start, end, quote
            nl = text.find("\n", end)
            pos = len(text) if nl == -1 else nl + 1
            continue
        comment = re.search(r"[ \t]#", text[start:eol])
        end = start + comment.start() if comment else eol
        while end > start and text[end - 1] in " \t\r":
            end -= 1
        yield m.group("key"), start, end, ""
        pos = eol + 1


def _dotenv_spans(text: str) -> list[Span]:
    out: list[Span] = []
    covered: list[Span] = []
    for key, start, end, quote in _dotenv_values(text):
        covered.append((text.rfind("\n", 0, start) + 1, end))
        inner = (start + 1, end - 1) if quote and end - start >= 2 and text[end - 1] == quote else (start + len(quote), end)
        value = text[inner[0] : inner[1]]
        if whole_value_secret(key, value):
            out.append(inner)
        else:
            out += [(inner[0] + s, inner[0] + e) for s, e in secret_spans(value)]
    # Every other line (a comment keeping an old value "for reference", a line compose cannot
    # read, such as `PASSWORD hunter2`) is read as any text is.
    pos, i = 0, 0
    for line in text.split("\n"):
        while i < len(covered) and covered[i][1] <= pos:
            i += 1
        if not (i < len(covered) and covered[i][0] <= pos):
            out += [(pos + s, pos + e) for s, e in _text_spans(line)]
        pos += len(line) + 1
    return out


# --- Dockerfile ---------------------------------------------------------------------------------

def _instructions(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every instruction, continuation lines included."""
    pos = 0
    while pos < len(text):
        start = pos
        while True:
            eol = text.find("\n", pos)
            eol = len(text) if eol == -1 else eol
            line = text[pos:eol]
            pos = eol + 1
            if not line.rstrip().endswith("\\") or line.lstrip().startswith("#") or pos >= len(text):
                break
        yield start, min(eol, len(text))


_JSON_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _dockerfile_spans(text: str) -> list[Span]:
    out: list[Span] = []
    for start, end in _instructions(text):
        body = text[start:end]
        spans = secret_spans(body)
        head = re.match(r"\s*(?P<kw>[A-Za-z]+)\s+", body)
        keyword = head.group("kw").upper() if head else ""
        ws = [w for w in words(body) if w[0] != "\\"]
        if keyword in ("ENV", "ARG", "LABEL") and head is not None:
            args = [w for w in ws if w[1] >= head.end()]
            if args and "=" not in args[0][0] and keyword == "ENV" and len(args) > 1:
                # `ENV NAME value…`: the rest of the instruction is the value
                if whole_value_secret(args[0][0], body[args[1][1] :].strip()):
                    spans.append((args[1][1], len(body.rstrip())))
            for word, s, _ in args:
                name, eq, value = word.partition("=")
                if eq and whole_value_secret(name, value.strip("\"'")):
                    q = 1 if value[:1] in "\"'" and len(value) >= 2 and value[-1] == value[0] else 0
                    spans.append((s + len(name) + 1 + q, s + len(word) - q))
        items = list(_JSON_STRING.finditer(body)) if body.lstrip()[len(keyword):].lstrip().startswith("[") else []
        if items:  # exec form: ["serve", "--api-key", "…"]
            for i, found in word_list_spans([m.group(1) for m in items]).items():
                base = items[i].start(1)
                spans += [(base + s, base + e) for s, e in found]
        out += [(start + s, start + e) for s, e in spans]
    return out


# --- Caddyfile and any other text ---------------------------------------------------------------

_SETTING = re.compile(r"-{0,2}[A-Za-z_][A-Za-z0-9_.\-]*")
_BASIC_AUTH = re.compile(r"basic_?auth\b")


def _spaced_value(word: str, first: tuple[str, int, int]) -> tuple[int, int, str] | None:
    """The value after `Name ` where prose cannot be taken for one: a quoted value after a name
    that is not all lower case (`Authorization "Bearer …"`), one word after a name spelt like a
    setting (`--api-key x`, `NPM_TOKEN x`, `apiKey x`)."""
    if _SETTING.fullmatch(word) is None:
        return None
    if first[0][:1] in "\"'":
        return None if word.islower() else first[1], first[2], first[0]
    setting = word.startswith("-") or any(c in "_-." for c in word) or any(c.isupper() for c in word[1:])
    return (first[1], first[2], first[0]) if setting else None


def _named_words(text: str, *, caddy: bool) -> list[Span]:
    """`Name value` on a line: a header (`Authorization "Bearer …"`), a directive, a flag; in a
    Caddyfile the users of a `basic_auth` block (`user hash`)."""
    out: list[Span] = []
    depth_auth: int | None = None
    depth = 0
    pos = 0
    for line in text.split("\n"):
        ws = words(line)
        stripped = line.strip()
        if caddy and ws and _BASIC_AUTH.match(ws[0][0]) and stripped.endswith("{"):
            depth_auth = depth
        elif depth_auth is not None and depth == depth_auth + 1 and len(ws) >= 2 and ws[0][0] != "}":
            out += [(pos + s, pos + e) for _, s, e in ws[1:2]]  # `user hash`
        if stripped.startswith("#"):
            ws = []
        for i, (word, _, _) in enumerate(ws[:-1]):
            value = _spaced_value(word, ws[i + 1])
            if value is None or value[2].endswith("{"):
                continue  # prose ("the token (see below)"), or a block opening
            s, e, text = value
            # A value taken from the environment (`{env.TOKEN}`) is hidden too, so that main's
            # reference and the host's value compare alike: both say "set on the host".
            if holds_secret(word.lstrip("-"), text.strip("\"'")):
                if text[:1] in "\"'" and text[-1:] == text[:1] and len(text) >= 2:
                    s, e = s + 1, e - 1
                out.append((pos + s, pos + e))
                break
        depth += line.count("{") - line.count("}")
        if depth_auth is not None and depth <= depth_auth:
            depth_auth = None
        pos += len(line) + 1
    return out


def _text_spans(text: str, caddy: bool = False) -> list[Span]:
    out: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        out += [(pos + s, pos + e) for s, e in secret_spans(line)]
        pos += len(line) + 1
    return out + _named_words(text, caddy=caddy)


_YAML_KEY = re.compile(r"""(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<q>["']?)(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?P=q)[ \t]*:(?:[ \t]+|$)""")
_YAML_PROPS = re.compile(r"(?:[&!][^\s]*[ \t]+)*(?:[|>][-+0-9]*)?[ \t]*")


def _yaml_fallback(text: str) -> list[Span]:
    """For YAML that cannot be read (the comparison says why): under a key named like a secret,
    the rest of its line, or the lines below it when the value starts there (a block, a value on
    the next line), whatever their spelling. Coarser than reading the nodes, never looser."""
    out: list[Span] = []
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for n, line in enumerate(lines):
        m = _YAML_KEY.match(line)
        if not m or not name_strength(m.group("name")):
            continue
        props = _YAML_PROPS.match(line, m.end())
        start = props.end() if props else m.end()
        rest = line[start:]
        comment = re.search(r"[ \t]#", rest)
        end = start + (comment.start() if comment else len(rest.rstrip()))
        if end > start:
            if holds_secret(m.group("name"), line[start:end].strip("\"'")):
                out.append((offsets[n] + start, offsets[n] + end))
            continue
        indent = len(m.group("indent"))
        for k in range(n + 1, len(lines)):
            body = lines[k].strip()
            if body and len(lines[k]) - len(lines[k].lstrip()) <= indent:
                break
            if body:
                lead = len(lines[k]) - len(lines[k].lstrip())
                out.append((offsets[k] + lead, offsets[k] + len(lines[k].rstrip())))
    return out


_BY_KIND = {
    "dotenv": _dotenv_spans,
    "dockerfile": _dockerfile_spans,
    "caddyfile": lambda t: _text_spans(t, caddy=True),
    "text": _text_spans,
    "yaml": lambda t: _text_spans(t) + _yaml_fallback(t),
}


def redact_lines(text: str, kind: str, redactor: Redactor) -> Redaction:
    spans = [(s, e) for s, e in merged(_BY_KIND[kind](text))
             if not PLACEHOLDER_RE.fullmatch(text[s:e]) and not is_reference(text[s:e])]
    if not spans:
        return Redaction(text, 0)
    out, pos = [], 0
    for s, e in spans:
        piece, breaks = text[s:e], "\n" * text.count("\n", s, e)
        if breaks and 0 < s and e < len(text) and text[s - 1] == text[e] and text[e] in "\"'":
            # a quoted value over several lines: the lines it took stay, after its closing quote
            out += [text[pos:s], redactor.placeholder(piece) + text[e] + breaks]
            pos = e + 1
        else:
            out += [text[pos:s], redactor.placeholder(piece) + breaks]
            pos = e
    out.append(text[pos:])
    return Redaction("".join(out), len(spans))

"""`.env` files by key, as compose reads them (`KEY=value`, `export`, quotes, `#` comments)."""
from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*(?:(?P<eq>=)\s*(?P<value>.*))?$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


class DotenvError(ValueError):
    def __init__(self, message: str, line: int):
        self.line = line
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class EnvEntry:
    key: str
    value: str | None  # None: the key is named without `=`, so compose takes it from the shell
    line: int


def _quoted(lines: list[str], n: int, raw: str) -> tuple[str, int]:
    """The value of `raw` (starting with its quote, on line index `n`) and the index of its last line.

    As compose reads it: up to the closing quote, across lines; `\\` escapes the quote in
    both kinds, and the usual escapes are read inside double quotes only.
    """
    quote, out, escaped, i, last = raw[0], [], False, 1, n
    while True:
        while i < len(raw):
            c = raw[i]
            i += 1
            if escaped:
                escaped = False
                if c == quote:
                    out.append(c)
                else:
                    out.append(_ESCAPES.get(c, "\\" + c) if quote == '"' else "\\" + c)
            elif c == "\\":
                escaped = True
            elif c == quote:
                return "".join(out), last
            else:
                out.append(c)
        last += 1
        if last >= len(lines):
            kind = "double" if quote == '"' else "single"
            raise DotenvError(f"a {kind}-quoted value is not closed", n + 1)
        raw += "\n" + lines[last]


def parse_dotenv(text: str) -> dict[str, EnvEntry]:
    """Keys in file order; a key set twice keeps its last value, as compose does."""
    entries: dict[str, EnvEntry] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    n = 0
    while n < len(lines):
        line, number = lines[n], n + 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            n += 1
            continue
        m = _LINE.match(line)
        if not m:
            # Never the line itself: what cannot be read cannot be told from a secret either.
            raise DotenvError("is not KEY=value (a name, `=`, then the value)", number)
        key, value = m.group("key"), None
        if m.group("eq"):
            raw = (m.group("value") or "").strip()
            if raw[:1] in ("'", '"'):
                value, n = _quoted(lines, n, raw)
            else:
                value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
        entries.pop(key, None)
        entries[key] = EnvEntry(key, value, number)
        n += 1
    return entries

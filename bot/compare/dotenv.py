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


def _unquote(raw: str, line: int) -> str:
    raw = raw.strip()
    if raw[:1] == "'":
        end = raw.find("'", 1)
        if end < 0:
            raise DotenvError("a single-quoted value is not closed", line)
        return raw[1:end]
    if raw[:1] == '"':
        out, i = [], 1
        while i < len(raw):
            c = raw[i]
            if c == "\\" and i + 1 < len(raw):
                out.append(_ESCAPES.get(raw[i + 1], "\\" + raw[i + 1]))
                i += 2
                continue
            if c == '"':
                return "".join(out)
            out.append(c)
            i += 1
        raise DotenvError("a double-quoted value is not closed", line)
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def parse_dotenv(text: str) -> dict[str, EnvEntry]:
    """Keys in file order; a key set twice keeps its last value, as compose does."""
    entries: dict[str, EnvEntry] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            shown = stripped if len(stripped) <= 40 else stripped[:37] + "..."
            raise DotenvError(f"`{shown}` is not KEY=value", n)
        key = m.group("key")
        value = _unquote(m.group("value") or "", n) if m.group("eq") else None
        entries.pop(key, None)
        entries[key] = EnvEntry(key, value, n)
    return entries

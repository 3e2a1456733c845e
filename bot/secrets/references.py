"""What a pull request writes where a secret stood: a reference to a variable the host fills in.

The variable is named by what the file says about the value: the flag before it (`--api-key
${API_KEY}`), the name it is assigned to (`TOKEN=${TOKEN}`), the key that holds it, or the URL it
is the password of (`postgres://voice:${DATABASE_URL_PASSWORD}@db`). A whole list item stays one
item (`- ${API_KEY}` after `- --api-key`), never the list's name (`- ${COMMAND}`).
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from bot.secrets.placeholders import PLACEHOLDER_RE

_FLAG_BEFORE = re.compile(r"(?:^|\s)--?(?P<name>[A-Za-z][A-Za-z0-9_.\-]+)(?:=|\s+)[\"']?$")
_ASSIGN_BEFORE = re.compile(r"[\"']?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[\"']?\s*(?:=|:\s*)[\"']?$")
_URL_BEFORE = re.compile(r"://[^\s:/@]*:$")
_NAME_BEFORE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]+[\"']?(?:Bearer |Basic |Token )?$")


def env_name(name: str) -> str:
    """A variable name compose and the shell accept."""
    out = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_").upper()
    return out if out and not out[0].isdigit() else f"SECRET_{out}".rstrip("_")


def _name(before: str, key: str | None) -> str:
    for pattern in (_FLAG_BEFORE, _ASSIGN_BEFORE):
        m = pattern.search(before)
        if m is not None and len(m.group("name")) > 1:
            return env_name(m.group("name"))
    if _URL_BEFORE.search(before):
        return env_name(f"{key or 'URL'}_PASSWORD")
    m = _NAME_BEFORE.search(before)
    if m is not None and key is None:
        return env_name(m.group("name"))
    if key is None:
        return "SECRET"
    return env_name(key) if not before.strip() else env_name(f"{key}_SECRET")


def referenced(value: str, key: str | None = None, before: str = "",
               spell: Callable[[str], str] = lambda n: "${" + n + "}") -> tuple[str, tuple[str, ...]]:
    """`value` with each placeholder replaced by a reference, and the variables referenced.

    `key` is the name holding the value; `before` what stands before it (the previous word of a
    command list); `spell` writes a reference (`${NAME}` for compose and Dockerfiles,
    `{env.NAME}` for a Caddyfile, nothing for an env example).
    """
    names: list[str] = []
    out, pos = [], 0
    for m in PLACEHOLDER_RE.finditer(value):
        name = _name(before + value[: m.start()], key)
        while name in names:
            name = f"{name}_{sum(n.startswith(name) for n in names) + 1}"
        names.append(name)
        out += [value[pos : m.start()], spell(name)]
        pos = m.end()
    out.append(value[pos:])
    return "".join(out), tuple(names)


def referenced_in(value: Any, key: str | None = None) -> tuple[Any, tuple[str, ...]]:
    """The same through lists (a command's words) and maps (an environment), changed in place so
    that what holds no secret keeps its spelling (a quoted `"80"` stays quoted)."""
    if isinstance(value, str):
        return (referenced(value, key) if PLACEHOLDER_RE.search(value) else (value, ()))
    names: list[str] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            before = (str(value[i - 1]) + " ") if i and isinstance(value[i - 1], str) else ""
            if isinstance(item, str):
                if PLACEHOLDER_RE.search(item):
                    value[i], found = referenced(item, key, before)
                    names += found
            else:
                value[i], found = referenced_in(item, key)
                names += found
    elif isinstance(value, dict):
        for k in list(value):
            value[k], found = referenced_in(value[k], str(k))
            names += found
    return value, tuple(names)


def referenced_names(divergence: Any) -> tuple[str, ...]:
    """The variables a pull request refers to for a secret divergence, named as the edit names them."""
    key = divergence.pointer.rsplit("/", 1)[-1] or None
    value = copy.deepcopy(divergence.after)
    names = referenced_in(value, key)[1]
    return names or ((env_name(key),) if key else ())

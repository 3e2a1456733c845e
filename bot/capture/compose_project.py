"""The compose project as `docker compose` loads it: each file interpolated with the project's
variables (`${VAR:-default}` and the rest), normalised, and the files merged in `-f` order.
Pure: the texts and the variables are given."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.compare.compose import load_compose, normalize

# Stands for a value compose would take from somewhere we cannot see (the operator's shell
# when `up` ran, an env_file that is not tracked): a field holding it is not compared.
UNRESOLVED = "\x00unresolved\x00"


# --- interpolation ----------------------------------------------------------------------

_VAR_START = re.compile(r"\$(?:(\$)|\{|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: Any, variables: Mapping[str, str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR:?err}`, `$VAR`, `$$`.

    A variable absent from `variables` with no default becomes UNRESOLVED.
    """
    if isinstance(value, dict):
        return {k: interpolate(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, variables) for v in value]
    if isinstance(value, str) and "$" in value:
        return _interpolate_str(value, variables)
    return value


def _interpolate_str(s: str, variables: Mapping[str, str]) -> str:
    out: list[str] = []
    pos = 0
    while True:
        m = _VAR_START.search(s, pos)
        if not m:
            out.append(s[pos:])
            return "".join(out)
        out.append(s[pos : m.start()])
        if m.group(1):  # $$
            out.append("$")
            pos = m.end()
        elif m.group(2):  # $VAR
            out.append(variables.get(m.group(2), UNRESOLVED))
            pos = m.end()
        else:  # ${...}, possibly nesting another ${...} in its default
            depth, i = 1, m.end()
            while i < len(s) and depth:
                if s.startswith("${", i):
                    depth, i = depth + 1, i + 2
                    continue
                depth -= s[i] == "}"
                i += 1
            if depth:
                out.append(UNRESOLVED)
                return "".join(out)
            out.append(_expand(s[m.end() : i - 1], variables))
            pos = i

_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?", re.DOTALL)


def _expand(body: str, variables: Mapping[str, str]) -> str:
    m = _BRACED.fullmatch(body)
    if not m:
        return UNRESOLVED
    name, op, arg = m.group(1), m.group(2), m.group(3) or ""
    value = variables.get(name)
    if op is None:
        return UNRESOLVED if value is None else value
    empty_counts = op.startswith(":")
    unset = value is None or (empty_counts and value == "")
    if op.endswith("-"):
        return _interpolate_str(arg, variables) if unset else value  # type: ignore[return-value]
    if op.endswith("+"):
        return "" if unset else _interpolate_str(arg, variables)
    return UNRESOLVED if unset else value  # type: ignore[return-value]  # `?`: compose would refuse


def _unresolved(value: Any) -> bool:
    if isinstance(value, str):
        return UNRESOLVED in value
    if isinstance(value, dict):
        return any(_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_unresolved(v) for v in value)
    return False


# --- several compose files -------------------------------------------------------------

def merge_compose(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Normalised documents merged in order, as `-f a.yml -f b.yml` would (mappings merge,
    ports add up, volumes replace by target, other lists are replaced)."""
    merged: dict[str, Any] = {}
    for doc in docs:
        merged = _merge(merged, doc, ())
    return merged


def _merge(base: Any, over: Any, path: tuple[str, ...]) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value, path + (key,)) if key in base else value
        return out
    in_service = len(path) == 3 and path[0] == "services"
    if in_service and path[2] == "ports" and isinstance(base, list) and isinstance(over, list):
        return base + [p for p in over if p not in base]
    if in_service and path[2] == "volumes" and isinstance(base, list) and isinstance(over, list):
        targets = {v.get("target") for v in over if isinstance(v, dict)}
        return [v for v in base if not (isinstance(v, dict) and v.get("target") in targets)] + over
    return over


def project_model(texts: Sequence[tuple[str, str]], variables: Mapping[str, str]) -> dict[str, Any]:
    """(name, text) of each compose file, in `-f` order: loaded, interpolated, normalised, merged.

    Raises ComposeParseError for a file that is not valid YAML.
    """
    return merge_compose([normalize(interpolate(load_compose(text, name), variables)) for name, text in texts])

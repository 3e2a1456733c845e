"""Two normalised compose documents walked together: each divergence at the deepest key whose
values differ, named by a JSON pointer; secrets compared by presence alone."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.compare.compose_declarations import NAMED, without_unused
from bot.secrets import PLACEHOLDER_RE, holds_secret


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _holds_secret(path: tuple[str, ...], a: Any, b: Any) -> bool:
    """Secrets live on the host, never in git: such a value is compared by presence alone.

    A redacted value is one wherever it stands. A name says a value is secret only for a
    variable of an environment-like map (`HF_TOKEN` under `environment`); a section, a service
    or any other key named like a secret (`secrets:`, `livekit-token-server`) holds plain settings.
    """
    if _has_token(a) or _has_token(b):
        return True
    scalars = not isinstance(a, (dict, list)) and not isinstance(b, (dict, list))
    return scalars and _is_variable(path) and (holds_secret(path[-1], str(a)) or holds_secret(path[-1], str(b)))


# (position, section) of the maps whose keys are variable names, within a service or a
# top-level volume or network: `services/<name>/environment/<VAR>`, `services/<name>/build/args/<VAR>`.
_VARIABLE_MAPS = {
    ("services", 4): {("environment",), ("labels",), ("annotations",)},
    ("services", 5): {("build", "args"), ("build", "labels"), ("logging", "options")},
    ("volumes", 4): {("driver_opts",), ("labels",)},
    ("networks", 4): {("driver_opts",), ("labels",)},
}


def _is_variable(path: tuple[str, ...]) -> bool:
    maps = _VARIABLE_MAPS.get((path[0], len(path)))
    return maps is not None and path[2:-1] in maps


def _has_token(value: Any) -> bool:
    return isinstance(value, str) and bool(PLACEHOLDER_RE.search(value))


def _by_key(path: tuple[str, ...]) -> bool:
    """Whether a mapping added or removed at `path` is reported key by key, or as one entry.

    Settings blocks go key by key, so that routes and ignores can name one key; an entry of a
    map keyed by names (a service, a volume, a dependency, a service's network) is one thing.
    """
    if len(path) == 1:
        return (path[0],) in NAMED
    if len(path) == 2:
        return False
    return not (len(path) == 4 and path[0] == "services" and path[2] in ("depends_on", "networks"))


def _implicit(path: tuple[str, ...]) -> Any:
    """What compose takes for a key left out, where that is not nothing: a service without
    `networks:` is on the default network (so `[default, edge]` against none adds `edge` only)."""
    if len(path) == 3 and path[0] == "services" and path[2] == "networks":
        return {"default": {}}
    return None


def walk(a: Any, b: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, Any, Any]]:
    """Yield (path, kind, before, after) at the deepest mapping key whose values differ."""
    if not path and isinstance(a, dict) and isinstance(b, dict):
        a, b = without_unused(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            here = path + (str(key),)
            implicit = _implicit(here) if key not in a or key not in b else None
            if implicit is not None:
                if a.get(key, implicit) != b.get(key, implicit):
                    yield from walk(a.get(key, implicit), b.get(key, implicit), here)
            elif key not in b:
                if isinstance(a[key], dict) and _by_key(here):
                    yield from walk(a[key], {}, here)
                else:
                    yield here, "removed", a[key], None
            elif key not in a:
                if isinstance(b[key], dict) and _by_key(here):
                    yield from walk({}, b[key], here)
                else:
                    yield here, "added", None, b[key]
            elif a[key] != b[key] and not _holds_secret(here, a[key], b[key]):
                yield from walk(a[key], b[key], here)
        return
    yield path, "changed", a, b


def pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + escape_token(p) for p in path)

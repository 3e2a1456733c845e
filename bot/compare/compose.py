"""Compose files as data: normalise both sides to one spelling, then walk them together.

Normalisation follows what `docker compose config` itself prints, so that two files compose
would run identically never show a divergence: environment and label lists become maps of
strings, short port and volume syntax becomes long syntax, string commands become word
lists, durations become Go duration strings ("1m30s"), CPU counts become numbers, and null,
empty, `false` and absent agree where compose treats them alike. What compose would refuse
(a field of the wrong type, an anchor holding itself) is a ComposeParseError naming the place.

This module reads a file and normalises it as a whole; the parts live beside it:
compose_spellings (scalars), compose_service (a service's fields), compose_declarations
(top-level entries no service uses), compose_walk (two documents walked together).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.compare.compose_declarations import NAMED, unused_in
from bot.compare.compose_service import ComposeParseError, normalize_service, prune, without_false
from bot.compare.compose_spellings import format_duration, go_string, parse_duration
from bot.compare.compose_walk import escape_token, pointer, walk
from bot.compare.typed import coerce
from bot.compare.yamlload import YamlError, load_yaml
from bot.compare.yamllines import locate_line

# What the comparison, the checks, the editing and the runtime comparison import from here.
__all__ = ["ComposeParseError", "drift_ignores", "escape_token", "format_duration", "go_string", "load_compose",
           "locate_line", "normalize", "parse_duration", "parsed", "pointer", "unused_in", "walk"]


def load_compose(text: str, name: str = "compose file") -> dict[str, Any]:
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        raise ComposeParseError(exc.message, exc.line, exc.column) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ComposeParseError(f"{name} is not a mapping at the top level")
    services = doc.get("services")
    if services is not None and not isinstance(services, dict):
        raise ComposeParseError(f"`services` in {name} is not a mapping")
    return doc


@lru_cache(maxsize=16)
def parsed(text: str, name: str = "compose file") -> tuple[dict[str, Any], dict[str, Any]]:
    """(raw, normalised) for a compose text, parsed once per run whoever asks (compare, checks).

    Callers must not mutate what they get: the same objects are handed to every caller.
    """
    raw = load_compose(text, name)
    return raw, normalize(raw, shared=True)


# Top-level entries' flags compose prints only when true.
_ENTRY_FLAGS = ("external", "internal", "attachable")


def normalize(doc: dict[str, Any], *, shared: bool = False) -> dict[str, Any]:
    """The whole file in compose's canonical spelling (idempotent: normalize(normalize(d)) == normalize(d)).

    Raises ComposeParseError for what compose would refuse, naming the place. `shared`: a
    service written as one already normalised this run (main's file and the live one share
    most) is not converted again but handed out again, the same object, for callers that only
    read what they get.
    """
    try:
        keys: dict[Any, tuple[str, str]] = {}
        known: dict[Any, Any] = {}
        services = doc.get("services") if shared and isinstance(doc, dict) else None
        if isinstance(services, dict):
            keys = {name: (f"services.{name}", repr(svc)) for name, svc in services.items() if isinstance(svc, dict)}
            known = {name: _SERVICES[key] for name, key in keys.items() if key in _SERVICES}
            if known:
                doc = {**doc, "services": {name: {} if name in known else svc for name, svc in services.items()}}
        return _normalize(coerce(doc), keys, known)
    except ComposeParseError:
        raise
    except RecursionError:
        raise ComposeParseError("an anchor's value holds an alias of itself (a cycle compose refuses)") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # A shape no guard above foresaw: still one line about the file, not a traceback.
        # The exception's text may quote a value, which may be a secret: its kind only.
        raise ComposeParseError(f"a value compose would not read ({type(exc).__name__})") from None


# Services normalised with `shared`, by place and content as written (repr tells 1, "1", 1.0
# and True apart; the conversion of typed fields follows from what is written).
_SERVICES: dict[tuple[str, str], Any] = {}
_KEEP_SERVICES = 2048  # main's and the live file's services of a large stack; a few MB at most


def _service(svc: Any, name: Any, keys: dict[Any, tuple[str, str]]) -> Any:
    done = normalize_service(svc, f"services.{name}")
    if name in keys:
        if len(_SERVICES) >= _KEEP_SERVICES:
            _SERVICES.clear()
        _SERVICES[keys[name]] = done
    return done


def _normalize(doc: dict[str, Any], keys: dict[Any, tuple[str, str]], known: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in ("version", "x-drift"):
            continue  # `version` is obsolete and ignored by compose; x-drift is ours
        if key == "services" and isinstance(value, dict):
            out[key] = {str(name): known[name] if name in known else _service(svc, name, keys)
                        for name, svc in value.items()}
        elif (key,) in NAMED and isinstance(value, dict):
            entries = {str(name): prune(without_false(spec, _ENTRY_FLAGS), keep_none=False) if isinstance(spec, dict) else {}
                       for name, spec in value.items()}
            if entries:  # `volumes: {}` declares nothing
                out[key] = entries
        elif value is not None and value != {} and value != []:
            out[key] = value
    return out


def drift_ignores(doc: dict[str, Any]) -> list[str]:
    """Pointer globs from `x-drift: {ignore: [...]}` at the top (absolute) or on a service (relative to it)."""
    globs = ["/" + g.lstrip("/") for g in _ignore_globs(doc.get("x-drift"), "x-drift")]
    services = doc.get("services")
    for name, svc in (services.items() if isinstance(services, dict) else ()):
        base = "/services/" + escape_token(str(name))
        ext = svc.get("x-drift") if isinstance(svc, dict) else None
        globs += [base + "/" + g.lstrip("/") for g in _ignore_globs(ext, f"services.{name}.x-drift")]
    return globs


def _ignore_globs(ext: Any, where: str) -> list[str]:
    if ext is None:
        return []
    if not isinstance(ext, dict):
        raise ComposeParseError(f"{where} must be a mapping (`ignore: [pointer globs]`)")
    ignore = ext.get("ignore")
    if ignore is None:
        return []
    if isinstance(ignore, str):
        ignore = [ignore]
    if not isinstance(ignore, list) or not all(isinstance(g, str) for g in ignore):
        raise ComposeParseError(f"{where}.ignore must be a list of pointer globs")
    return ignore


"""JSON Schemas of what drift-bot reads (`schema/*.schema.json`), and their errors as one line each.

The schema is the single source of what a file may say; this module turns each jsonschema error
into a sentence a person can act on: where (the key path, and the line when the caller can tell
it), what is wrong, and for a misspelt key or value the nearest right one. A schema may give a
subschema its own wording with `x-message` (what follows the key's name) or `x-says` (the whole
sentence); validators ignore both.
"""
from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

_TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "a whole number",
          "number": "a number", "boolean": "true or false", "null": "empty"}


@lru_cache(maxsize=4)
def load_schema(name: str) -> dict[str, Any]:
    """`schema/<name>.schema.json`, from the checkout or, installed, from the package data."""
    here = Path(__file__).resolve().parent.parent / "schema" / f"{name}.schema.json"
    if here.is_file():
        return json.loads(here.read_text(encoding="utf-8"))
    from importlib import resources

    return json.loads((resources.files("bot.schema") / f"{name}.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def schema_digest(name: str) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(load_schema(name), sort_keys=True).encode()).hexdigest()


@lru_cache(maxsize=4)
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_problems(instance: Any, name: str,
                    line_of: Callable[..., int | None] = lambda *path: None) -> list[tuple[int | None, str]]:
    """Every error of `instance` against `schema/<name>.schema.json` as (line, message), by line."""
    found: list[tuple[int | None, str]] = []
    for error in _validator(name).iter_errors(instance):
        for path, message in _describe(error, instance):
            entry = (line_of(*path) if path else None, message)
            if entry not in found:
                found.append(entry)
    return sorted(found, key=lambda e: (e[0] is None, e[0] or 0))


def _where(path: Sequence[Any], root: Any = None) -> str:
    """`checks.runtime`, `groups[0]`; a list item with a `name` is named by it (verify `tts`)."""
    out, node = "", root
    for part in path:
        named = node[part].get("name") if isinstance(node, list) and isinstance(part, int) \
            and part < len(node) and isinstance(node[part], dict) else None
        if isinstance(named, str) and named:
            out += f" `{named}`"
        else:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        node = node[part] if isinstance(node, (list, dict)) and (isinstance(node, dict) or isinstance(part, int)) \
            and (part in node if isinstance(node, dict) else part < len(node)) else None
    return out


def _said(path: Sequence[Any], message: str, root: Any = None) -> str:
    """`checks.runtime: `max_restarts` must ...`, `groups[0] must ...`, `the top level must ...`."""
    if not path:
        return f"the top level {message}"
    if isinstance(path[-1], int):
        return f"{_where(path, root)} {message}"
    parent = _where(path[:-1], root)
    return f"{parent + ': ' if parent else ''}`{path[-1]}` {message}"


def did_you_mean(word: Any, choices: Sequence[Any]) -> str:
    options = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6) or [
        c for c in options if c.lower() == str(word).lower()]
    return f" (did you mean `{close[0]}`?)" if close else ""


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(error: Any, root: Any = None) -> list[tuple[list[Any], str]]:
    path, schema, kind = list(error.absolute_path), error.schema, error.validator
    where = _where(path, root)
    at = f"{where}: " if where else ""
    if "x-says" in schema:  # the whole sentence, as the code reading the setting says it
        return [(path, schema["x-says"])]
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(schema.get("properties") or {})
        return [([*path, k], f"{at}unknown key `{k}`{did_you_mean(k, known)}"
                 + (f" (known: {', '.join(known)})" if known else ""))
                for k in error.instance if k not in known]
    if len(error.absolute_schema_path) > 1 and list(error.absolute_schema_path)[-2] == "propertyNames":
        # A key refused by `propertyNames`: the instance is the key, the path the mapping holding it.
        key = error.instance
        if kind == "enum":
            return [([*path, key], f"{at}unknown key `{key}`{did_you_mean(key, schema['enum'])}"
                     f" (known: {', '.join(schema['enum'])})")]
        return [([*path, key], f"{at}`{key}` {schema.get('x-message') or _generic(kind, error.validator_value)}")]
    if kind in ("oneOf", "anyOf") and error.context:
        # The branch written for this kind of value (a mapping where a number or a mapping may
        # stand) says what is wrong inside it; otherwise the whole choice is named.
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [errs for errs in branches.values()
                   if not any(e.validator == "type" and not e.relative_path for e in errs)]
        if len(fitting) == 1:
            return [d for sub in fitting[0] for d in _describe(sub, root)]
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        below = (schema.get("properties") or {}).get(missing, {})
        why = f"; it {below['x-message']}" if "x-message" in below else ""
        return [(path, f"{at}`{missing}` is missing{why}")]
    if kind == "enum":
        options = schema["enum"]
        return [(path, _said(path, f"must be one of {', '.join(map(str, options))}, not {_short(error.instance)}"
                         f"{did_you_mean(error.instance, options)}", root))]
    if "x-message" in schema:
        message = schema["x-message"]
        if kind in ("pattern", "const", "oneOf") and isinstance(error.instance, (str, int)) \
                and not isinstance(error.instance, bool):
            message += f", not {_short(error.instance)}"
        return [(path, _said(path, message, root))]
    return [(path, _said(path, _generic(kind, error.validator_value), root))]


def _generic(kind: str, expected: Any) -> str:
    if kind == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        return "must be " + " or ".join(_TYPES.get(t, t) for t in wanted if t != "null")
    return {
        "minimum": f"must be at least {expected}", "maximum": f"must be at most {expected}",
        "exclusiveMinimum": f"must be above {expected}", "exclusiveMaximum": f"must be below {expected}",
        "minLength": "must not be empty", "maxLength": f"must be at most {expected} characters",
        "minItems": f"must have at least {expected} item(s)", "uniqueItems": "must not name an item twice",
        "minProperties": f"must have at least {expected} entry(ies)", "pattern": f"must match {expected}",
        "const": f"must be {_short(expected)}",
    }.get(kind, f"is not valid here ({kind})")


def _type_of(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    if "$ref" in spec:
        spec = schema.get("$defs", {}).get(spec["$ref"].rsplit("/", 1)[-1], spec)
    if "const" in spec:
        return f"`{spec['const']}`"
    if "enum" in spec:
        return " \\| ".join(f"`{v}`" for v in spec["enum"])
    kinds = spec.get("type") or [t.get("type") for t in spec.get("oneOf", spec.get("anyOf", [])) if t.get("type")]
    kinds = [kinds] if isinstance(kinds, str) else [k for k in kinds if k]
    return " or ".join({"object": "mapping", "array": "list"}.get(k, k) for k in dict.fromkeys(kinds)) or "see the schema"


def reference_table(name: str = "drift") -> str:
    """The top-level keys a config may hold, as a Markdown table, from the schema itself: the
    README shows this table, and a test keeps the two the same."""
    schema = load_schema(name)
    required = set(schema.get("required", ()))
    rows = ["| key | value | what it says |", "| --- | --- | --- |"]
    for key, spec in schema["properties"].items():
        what = (spec.get("description") or "").replace("|", "\\|")
        rows.append(f"| `{key}`{' (required)' if key in required else ''} | {_type_of(spec, schema)} | {what} |")
    return "\n".join(rows) + "\n"

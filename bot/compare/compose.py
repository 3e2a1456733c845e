"""Compose files as data: normalise both sides to one spelling, then walk them together.

Normalisation follows what `docker compose config` itself prints, so that two files compose
would run identically never show a divergence: environment and label lists become maps of
strings, short port and volume syntax becomes long syntax, string commands become word
lists, durations become Go duration strings ("1m30s"), and null, empty and absent agree
where compose treats them alike.
"""
from __future__ import annotations

import bisect
import math
from functools import lru_cache
import os
import re
import shlex
from collections.abc import Iterator
from typing import Any

from bot.capture.redact import TOKEN_RE, is_secret_name
from bot.compare.yamlload import YamlError, load_yaml


class ComposeParseError(YamlError):
    pass


def load_compose(text: str, name: str = "compose file") -> dict[str, Any]:
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        raise ComposeParseError(str(exc), exc.line, exc.column) from None
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
    return raw, normalize(raw)


# --- scalar spellings -------------------------------------------------------------------

def go_string(value: Any) -> str | None:
    """A YAML scalar as Go's fmt would print it, which is how compose stringifies values."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(f: float) -> str:
    """Go's %v: the shortest digits that round-trip, in exponent form below 1e-4 or from 1e6."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    from decimal import Decimal  # only floats in compose files need it

    d = Decimal(repr(f)).normalize()
    exp = d.adjusted()
    if exp < -4 or exp >= 6:
        sign, digits, _ = d.as_tuple()
        mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return format(d, "f")


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_duration(value: Any) -> int | None:
    """Nanoseconds from a Go duration ("1m30s"); bare numbers are seconds, as compose reads them."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value * 10**9)
    s = str(value).strip()
    if not s:
        return None
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    if s == "0":
        return 0
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(s):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT_NS[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        return None
    return sign * int(round(total))


def format_duration(ns: int) -> str:
    """Go's time.Duration.String()."""
    if ns == 0:
        return "0s"
    neg, ns = ns < 0, abs(ns)
    if ns < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= size:
                return ("-" if neg else "") + _trim(ns / size) + unit
    h, rem = divmod(ns, 3600 * 10**9)
    m, rem = divmod(rem, 60 * 10**9)
    secs = _trim(rem / 10**9)
    out = (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + f"{secs}s"
    return ("-" if neg else "") + out


def _trim(x: float) -> str:
    return f"{x:.9f}".rstrip("0").rstrip(".")


def _duration(value: Any) -> Any:
    ns = parse_duration(value)
    return value if ns is None else format_duration(ns)


_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def _bytes(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return int(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*", str(value), re.IGNORECASE)
    if not m:
        return value
    return int(float(m.group(1)) * _BYTE_UNITS[m.group(2).lower()])


# --- structured fields ----------------------------------------------------------------

def _kv_map(value: Any, *, none_as: str | None = None) -> Any:
    """`["A=1", "B"]` or `{A: 1, B: null}` -> `{"A": "1", "B": None}`."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            out[key] = val if sep else none_as
        return out
    if isinstance(value, dict):
        return {str(k): (none_as if v is None else go_string(v)) for k, v in value.items()}
    return value


def _words(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return [value]
    if isinstance(value, list):
        return [go_string(v) if v is not None else "" for v in value]
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, (str, int)) and not isinstance(value, bool) else value


def _expand_range(spec: str) -> list[str]:
    if "-" in spec:
        lo, _, hi = spec.partition("-")
        if lo.isdigit() and hi.isdigit() and int(lo) <= int(hi):
            return [str(p) for p in range(int(lo), int(hi) + 1)]
    return [spec]


def _port(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        out = {k: v for k, v in value.items() if v is not None}
        out.setdefault("mode", "ingress")
        out.setdefault("protocol", "tcp")
        if "published" in out:
            out["published"] = go_string(out["published"])
        if "target" in out:
            try:
                out["target"] = int(out["target"])
            except (TypeError, ValueError):
                pass
        return [out]
    spec, _, proto = str(value).partition("/")
    proto = proto or "tcp"
    host_ip = ""
    if spec.startswith("["):  # [::1]:8080:80
        end = spec.find("]")
        host_ip, spec = spec[1:end], spec[end + 2 :]
    parts = spec.rsplit(":", 2)
    if len(parts) == 3:
        host_ip, published, target = parts
    elif len(parts) == 2:
        published, target = parts
    else:
        published, target = "", parts[0]
    targets = _expand_range(target)
    publisheds = _expand_range(published) if published else [""] * len(targets)
    if len(publisheds) != len(targets):
        publisheds = [published] * len(targets)
    ports = []
    for pub, tgt in zip(publisheds, targets):
        entry: dict[str, Any] = {"mode": "ingress"}
        if host_ip:
            entry["host_ip"] = host_ip
        entry["target"] = int(tgt) if tgt.isdigit() else tgt
        if pub:
            entry["published"] = pub
        entry["protocol"] = proto
        ports.append(entry)
    return ports


def _is_path(source: str) -> bool:
    return source.startswith((".", "/", "~")) or bool(re.match(r"^[A-Za-z]:[\\/]", source))


def _clean_path(p: str) -> str:
    if p.startswith(("/", "~")):
        return os.path.normpath(p)
    norm = os.path.normpath(p)
    return "." if norm == "." else "./" + norm if not norm.startswith("..") else norm


def _volume(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        out = dict(value)
        if out.get("type") == "bind" and isinstance(out.get("source"), str):
            out["source"] = _clean_path(out["source"])
        return out
    parts = str(value).split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    source, target, mode = parts[0], parts[1], ":".join(parts[2:])
    entry: dict[str, Any] = {"type": "bind" if _is_path(source) else "volume", "source": source, "target": target}
    if entry["type"] == "bind":
        entry["source"] = _clean_path(source)
        entry["bind"] = {"create_host_path": True}
    opts = [o for o in mode.split(",") if o]
    if "ro" in opts:
        entry["read_only"] = True
    selinux = [o for o in opts if o in ("z", "Z")]
    if selinux and entry["type"] == "bind":
        entry["bind"]["selinux"] = selinux[0]
    if "nocopy" in opts and entry["type"] == "volume":
        entry["volume"] = {"nocopy": True}
    return entry


def _depends_on(value: Any) -> Any:
    if isinstance(value, list):
        return {str(s): {"condition": "service_started", "required": True} for s in value}
    if isinstance(value, dict):
        out = {}
        for name, spec in value.items():
            spec = dict(spec or {})
            spec.setdefault("condition", "service_started")
            spec.setdefault("required", True)
            if not spec.get("restart"):
                spec.pop("restart", None)
            out[str(name)] = spec
        return out
    return value


def _healthcheck(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out = dict(value)
    if out.pop("disable", False):
        out["test"] = ["NONE"]
    test = out.get("test")
    if isinstance(test, str):
        out["test"] = ["CMD-SHELL", test]
    elif isinstance(test, list):
        out["test"] = [go_string(t) for t in test]
    for key in ("interval", "timeout", "start_period", "start_interval"):
        if key in out:
            out[key] = _duration(out[key])
    return out


def _build(value: Any) -> Any:
    if isinstance(value, str):
        return {"context": _clean_path(value), "dockerfile": "Dockerfile"}
    if isinstance(value, dict):
        out = dict(value)
        if isinstance(out.get("context"), str) and "://" not in out["context"]:
            out["context"] = _clean_path(out["context"])
        out.setdefault("context", ".")
        if "dockerfile_inline" not in out:
            out.setdefault("dockerfile", "Dockerfile")
        if "args" in out:
            out["args"] = _kv_map(out["args"])
        if "labels" in out:
            out["labels"] = _kv_map(out["labels"], none_as="")
        return out
    return value


def _extra_hosts(value: Any) -> Any:
    out: dict[str, list[str]] = {}
    items = value.items() if isinstance(value, dict) else (re.split(r"[=:]", str(i), maxsplit=1) for i in (value or []))
    for host, ip in items:
        ips = ip if isinstance(ip, list) else [ip]
        out.setdefault(str(host), []).extend(str(i) for i in ips)
    return {h: sorted(ips) for h, ips in out.items()}


def _device_count(value: Any) -> Any:
    if isinstance(value, dict):
        out = dict(value)
        if str(out.get("count", "")).lower() == "all":
            out["count"] = -1
        return out
    return value


def _deploy(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out = dict(value)
    res = out.get("resources")
    if isinstance(res, dict):
        res = dict(res)
        for part in ("limits", "reservations"):
            section = res.get(part)
            if isinstance(section, dict):
                section = dict(section)
                if "memory" in section:
                    section["memory"] = _bytes(section["memory"])
                if "cpus" in section:
                    section["cpus"] = go_string(section["cpus"])
                if isinstance(section.get("devices"), list):
                    section["devices"] = [_device_count(d) for d in section["devices"]]
                res[part] = section
        out["resources"] = res
    return out


def _ref(value: Any) -> Any:
    return {"source": value} if isinstance(value, str) else value


_SERVICE_FIELDS = {
    "environment": _kv_map,
    "labels": lambda v: _kv_map(v, none_as=""),
    "annotations": lambda v: _kv_map(v, none_as=""),
    "sysctls": _kv_map,
    "command": _words,
    "entrypoint": _words,
    "healthcheck": _healthcheck,
    "depends_on": _depends_on,
    "build": _build,
    "deploy": _deploy,
    "extra_hosts": _extra_hosts,
    "stop_grace_period": _duration,
    "mem_limit": _bytes,
    "mem_reservation": _bytes,
    "memswap_limit": _bytes,
    "shm_size": _bytes,
    "expose": lambda v: [go_string(p) for p in _as_list(v)] if isinstance(_as_list(v), list) else v,
    "dns": _as_list,
    "dns_search": _as_list,
    "tmpfs": _as_list,
    "env_file": lambda v: [e if isinstance(e, dict) else {"path": e, "required": True} for e in _as_list(v)]
    if isinstance(_as_list(v), list) else v,
    "secrets": lambda v: [_ref(s) for s in v] if isinstance(v, list) else v,
    "configs": lambda v: [_ref(s) for s in v] if isinstance(v, list) else v,
    "networks": lambda v: {str(n): {} for n in v} if isinstance(v, list) else
    {str(k): (spec or {}) for k, spec in v.items()} if isinstance(v, dict) else v,
    "ports": lambda v: [p for item in v for p in _port(item)] if isinstance(v, list) else v,
    "volumes": lambda v: [_volume(item) for item in v] if isinstance(v, list) else v,
}

# Maps whose keys are names: an entry with no settings is still an entry.
_NAMED = {("volumes",), ("networks",), ("secrets",), ("configs",), ("services",)}


def normalize_service(service: Any) -> Any:
    if not isinstance(service, dict):
        return service
    out = {}
    for key, value in service.items():
        if key == "x-drift":
            continue
        fix = _SERVICE_FIELDS.get(key)
        out[key] = fix(value) if fix else value
    if isinstance(out.get("logging"), dict) and isinstance(out["logging"].get("options"), dict):
        out["logging"] = {**out["logging"], "options": _kv_map(out["logging"]["options"])}
    return _prune(out, keep_none=False)


def _prune(value: Any, *, keep_none: bool) -> Any:
    """Drop null, empty maps and empty lists that compose treats as absent."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            keep = keep_none or k == "environment"
            v = _prune(v, keep_none=(k in ("environment", "args")))
            if v is None and not keep_none:
                continue
            if isinstance(v, (dict, list)) and not v and k not in ("networks_named",):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_prune(v, keep_none=True) for v in value]
    return value


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """The whole file in compose's canonical spelling (idempotent: normalize(normalize(d)) == normalize(d))."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in ("version", "x-drift"):
            continue  # `version` is obsolete and ignored by compose; x-drift is ours
        if key == "services" and isinstance(value, dict):
            out[key] = {str(name): normalize_service(svc) for name, svc in value.items()}
        elif (key,) in _NAMED and isinstance(value, dict):
            out[key] = {str(name): _prune(spec, keep_none=False) if isinstance(spec, dict) else {}
                        for name, spec in value.items()}
        elif value is not None and value != {} and value != []:
            out[key] = value
    return out


def drift_ignores(doc: dict[str, Any]) -> list[str]:
    """Pointer globs from `x-drift: {ignore: [...]}` at the top (absolute) or on a service (relative to it)."""
    globs: list[str] = []
    top = doc.get("x-drift")
    if isinstance(top, dict):
        globs += [("/" + g.lstrip("/")) for g in top.get("ignore") or [] if isinstance(g, str)]
    for name, svc in (doc.get("services") or {}).items():
        ext = svc.get("x-drift") if isinstance(svc, dict) else None
        if isinstance(ext, dict):
            base = "/services/" + escape_token(str(name))
            globs += [base + "/" + g.lstrip("/") for g in ext.get("ignore") or [] if isinstance(g, str)]
    return globs


# --- walking two documents together -------------------------------------------------

def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _presence_only(key: str, a: Any, b: Any) -> bool:
    """Secrets live on the host, never in git: such a key is compared by presence alone."""
    return is_secret_name(key) or _has_token(a) or _has_token(b)


def _has_token(value: Any) -> bool:
    if isinstance(value, str):
        return bool(TOKEN_RE.search(value))
    return False


def walk(a: Any, b: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, Any, Any]]:
    """Yield (path, kind, before, after) at the deepest mapping key whose values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            here = path + (str(key),)
            if key not in b:
                if isinstance(a[key], dict) and len(here) > 2:
                    yield from walk(a[key], {}, here)
                else:
                    yield here, "removed", a[key], None
            elif key not in a:
                # An added settings block counts key by key, so routes and ignores can name
                # one key; a whole added service or volume stays one divergence.
                if isinstance(b[key], dict) and len(here) > 2:
                    yield from walk({}, b[key], here)
                else:
                    yield here, "added", None, b[key]
            elif a[key] != b[key] and not _presence_only(str(key), a[key], b[key]):
                yield from walk(a[key], b[key], here)
        return
    yield path, "changed", a, b


def pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + escape_token(p) for p in path)


def _child_indent(text: str, pos: int) -> int | None:
    """Indentation of the first line with content after `pos` (where a block's children sit)."""
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            return None
        line_end = text.find("\n", nl + 1)
        line = text[nl + 1 : line_end if line_end >= 0 else len(text)]
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            return len(line) - len(stripped)
        pos = nl + 1


def _find_key(text: str, token: str, indent: int, pos: int) -> int | None:
    """Offset of the line where `token` is a key at exactly `indent` spaces, after `pos`."""
    best = None
    pad = "\n" + " " * indent
    for spelling in (token, f"- {token}", f'"{token}"', f"'{token}'", f'- "{token}"'):
        needle = pad + spelling
        # Other spellings only matter before the best match so far: bound the scan there.
        limit = len(text) if best is None else best
        at = text.find(needle, pos, limit)
        while at >= 0:
            rest = text[at + len(needle) : at + len(needle) + 3].lstrip(" \t")
            if rest[:1] in (":", "=") or rest == "":
                break
            at = text.find(needle, at + 1, limit)
        if at >= 0:
            best = at
    return None if best is None else best + 1


@lru_cache(maxsize=4)
def _prepared(text: str) -> tuple[str, list[int]]:
    """The text behind a newline (so every key line follows one) and where its top-level lines are."""
    text = "\n" + text
    return text, [m.start() for m in re.finditer(r"\n(?=[^ \t\n#])", text)]


def locate_line(text: str, path: tuple[str, ...]) -> int | None:
    """Best-effort line of a key path in block-style YAML (for evidence, not for meaning).

    Each key is looked for at the indentation of its parent's children, with `str.find`, so a
    20,000-line file costs a few scans per divergence. Flow style and anchors are not followed;
    the nearest enclosing key that was found is returned instead.
    """
    text, top_level = _prepared(text)
    pos, found, parent_indent = 0, None, -1
    for token in path:
        indent = 0 if found is None else _child_indent(text, pos)
        if indent is None or indent <= parent_indent:
            return found
        at = _find_key(text, token, indent, pos)
        if at is None:
            return found
        # A line no deeper than the parent between the two means the key is in another block.
        if parent_indent == 0:
            left = bisect.bisect_right(top_level, pos) < bisect.bisect_left(top_level, at - 1)
        else:
            left = re.search(r"\n {0,%d}[^ \n#]" % parent_indent, text[pos + 1 : at]) is not None
        if left:
            return found
        found = text.count("\n", 0, at)
        parent_indent, pos = indent, at
    return found

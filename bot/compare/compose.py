"""Compose files as data: normalise both sides to one spelling, then walk them together.

Normalisation follows what `docker compose config` itself prints, so that two files compose
would run identically never show a divergence: environment and label lists become maps of
strings, short port and volume syntax becomes long syntax, string commands become word
lists, durations become Go duration strings ("1m30s"), CPU counts become numbers, and null,
empty, `false` and absent agree where compose treats them alike. What compose would refuse
(a field of the wrong type, an anchor holding itself) is a ComposeParseError naming the place.
"""
from __future__ import annotations

import math
import os
import re
import shlex
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from bot.secrets import PLACEHOLDER_RE, holds_secret
from bot.compare.typed import coerce
from bot.compare.yamlload import YamlError, load_yaml
from bot.compare.yamllines import locate_line  # noqa: F401 - the checks find it here, beside the rest of compose


class ComposeParseError(YamlError):
    pass


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
    return [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value


def _digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def _expand_range(spec: str) -> list[str]:
    if "-" in spec:
        lo, _, hi = spec.partition("-")
        if _digits(lo) and _digits(hi) and int(lo) <= int(hi):
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
        entry["target"] = int(tgt) if _digits(tgt) else tgt
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
        out = _without_false(value, ("read_only",))
        if out.get("type") == "bind" and isinstance(out.get("source"), str):
            out["source"] = _clean_path(out["source"])
        for part, flag in (("bind", "create_host_path"), ("volume", "nocopy")):
            if isinstance(out.get(part), dict):
                out[part] = _without_false(out[part], (flag,))
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


def _depends_on(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return {str(s): {"condition": "service_started", "required": True} for s in value}
    if isinstance(value, dict):
        out = {}
        for name, spec in value.items():
            if spec is not None and not isinstance(spec, dict):
                raise ComposeParseError(f"{where}.{name} must be a mapping")
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


def _remote(context: str) -> bool:
    """A Git or HTTP context is an address, not a path: compose passes it on as written."""
    return "://" in context or context.startswith("git@")


def _build(value: Any) -> Any:
    if isinstance(value, str):
        return {"context": value if _remote(value) else _clean_path(value), "dockerfile": "Dockerfile"}
    if isinstance(value, dict):
        out = _without_false(value, ("no_cache", "pull", "privileged"))
        if isinstance(out.get("context"), str) and not _remote(out["context"]):
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


def _extra_hosts(value: Any, where: str) -> Any:
    out: dict[str, list[str]] = {}
    items = list(value.items()) if isinstance(value, dict) else [re.split(r"[=:]", str(i), maxsplit=1) for i in value]
    for item in items:
        if len(item) != 2:
            raise ComposeParseError(f"{where}: an entry is not host:address")
        host, ip = item
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
                    section["cpus"] = _cpus(section["cpus"])
                if isinstance(section.get("devices"), list):
                    section["devices"] = [_device_count(d) for d in section["devices"]]
                res[part] = section
        out["resources"] = res
    return out


def _cpus(value: Any) -> Any:
    """A CPU count is a number to compose (`'0.50'` is 0.5); a `${VAR}` stays as written."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return value


def _without_false(value: dict[str, Any], flags: tuple[str, ...]) -> dict[str, Any]:
    """Compose prints these flags only when true: `false` and absent are one setting."""
    return {k: v for k, v in value.items() if not (v is False and k in flags)}


def _networks(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return {str(n): {} for n in value}
    out = {}
    for name, spec in value.items():
        if spec is not None and not isinstance(spec, dict):
            raise ComposeParseError(f"{where}.{name} must be a mapping")
        out[str(name)] = _prune(spec or {}, keep_none=False)
    return out


def _ref(value: Any) -> Any:
    return {"source": value} if isinstance(value, str) else value


_SERVICE_FIELDS: dict[str, Callable[..., Any]] = {
    "environment": _kv_map,
    "labels": lambda v: _kv_map(v, none_as=""),
    "annotations": lambda v: _kv_map(v, none_as=""),
    "sysctls": _kv_map,
    "command": _words,
    "entrypoint": _words,
    "healthcheck": _healthcheck,
    "build": _build,
    "deploy": _deploy,
    "stop_grace_period": _duration,
    "mem_limit": _bytes,
    "mem_reservation": _bytes,
    "memswap_limit": _bytes,
    "shm_size": _bytes,
    "cpus": _cpus,
    "expose": lambda v: [go_string(p) for p in _as_list(v)],
    "dns": _as_list,
    "dns_search": _as_list,
    "tmpfs": _as_list,
    "env_file": lambda v: [e if isinstance(e, dict) else {"path": e, "required": True} for e in _as_list(v)],
    "secrets": lambda v: [_ref(s) for s in v],
    "configs": lambda v: [_ref(s) for s in v],
    "ports": lambda v: [p for item in v for p in _port(item)],
    "volumes": lambda v: [_volume(item) for item in v],
}
# Fields whose fix needs the place, for its error messages.
_PLACED_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "depends_on": _depends_on,
    "extra_hosts": _extra_hosts,
    "networks": _networks,
}

# What compose accepts for a field (null aside); anything else it refuses, and so do we.
_MAP, _LIST, _TEXT, _NUMBER = (dict,), (list,), (str,), (int, float)
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(["environment", "labels", "annotations", "sysctls", "depends_on", "extra_hosts", "networks"],
                    _MAP + _LIST),
    **dict.fromkeys(["command", "entrypoint", "dns", "dns_search", "tmpfs", "env_file"], _TEXT + _LIST),
    **dict.fromkeys(["healthcheck", "deploy", "logging"], _MAP),
    **dict.fromkeys(["secrets", "configs", "ports", "volumes"], _LIST),
    **dict.fromkeys(["stop_grace_period", "mem_limit", "mem_reservation", "memswap_limit", "shm_size", "cpus"],
                    _TEXT + _NUMBER),
    "build": _TEXT + _MAP,
    "expose": _LIST + _TEXT + _NUMBER,
}
_TYPE_NAMES = {dict: "mapping", list: "list", str: "string", int: "number", float: "number"}

# Service flags compose prints only when true (`init` and `attach` it prints either way).
_FLAGS = ("privileged", "read_only", "stdin_open", "tty", "oom_kill_disable", "use_api_socket")
# Maps whose keys are names: an entry with no settings is still an entry.
_NAMED = {("volumes",), ("networks",), ("secrets",), ("configs",), ("services",)}


def normalize_service(service: Any, where: str = "service") -> Any:
    if not isinstance(service, dict):
        return service
    out = {}
    for key, value in _without_false(service, _FLAGS).items():
        if key == "x-drift":
            continue
        key = str(key)
        allowed = _FIELD_TYPES.get(key)
        if value is not None and allowed and (not isinstance(value, allowed) or isinstance(value, bool)):
            kinds = " or ".join(dict.fromkeys(_TYPE_NAMES[t] for t in allowed))
            raise ComposeParseError(f"{where}.{key} must be a {kinds}")
        if value is None:
            out[key] = None
        elif key in _PLACED_FIELDS:
            out[key] = _PLACED_FIELDS[key](value, f"{where}.{key}")
        else:
            fix = _SERVICE_FIELDS.get(key)
            out[key] = fix(value) if fix else value
    if isinstance(out.get("logging"), dict) and isinstance(out["logging"].get("options"), dict):
        out["logging"] = {**out["logging"], "options": _kv_map(out["logging"]["options"])}
    # The entries of a name-keyed map are kept with no settings: `networks: [edge]` names one.
    networks = out.pop("networks", None)
    out = _prune(out, keep_none=False)
    if networks and networks != {"default": {}}:  # the default network is what no `networks:` means
        out["networks"] = networks
    return out


def _prune(value: Any, *, keep_none: bool) -> Any:
    """Drop null, empty maps and empty lists that compose treats as absent."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _prune(v, keep_none=(k in ("environment", "args")))
            if v is None and not keep_none:
                continue
            if isinstance(v, (dict, list)) and not v:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_prune(v, keep_none=True) for v in value]
    return value


# Top-level entries' flags compose prints only when true.
_ENTRY_FLAGS = ("external", "internal", "attachable")


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """The whole file in compose's canonical spelling (idempotent: normalize(normalize(d)) == normalize(d)).

    Raises ComposeParseError for what compose would refuse, naming the place.
    """
    try:
        return _normalize(coerce(doc))
    except ComposeParseError:
        raise
    except RecursionError:
        raise ComposeParseError("an anchor's value holds an alias of itself (a cycle compose refuses)") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # A shape no guard above foresaw: still one line about the file, not a traceback.
        # The exception's text may quote a value, which may be a secret: its kind only.
        raise ComposeParseError(f"a value compose would not read ({type(exc).__name__})") from None


# Top-level sections whose entries services name; compose keeps only the ones named.
DECLARATIONS = ("volumes", "networks", "secrets", "configs")


def used_names(services: Any) -> dict[str, set[str]]:
    """The top-level entries the (normalised) services name, by section."""
    used: dict[str, set[str]] = {section: set() for section in DECLARATIONS}
    for svc in (services.values() if isinstance(services, dict) else ()):
        if not isinstance(svc, dict):
            continue
        for vol in svc.get("volumes") or ():
            if isinstance(vol, dict) and vol.get("type", "volume") == "volume" and isinstance(vol.get("source"), str):
                used["volumes"].add(vol["source"])
        networks = svc.get("networks")
        if isinstance(networks, dict):
            used["networks"].update(networks)
        elif not svc.get("network_mode"):
            used["networks"].add("default")  # no `networks:` is the default network
        build = svc.get("build") if isinstance(svc.get("build"), dict) else {}
        for section, refs in (("secrets", svc.get("secrets")), ("configs", svc.get("configs")),
                              ("secrets", build.get("secrets"))):
            for ref in refs or ():
                name = ref.get("source") if isinstance(ref, dict) else ref
                if isinstance(name, str):
                    used[section].add(name)
    return used


def unused_in(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, name) of every top-level volume, network, secret or config no service names."""
    used = used_names(doc.get("services"))
    return [(section, name) for section in DECLARATIONS if isinstance(doc.get(section), dict)
            for name in doc[section] if name not in used[section]]


def without_unused(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both documents without the declarations neither side's services use.

    Compose drops an unused declaration, so it changes nothing that runs, added, removed or
    changed. One that a service uses on either side stays on both: a service given an already declared network is one
    change, at the service, not a second one at a declaration main already holds.
    """
    used_a, used_b = used_names(a.get("services")), used_names(b.get("services"))
    drop = {(section, name) for section, name in unused_in(a) + unused_in(b)
            if name not in used_a[section] and name not in used_b[section]}
    if not drop:
        return a, b
    return _drop(a, drop), _drop(b, drop)


def _drop(doc: dict[str, Any], names: set[tuple[str, str]]) -> dict[str, Any]:
    out = dict(doc)
    for section in DECLARATIONS:
        if isinstance(out.get(section), dict):
            kept = {k: v for k, v in out[section].items() if (section, k) not in names}
            if kept:
                out[section] = kept
            else:
                del out[section]
    return out


def _normalize(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in ("version", "x-drift"):
            continue  # `version` is obsolete and ignored by compose; x-drift is ours
        if key == "services" and isinstance(value, dict):
            out[key] = {str(name): normalize_service(svc, f"services.{name}") for name, svc in value.items()}
        elif (key,) in _NAMED and isinstance(value, dict):
            entries = {str(name): _prune(_without_false(spec, _ENTRY_FLAGS), keep_none=False) if isinstance(spec, dict) else {}
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


# --- walking two documents together -------------------------------------------------

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
        return (path[0],) in _NAMED
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

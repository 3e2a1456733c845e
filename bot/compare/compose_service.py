"""A service as compose prints it: every field in its long syntax (ports, volumes, depends_on,
healthcheck, build, deploy, networks, extra_hosts), flags compose prints only when true left out,
and what compose treats as absent (null, empty maps and lists) dropped.

What compose would refuse (a field of the wrong type) is a ComposeParseError naming the place.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from bot.compare.compose_spellings import as_list, byte_size, command_words, cpu_count, duration, go_string, kv_map
from bot.compare.yamlload import YamlError


class ComposeParseError(YamlError):
    pass


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
        out = without_false(value, ("read_only",))
        if out.get("type") == "bind" and isinstance(out.get("source"), str):
            out["source"] = _clean_path(out["source"])
        for part, flag in (("bind", "create_host_path"), ("volume", "nocopy")):
            if isinstance(out.get(part), dict):
                out[part] = without_false(out[part], (flag,))
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
            out[key] = duration(out[key])
    return out


def _remote(context: str) -> bool:
    """A Git or HTTP context is an address, not a path: compose passes it on as written."""
    return "://" in context or context.startswith("git@")


def _build(value: Any) -> Any:
    if isinstance(value, str):
        return {"context": value if _remote(value) else _clean_path(value), "dockerfile": "Dockerfile"}
    if isinstance(value, dict):
        out = without_false(value, ("no_cache", "pull", "privileged"))
        if isinstance(out.get("context"), str) and not _remote(out["context"]):
            out["context"] = _clean_path(out["context"])
        out.setdefault("context", ".")
        if "dockerfile_inline" not in out:
            out.setdefault("dockerfile", "Dockerfile")
        if "args" in out:
            out["args"] = kv_map(out["args"])
        if "labels" in out:
            out["labels"] = kv_map(out["labels"], none_as="")
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
                    section["memory"] = byte_size(section["memory"])
                if "cpus" in section:
                    section["cpus"] = cpu_count(section["cpus"])
                if isinstance(section.get("devices"), list):
                    section["devices"] = [_device_count(d) for d in section["devices"]]
                res[part] = section
        out["resources"] = res
    return out


def without_false(value: dict[str, Any], flags: tuple[str, ...]) -> dict[str, Any]:
    """Compose prints these flags only when true: `false` and absent are one setting."""
    return {k: v for k, v in value.items() if not (v is False and k in flags)}


def _networks(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return {str(n): {} for n in value}
    out = {}
    for name, spec in value.items():
        if spec is not None and not isinstance(spec, dict):
            raise ComposeParseError(f"{where}.{name} must be a mapping")
        out[str(name)] = prune(spec or {}, keep_none=False)
    return out


def _ref(value: Any) -> Any:
    return {"source": value} if isinstance(value, str) else value


_SERVICE_FIELDS: dict[str, Callable[..., Any]] = {
    "environment": kv_map,
    "labels": lambda v: kv_map(v, none_as=""),
    "annotations": lambda v: kv_map(v, none_as=""),
    "sysctls": kv_map,
    "command": command_words,
    "entrypoint": command_words,
    "healthcheck": _healthcheck,
    "build": _build,
    "deploy": _deploy,
    "stop_grace_period": duration,
    "mem_limit": byte_size,
    "mem_reservation": byte_size,
    "memswap_limit": byte_size,
    "shm_size": byte_size,
    "cpus": cpu_count,
    "expose": lambda v: [go_string(p) for p in as_list(v)],
    "dns": as_list,
    "dns_search": as_list,
    "tmpfs": as_list,
    "env_file": lambda v: [e if isinstance(e, dict) else {"path": e, "required": True} for e in as_list(v)],
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


def normalize_service(service: Any, where: str = "service") -> Any:
    if not isinstance(service, dict):
        return service
    out = {}
    for key, value in without_false(service, _FLAGS).items():
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
        out["logging"] = {**out["logging"], "options": kv_map(out["logging"]["options"])}
    # The entries of a name-keyed map are kept with no settings: `networks: [edge]` names one.
    networks = out.pop("networks", None)
    out = prune(out, keep_none=False)
    if networks and networks != {"default": {}}:  # the default network is what no `networks:` means
        out["networks"] = networks
    return out


def prune(value: Any, *, keep_none: bool) -> Any:
    """Drop null, empty maps and empty lists that compose treats as absent."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                v = prune(v, keep_none=(k in ("environment", "args")))
                if not v:
                    continue
            elif v is None and not keep_none:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [prune(v, keep_none=True) if isinstance(v, (dict, list)) else v for v in value]
    return value

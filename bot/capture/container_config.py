"""A container's configuration as the engine's inspect reports it (and the image's, for what
the file leaves to the image), in the shapes the comparison with the compose file uses: ports
as `host:published->target/proto`, mounts by target, device requests, restart policies."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


def image_ref(ref: str | None) -> str | None:
    """`busybox`, `docker.io/library/busybox:latest` and `busybox:latest` are one reference."""
    if not ref or ref.startswith("sha256:"):
        return ref
    name, digest = (ref.split("@", 1) + [""])[:2]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/", "library/"):
        if name.startswith(prefix) and name.count("/") >= prefix.count("/"):
            name = name[len(prefix) :]
            break
    return name + ("@" + digest if digest else "")


def _env_map(items: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _healthcheck(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = spec or {}
    return {
        "test": list(spec.get("Test") or []),
        "interval": spec.get("Interval") or 0,
        "timeout": spec.get("Timeout") or 0,
        "start_period": spec.get("StartPeriod") or 0,
        "retries": spec.get("Retries") or 0,
    }


def _any_host(ip: str | None) -> str:
    return "" if ip in (None, "", "0.0.0.0", "::") else str(ip)


def _engine_ports(bindings: Mapping[str, Any] | None) -> list[str]:
    out = []
    for port, binds in (bindings or {}).items():
        target, _, proto = port.partition("/")
        for b in binds or [{}]:
            out.append(f"{_any_host(b.get('HostIp'))}:{b.get('HostPort') or ''}->{target}/{proto or 'tcp'}")
    return sorted(out)

_ANONYMOUS = re.compile(r"[0-9a-f]{64}")


def _engine_mounts(mounts: Sequence[Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for m in mounts or ():
        kind = m.get("Type")
        if kind == "bind":
            source = m.get("Source")
        elif kind == "volume":
            name = m.get("Name") or ""
            source = None if _ANONYMOUS.fullmatch(name) else name
        else:
            continue
        out[str(m.get("Destination"))] = {"type": kind, "source": source, "read_only": not m.get("RW", True)}
    return out


def _device_request(driver: Any, count: Any, ids: Any, caps: Any, *, gpu: bool = False) -> dict[str, Any]:
    ids = sorted(str(i) for i in ids or ())
    caps = sorted({str(c) for c in caps or ()} | ({"gpu"} if gpu else set()))
    if count in (None, ""):
        count = 0 if ids else -1
    return {"driver": str(driver or ""), "count": int(count), "ids": ids, "capabilities": caps}


def _engine_devices(requests: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for r in requests or ():
        caps = [c for group in r.get("Capabilities") or () for c in group or ()]
        out.append(_device_request(r.get("Driver"), r.get("Count", 0), r.get("DeviceIDs"), caps))
    return sorted(out, key=repr)


def _restart(policy: Any) -> str:
    if isinstance(policy, Mapping):
        name = policy.get("Name") or "no"
        count = policy.get("MaximumRetryCount") or 0
        return f"{name}:{count}" if name == "on-failure" and count else name
    return str(policy or "no")

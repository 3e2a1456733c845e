"""What the compose file asks of a service against what its container has, field by field.

Compose labels each container with `com.docker.compose.config-hash`, the sha256 of Go's
`json.Marshal` of the fully resolved service (compose's `ServiceHash`: build, pull_policy, scale,
replicas, depends_on and profiles removed). Reproducing it would mean reproducing compose-go's
loader byte for byte (struct field order, omitempty, path resolution, env_file merging), and
even `docker compose config --hash` and `up` disagree in known cases. So the label is recorded,
and staleness is decided by comparing the container's effective configuration with the file's,
field by field, which also says *which* fields differ.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.capture.compose_project import _unresolved
from bot.capture.container_config import (
    _any_host,
    _device_request,
    _engine_devices,
    _engine_mounts,
    _engine_ports,
    _env_map,
    _healthcheck,
    _restart,
    image_ref,
)
from bot.capture.files import live_redactor
from bot.compare.compose import parse_duration
from bot.secrets import PLACEHOLDER_RE


def _same_secret(expected: str, actual: str) -> bool:
    """A redacted value (`…<redacted hmac:abcd1234>…`) against the clear value the engine
    reports: the same when the text around the placeholders matches and each placeholder stands
    for what stands in its place. Without the host's key a placeholder says nothing of its value,
    so the secret counts as the same: presence only, as for the files."""
    parts = PLACEHOLDER_RE.split(expected)
    tokens = PLACEHOLDER_RE.findall(expected)
    pattern = "".join(re.escape(p) + ("(.+?)" if i < len(tokens) else "") for i, p in enumerate(parts))
    m = re.fullmatch(pattern, actual, re.DOTALL)
    redactor = live_redactor()
    return bool(m) and all(redactor.same(t, g) is not False for g, t in zip(m.groups(), tokens))


def _key_values(expected: Mapping[str, Any], actual: Mapping[str, str], *, extras_count: bool,
                ignored: Callable[[str], bool] = lambda key: False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two maps made comparable: unknown values dropped from both sides, secrets compared by
    hash and replaced on both sides by a marker, so no clear value reaches a report."""
    exp: dict[str, Any] = {}
    act: dict[str, Any] = {}
    for key, value in expected.items():
        if value is None or _unresolved(value):
            continue
        have = actual.get(key)
        if isinstance(value, str) and PLACEHOLDER_RE.search(value):
            same = have is not None and _same_secret(value, have)
            exp[key] = "<secret>"
            if have is not None:
                act[key] = "<secret>" if same else "<another secret>"
            continue
        exp[key] = value
        if have is not None:
            act[key] = have
    if extras_count:
        for key, have in actual.items():
            if key not in expected and not ignored(key):
                act[key] = "<set>"
    return exp, act


def _compose_healthcheck(hc: Mapping[str, Any], image_hc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    out = _healthcheck(image_hc)
    if "test" in hc:
        out["test"] = list(hc["test"])
    for key in ("interval", "timeout", "start_period"):
        if key in hc:
            ns = parse_duration(hc[key])
            if ns is None:
                return None
            out[key] = ns
    if "retries" in hc:
        try:
            out["retries"] = int(hc["retries"])
        except (TypeError, ValueError):
            return None
    return None if _unresolved(out) else out


def _compose_ports(ports: Sequence[Any]) -> list[str] | None:
    out = []
    for p in ports:
        if not isinstance(p, dict) or _unresolved(p):
            return None
        published = str(p.get("published") or "")
        if "-" in published:
            return None  # a range: the engine picks the port
        out.append(f"{_any_host(p.get('host_ip'))}:{published}->{p.get('target')}/{p.get('protocol', 'tcp')}")
    return sorted(out)


def _compose_mounts(svc: Mapping[str, Any], doc: Mapping[str, Any], project: str,
                    working_dir: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    top = doc.get("volumes") or {}
    for v in svc.get("volumes") or ():
        if not isinstance(v, dict) or v.get("type") not in ("bind", "volume") or _unresolved(v):
            continue
        source = v.get("source")
        if v["type"] == "bind":
            if not isinstance(source, str) or source.startswith("~"):
                continue
            source = posixpath.normpath(posixpath.join(working_dir, source))
        elif source:
            spec = top.get(source) or {}
            source = spec.get("name") or (source if spec.get("external") else f"{project}_{source}")
        out[str(v.get("target"))] = {"type": v["type"], "source": source, "read_only": bool(v.get("read_only"))}
    return out


def _compose_devices(svc: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    out = []
    devices = ((((svc.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices")) or []
    for d in devices:
        if not isinstance(d, dict):
            return None
        out.append(_device_request(d.get("driver"), d.get("count"), d.get("device_ids"), d.get("capabilities")))
    gpus = svc.get("gpus")
    if gpus == "all":
        out.append(_device_request("", -1, (), (), gpu=True))
    elif isinstance(gpus, list):
        for g in gpus:
            if isinstance(g, dict):
                out.append(_device_request(g.get("driver"), g.get("count"), g.get("device_ids"),
                                           g.get("capabilities"), gpu=True))
    if _unresolved(out):
        return None
    return sorted(out, key=repr)


def effective_pair(svc: Mapping[str, Any], doc: Mapping[str, Any], container: Mapping[str, Any],
                   image: Mapping[str, Any] | None, *, project: str, service: str,
                   working_dir: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the file asks for, what the container has), over the fields both can answer for.

    `image` is the inspect of the image the container was created from: it supplies what the
    file leaves to the image (command, entrypoint, environment, healthcheck, user...), exactly
    as the engine merged them when it created the container.
    """
    cfg = container.get("Config") or {}
    host = container.get("HostConfig") or {}
    img = (image or {}).get("Config") or {}
    exp: dict[str, Any] = {}
    act: dict[str, Any] = {}

    def pair(field: str, expected: Any, actual: Any) -> None:
        if expected is not None and not _unresolved(expected):
            exp[field], act[field] = expected, actual

    ref = svc.get("image") or (f"{project}-{service}" if svc.get("build") is not None else None)
    if isinstance(ref, str):
        pair("image", image_ref(ref), image_ref(cfg.get("Image")))

    entrypoint = svc.get("entrypoint")
    command = svc.get("command")
    if image is not None:
        if entrypoint is None:
            entrypoint = img.get("Entrypoint") or []
        if command is None:
            # The engine takes the image's CMD only when the container sets no ENTRYPOINT.
            command = [] if svc.get("entrypoint") else (img.get("Cmd") or [])
    pair("entrypoint", list(entrypoint) if entrypoint is not None else None, list(cfg.get("Entrypoint") or []))
    pair("command", list(command) if command is not None else None, list(cfg.get("Cmd") or []))

    env_expected: dict[str, Any] = _env_map(img.get("Env")) if image is not None else {}
    env_expected.update(svc.get("environment") or {})
    has_env_file = bool(svc.get("env_file"))
    # The engine adds a default PATH when neither the image nor the file sets one.
    e, a = _key_values(env_expected, _env_map(cfg.get("Env")), extras_count=image is not None and not has_env_file,
                       ignored=lambda key: key == "PATH")
    exp["environment"], act["environment"] = e, a

    labels_expected: dict[str, Any] = dict(img.get("Labels") or {}) if image is not None else {}
    labels_expected.update(svc.get("labels") or {})
    e, a = _key_values(labels_expected, cfg.get("Labels") or {}, extras_count=image is not None,
                       ignored=lambda key: key.startswith("com.docker.compose."))
    exp["labels"], act["labels"] = e, a

    hc = svc.get("healthcheck")
    if isinstance(hc, dict) or image is not None:
        pair("healthcheck", _compose_healthcheck(hc or {}, img.get("Healthcheck")), _healthcheck(cfg.get("Healthcheck")))

    if svc.get("network_mode") != "host":
        pair("ports", _compose_ports(svc.get("ports") or []), _engine_ports(host.get("PortBindings")))

    want = _compose_mounts(svc, doc, project, working_dir)
    have = _engine_mounts(container.get("Mounts"))
    skip = {str(t.get("target") or f"/run/secrets/{t.get('source')}") for t in svc.get("secrets") or () if isinstance(t, dict)}
    skip |= {str(t.get("target") or f"/{t.get('source')}") for t in svc.get("configs") or () if isinstance(t, dict)}
    extras = not svc.get("volumes_from") and not any(_unresolved(v) for v in svc.get("volumes") or ())
    mounts_exp = dict(want)
    mounts_act = {t: have[t] for t in want if t in have}
    if extras:
        # Anonymous volumes the file does not name come from the image's VOLUME lines.
        mounts_act.update({t: m for t, m in have.items()
                           if t not in want and t not in skip and not t.startswith("/run/secrets/") and m["source"] is not None})
    exp["volumes"], act["volumes"] = mounts_exp, mounts_act

    pair("deploy.resources.reservations.devices", _compose_devices(svc), _engine_devices(host.get("DeviceRequests")))
    pair("restart", _restart(svc.get("restart")), _restart(host.get("RestartPolicy")))
    user = svc.get("user", img.get("User", "") if image is not None else None)
    pair("user", None if user is None else str(user), cfg.get("User") or "")
    wd = svc.get("working_dir", img.get("WorkingDir", "") if image is not None else None)
    pair("working_dir", wd, cfg.get("WorkingDir") or "")
    return exp, act


def differing_fields(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> tuple[str, ...]:
    """The compose-level names of what differs: `image`, `environment.FOO`, `volumes[/data]`."""
    from deepdiff import DeepDiff  # imported here: it is only needed once containers are compared

    diff = DeepDiff(dict(expected), dict(actual), verbose_level=0)
    names: set[str] = set()
    for items in diff.tree.values():
        for item in items:
            path = item.path(output_format="list")
            if not path:
                continue
            head = str(path[0])
            if head in ("environment", "labels", "healthcheck") and len(path) > 1:
                names.add(f"{head}.{path[1]}")
            elif head == "volumes" and len(path) > 1:
                names.add(f"volumes[{path[1]}]")
            else:
                names.add(head)
    return tuple(sorted(names))

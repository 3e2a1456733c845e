"""Runtime state and runtime drift: what the engine runs, against what the compose file now says.

Pure: every input is plain data (container and image inspect dicts as the Engine API returns
them, the compose documents as loaded, the tracked files' mtimes), so the rules can be tested
with hand-made dicts.

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
from datetime import datetime, timezone
from typing import Any

from bot.capture.files import live_redactor
from bot.secrets import PLACEHOLDER_RE
from bot.compare.compose import load_compose, normalize, parse_duration
from bot.model import ServiceRuntime

LABEL_PROJECT = "com.docker.compose.project"
LABEL_WORKING_DIR = "com.docker.compose.project.working_dir"
LABEL_CONFIG_FILES = "com.docker.compose.project.config_files"
LABEL_SERVICE = "com.docker.compose.service"
LABEL_CONFIG_HASH = "com.docker.compose.config-hash"
LABEL_ONEOFF = "com.docker.compose.oneoff"

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


# --- the effective configuration, both ways -----------------------------------------------

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


def _healthcheck(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = spec or {}
    return {
        "test": list(spec.get("Test") or []),
        "interval": spec.get("Interval") or 0,
        "timeout": spec.get("Timeout") or 0,
        "start_period": spec.get("StartPeriod") or 0,
        "retries": spec.get("Retries") or 0,
    }


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


def _any_host(ip: str | None) -> str:
    return "" if ip in (None, "", "0.0.0.0", "::") else str(ip)


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


def _engine_ports(bindings: Mapping[str, Any] | None) -> list[str]:
    out = []
    for port, binds in (bindings or {}).items():
        target, _, proto = port.partition("/")
        for b in binds or [{}]:
            out.append(f"{_any_host(b.get('HostIp'))}:{b.get('HostPort') or ''}->{target}/{proto or 'tcp'}")
    return sorted(out)


_ANONYMOUS = re.compile(r"[0-9a-f]{64}")


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


# --- timestamps ------------------------------------------------------------------------

def parse_timestamp(value: str | None) -> datetime | None:
    """RFC 3339 as the engine writes it (nanoseconds, `Z`); None for Go's zero time."""
    if not value or value.startswith("0001-01-01"):
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?", value.strip())
    if not m:
        return None
    frac = (m.group(2) or "")[:6].ljust(6, "0")
    zone = m.group(3) or "Z"
    stamp = datetime.fromisoformat(f"{m.group(1)}.{frac}{'+00:00' if zone == 'Z' else zone}")
    return stamp.astimezone(timezone.utc)


def _short(value: str | None) -> str | None:
    stamp = parse_timestamp(value)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z") if stamp else value


# --- one record per container ------------------------------------------------------------

def _service_expected(name: str, svc: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether `up` would start this service, and why not."""
    if svc.get("profiles"):
        return False, f"not started: only in profile {', '.join(map(str, svc['profiles']))}"
    scale = svc.get("scale", ((svc.get("deploy") or {}).get("replicas")))
    if scale is not None and str(scale) == "0":
        return False, "not started: scaled to 0"
    return True, ""


def _state_words(container: Mapping[str, Any]) -> tuple[str, str | None, int | None]:
    state = container.get("State") or {}
    status = state.get("Status") or "unknown"
    health = (state.get("Health") or {}).get("Status")
    return status, health, container.get("RestartCount")


def service_runtime(
    project: str,
    doc: Mapping[str, Any] | None,
    containers: Sequence[Mapping[str, Any]],
    images: Mapping[str, Mapping[str, Any]],
    *,
    working_dir: str,
    current_image_ids: Mapping[str, str] | None = None,
    mounted_files: Mapping[str, tuple[str, str]] | None = None,
    dockerfiles: Mapping[str, tuple[str, str]] | None = None,
    doc_problem: str | None = None,
) -> tuple[ServiceRuntime, ...]:
    """Every service of the file and every container of the project, with whether it is stale.

    - `containers`: inspect dicts of the project's containers (one-off `run` containers are skipped).
    - `images`: image inspect dicts by id (the images the containers were created from).
    - `current_image_ids`: normalised image reference -> the id it names on the engine now;
      a container on another id runs an older build or pull.
    - `mounted_files`: absolute path on the host -> (live path, mtime) of tracked files; one
      inside a bind mount and changed after its container started is runtime drift.
    - `dockerfiles`: service -> (live path, mtime) of its tracked Dockerfile; one changed after
      the container's image was built is runtime drift.
    - `doc`: the merged, normalised compose model, or None with `doc_problem` saying why.
    """
    services: Mapping[str, Any] = (doc or {}).get("services") or {}
    by_service: dict[str, list[Mapping[str, Any]]] = {}
    for c in containers:
        labels = (c.get("Config") or {}).get("Labels") or {}
        if labels.get(LABEL_ONEOFF, "False").lower() == "true":
            continue
        by_service.setdefault(labels.get(LABEL_SERVICE, ""), []).append(c)

    records: list[ServiceRuntime] = []
    for name in sorted(set(services) | set(by_service)):
        svc = services.get(name)
        found = sorted(by_service.get(name, []), key=lambda c: c.get("Name") or "")
        if not found:
            expected, why = _service_expected(name, svc or {})
            if expected:
                records.append(ServiceRuntime(name, "missing", True,
                                              f"in the compose file but has no container; `docker compose up -d {name}` would create it"))
            else:
                records.append(ServiceRuntime(name, "missing", False, why))
            continue
        for c in found:
            records.append(_container_record(project, name, svc, doc, c, images, working_dir=working_dir,
                                             current_image_ids=current_image_ids or {},
                                             mounted_files=mounted_files or {}, dockerfiles=dockerfiles or {},
                                             doc_problem=doc_problem))
    return tuple(sorted(records, key=lambda r: (r.service, r.container or "")))


def _container_record(project: str, name: str, svc: Mapping[str, Any] | None, doc: Mapping[str, Any] | None,
                      c: Mapping[str, Any], images: Mapping[str, Mapping[str, Any]], *, working_dir: str,
                      current_image_ids: Mapping[str, str], mounted_files: Mapping[str, tuple[str, str]],
                      dockerfiles: Mapping[str, tuple[str, str]], doc_problem: str | None) -> ServiceRuntime:
    cfg = c.get("Config") or {}
    labels = cfg.get("Labels") or {}
    status, health, restarts = _state_words(c)
    started = (c.get("State") or {}).get("StartedAt")
    image_id = c.get("Image")
    common = dict(
        container=(c.get("Name") or "").lstrip("/") or None,
        image=cfg.get("Image"),
        image_id=image_id,
        health=health,
        restart_count=restarts,
        started_at=_short(started),
        config_hash=labels.get(LABEL_CONFIG_HASH),
    )
    words = status + (f", health: {health}" if health else "") + (f", restarted {restarts}x" if restarts else "")
    if doc is None:
        why = doc_problem or "the compose file could not be read"
        return ServiceRuntime(name, status, False, f"{words}; cannot tell whether it matches the compose file: {why}", **common)
    if svc is None:
        return ServiceRuntime(name, "orphan", True,
                              f"{words}; its service is not in the compose file any more; "
                              "`docker compose up -d --remove-orphans` would remove it", **common)

    image = images.get(image_id or "")
    expected, actual = effective_pair(svc, doc, c, image, project=project, service=name, working_dir=working_dir)
    fields = list(differing_fields(expected, actual))
    notes: list[str] = []

    ref = image_ref(cfg.get("Image"))
    now = current_image_ids.get(ref or "")
    if now and image_id and now != image_id and "image" not in fields:
        fields.append("image_id")
        notes.append(f"{cfg.get('Image')} now names a newer image than the one it runs")

    started_at = parse_timestamp(started)
    changed_files: list[str] = []
    if started_at is not None:
        for mount in c.get("Mounts") or ():
            if mount.get("Type") != "bind":
                continue
            source = str(mount.get("Source") or "").rstrip("/")
            for path, (live, mtime) in sorted(mounted_files.items()):
                stamp = parse_timestamp(mtime)
                if (path == source or path.startswith(source + "/")) and stamp and stamp > started_at:
                    if f"mounted:{live}" not in fields:
                        fields.append(f"mounted:{live}")
                        changed_files.append(live)
    built = parse_timestamp((image or {}).get("Created"))
    if name in dockerfiles and built is not None and svc.get("build") is not None:
        live, mtime = dockerfiles[name]
        stamp = parse_timestamp(mtime)
        if stamp and stamp > built:
            fields.append(f"build:{live}")
            notes.append(f"{live} changed after the image was built")

    config_fields = [f for f in fields if not f.startswith(("mounted:", "build:", "image_id"))]
    if config_fields:
        notes.insert(0, f"differs from the compose file in {', '.join(config_fields)}")
    if changed_files:
        notes.append(f"{', '.join(changed_files)} changed after the container started")
    if not fields:
        return ServiceRuntime(name, status, False, f"{words}; matches the compose file", **common)
    if config_fields or "image_id" in fields or any(f.startswith("build:") for f in fields):
        action = (f"`docker compose up -d --build {name}` would rebuild and recreate it"
                  if any(f.startswith("build:") for f in fields) else f"`docker compose up -d {name}` would recreate it")
    else:
        action = f"`docker compose restart {name}` would load it"
    return ServiceRuntime(name, status, True, f"{words}; {'; '.join(notes)}; {action}", fields=tuple(fields), **common)

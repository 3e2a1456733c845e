"""Runtime state and runtime drift: what the engine runs, against what the compose file now says.

Pure: every input is plain data (container and image inspect dicts as the Engine API returns
them, the compose documents as loaded, the tracked files' mtimes), so the rules can be tested
with hand-made dicts. This module makes one record per service and container (missing, orphan,
stale and why); the project's model is `compose_project`'s, the field-by-field comparison
`effective`'s (which says why the config-hash label is not enough).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from bot.capture.container_config import image_ref
from bot.capture.effective import differing_fields, effective_pair
from bot.model import ServiceRuntime

LABEL_PROJECT = "com.docker.compose.project"
LABEL_WORKING_DIR = "com.docker.compose.project.working_dir"
LABEL_CONFIG_FILES = "com.docker.compose.project.config_files"
LABEL_SERVICE = "com.docker.compose.service"
LABEL_CONFIG_HASH = "com.docker.compose.config-hash"
LABEL_ONEOFF = "com.docker.compose.oneoff"


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

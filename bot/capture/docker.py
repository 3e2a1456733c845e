"""`docker://[?project=NAME]` and `ssh://user@host[:port][?project=NAME]`: the running instance.

The compose project is found from its containers' labels; its working directory is the source
root. The tracked files are read on the engine's host (through the adapter's helper
container), go through `take_file` like every other source, and the containers' state is
compared with the compose file now on disk (bot.capture.runtime).
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.capture.clock import now_utc
from bot.capture.files import MAX_FILE_BYTES, take_file
from bot.capture.compose_project import project_model
from bot.capture.container_config import image_ref
from bot.capture.runtime import (
    LABEL_CONFIG_FILES,
    LABEL_ONEOFF,
    LABEL_PROJECT,
    LABEL_WORKING_DIR,
    parse_timestamp,
    service_runtime,
)
from bot.errors import SourceError
from bot.model import FileCapture, Snapshot


@dataclass(frozen=True)
class EngineSource:
    url: str | None  # None: the engine the docker CLI would use (DOCKER_HOST, contexts)
    project: str | None


def parse_source(source: str) -> EngineSource:
    parts = urlsplit(source)
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"project"})
    if unknown:
        raise SourceError(f"{source}: unknown option {unknown[0]!r}; the only option is ?project=NAME")
    project = (query.get("project") or [None])[-1] or None
    if parts.scheme == "docker":
        if parts.netloc or parts.path not in ("", "/"):
            raise SourceError(f"{source}: write docker:// or docker://?project=NAME; the engine comes from "
                              "DOCKER_HOST or the current Docker context")
        return EngineSource(None, project)
    if parts.scheme == "ssh":
        if not parts.hostname:
            raise SourceError(f"{source}: write ssh://user@host[:port][?project=NAME]")
        return EngineSource(f"ssh://{parts.netloc}", project)
    raise SourceError(f"unknown engine source {source!r}; use docker://[?project=NAME] or ssh://user@host[:port][?project=NAME]")


# --- discovery (pure) --------------------------------------------------------------------

@dataclass(frozen=True)
class ComposeProject:
    name: str
    working_dir: str
    config_files: tuple[str, ...]
    container_ids: tuple[str, ...]


def discover_projects(summaries: Sequence[Mapping[str, Any]]) -> dict[str, ComposeProject]:
    """Compose projects by name, from container summaries (`GET /containers/json`).

    One-off `docker compose run` containers count for discovery but not for the folder; when
    containers disagree on the folder or the files, the most recently created one wins, as it
    is the one the last `up` wrote.
    """
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for s in summaries:
        name = (s.get("Labels") or {}).get(LABEL_PROJECT)
        if name:
            grouped.setdefault(name, []).append(s)
    out = {}
    for name, members in grouped.items():
        ordered = sorted(members, key=lambda s: ((s.get("Labels") or {}).get(LABEL_ONEOFF, "False").lower() != "true",
                                                 s.get("Created") or 0), reverse=True)
        labels = ordered[0].get("Labels") or {}
        files = tuple(f for f in (labels.get(LABEL_CONFIG_FILES) or "").split(",") if f)
        out[name] = ComposeProject(name, labels.get(LABEL_WORKING_DIR) or "", files,
                                   tuple(s["Id"] for s in sorted(members, key=lambda s: s["Id"])))
    return out


def choose_project(projects: Mapping[str, ComposeProject], wanted: str | None, where: str) -> ComposeProject:
    names = ", ".join(sorted(projects))
    if wanted is not None:
        if wanted in projects:
            return projects[wanted]
        if not projects:
            raise SourceError(f"no compose project named {wanted!r} on {where}: no container there carries "
                              "compose labels; bring the stack up with `docker compose up -d` first")
        raise SourceError(f"no compose project named {wanted!r} on {where}; projects found: {names}")
    if not projects:
        raise SourceError(f"no compose project on {where}: no container carries compose labels; "
                          "bring the stack up with `docker compose up -d` first")
    if len(projects) > 1:
        first = sorted(projects)[0]
        raise SourceError(f"{len(projects)} compose projects run on {where} ({names}); "
                          f"name one in the source, e.g. docker://?project={first}")
    return next(iter(projects.values()))


# --- capture -----------------------------------------------------------------------------

def _seconds(mtime: str | None) -> str | None:
    stamp = parse_timestamp(mtime)
    return stamp.astimezone(timezone.utc).isoformat(timespec="seconds") if stamp else None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def capture_engine(source: str, files: Sequence[tuple[str, str]], *, tool_version: str,
                   now: Callable[[], str] = now_utc) -> Snapshot:
    """Capture the tracked files and the runtime state of one compose project on an engine."""
    from bot.adapters.docker import Engine  # the SDK only when an engine is read

    from bot.progress import Progress

    target = parse_source(source)
    progress = Progress()
    progress.say(f"capture: connecting to {source}", log=False)
    with Engine.connect(target.url) as engine:
        where = engine.endpoint.label
        host = engine.name()
        project = choose_project(discover_projects(engine.compose_containers()), target.project, where)
        root = posixpath.normpath(project.working_dir) if project.working_dir else ""
        if not root.startswith("/"):
            raise SourceError(f"the containers of project {project.name} carry no usable "
                              f"{LABEL_WORKING_DIR} label; recreate them with `docker compose up -d`")
        def inspected_one(done: int, total: int, container: Mapping[str, Any]) -> None:
            labels = (container.get("Config") or {}).get("Labels") or {}
            name = labels.get("com.docker.compose.service") or str(container.get("Name") or "").lstrip("/")
            progress.say(f"capture: {project.name} on {host}: service {name} ({done}/{total})")

        containers = engine.inspect_containers(project.container_ids, inspected_one)
        if not containers:
            raise SourceError(f"the containers of project {project.name} were removed while being read; run again")

        tracked: list[tuple[str, str, str]] = []  # (live path, repo path, absolute path on the host)
        refused: dict[str, FileCapture] = {}
        for live, repo in files:
            path = posixpath.normpath(posixpath.join(root, live))
            if not _inside(path, root):
                refused[live] = take_file(live, repo, None, problem=f"is a path outside the source root ({path}); refused")
            tracked.append((live, repo, path))
        wanted = [(root, path) for live, _, path in tracked if live not in refused]
        tracked_paths = {path for _, _, path in tracked}
        # Files given on stdin (`-f -`) or at the top of the filesystem cannot be read back.
        compose_paths = [posixpath.normpath(f) for f in project.config_files
                         if f.startswith("/") and posixpath.dirname(posixpath.normpath(f)) != "/"]
        wanted += [(root if _inside(p, root) else posixpath.dirname(p), p) for p in compose_paths if p not in tracked_paths]

        progress.say(f"capture: {project.name} on {host}: reading {len(wanted)} file(s) through a helper container", log=False)
        helper_image = sorted(containers, key=lambda c: c.get("Name") or "")[0]["Image"]
        host_files = engine.read_files(helper_image, wanted, max_bytes=MAX_FILE_BYTES) if wanted else {}

        ids = sorted({c["Image"] for c in containers if c.get("Image")})
        refs = sorted({(c.get("Config") or {}).get("Image") for c in containers} - {None, ""} - set(ids))
        progress.say(f"capture: {project.name} on {host}: inspecting {len(ids + refs)} image(s)", log=False)
        inspected = engine.inspect_images(ids + refs)
    progress.done()

    captures: list[FileCapture] = []
    for live, repo, path in tracked:
        if live in refused:
            captures.append(refused[live])
            continue
        got = host_files[path]
        captures.append(take_file(live, repo, got.data, mtime=_seconds(got.mtime), problem=got.problem))

    runtime = _runtime(project, root, containers, inspected, ids, refs, tracked, captures, host_files, compose_paths)
    return Snapshot(source=source, host=host, captured_at=now(), tool_version=tool_version,
                    files=tuple(captures), runtime=runtime, project=project.name)


def _runtime(project: ComposeProject, root: str, containers: Sequence[Mapping[str, Any]],
             inspected: Mapping[str, Mapping[str, Any]], ids: Sequence[str], refs: Sequence[str],
             tracked: Sequence[tuple[str, str, str]], captures: Sequence[FileCapture],
             host_files: Mapping[str, Any], compose_paths: Sequence[str]) -> tuple[Any, ...]:
    from bot.compare.compose import ComposeParseError
    from bot.compare.dotenv import DotenvError, parse_dotenv

    by_path = {path: cap for (_, _, path), cap in zip(tracked, captures)}
    precise = {path: host_files[path].mtime for path in host_files if host_files[path].data is not None}

    texts: list[tuple[str, str]] = []
    problem = None if compose_paths else "the containers name no compose file that can be read back"
    for path in compose_paths:
        shown = posixpath.relpath(path, root) if _inside(path, root) else path
        # A compose file that is not tracked is read for this comparison only, redacted, never stored.
        cap = by_path.get(path) or take_file(shown, shown, host_files[path].data, problem=host_files[path].problem)
        if cap.text is None:
            problem = f"{shown} {cap.problem or 'is missing on the host'}"
            break
        texts.append((shown, cap.text))

    variables: dict[str, str] = {}
    env = by_path.get(posixpath.join(root, ".env"))
    if env is not None and env.text is not None:
        try:
            variables = {k: e.value for k, e in parse_dotenv(env.text).items() if e.value is not None}
        except DotenvError:
            variables = {}

    doc = None
    if problem is None:
        try:
            doc = project_model(texts, variables)
        except ComposeParseError as exc:
            problem = f"the compose file does not parse: {exc}"

    mounted = {path: (cap.live_path, precise[path]) for path, cap in by_path.items()
               if cap.text is not None and precise.get(path)}
    dockerfiles = {}
    for name, svc in ((doc or {}).get("services") or {}).items():
        build = svc.get("build") if isinstance(svc, dict) else None
        if isinstance(build, dict) and isinstance(build.get("context"), str) and "://" not in build["context"]:
            context = posixpath.normpath(posixpath.join(root, build["context"]))
            dockerfile = posixpath.normpath(posixpath.join(context, str(build.get("dockerfile") or "Dockerfile")))
            if dockerfile in mounted:
                dockerfiles[name] = mounted[dockerfile]

    images = {i: inspected[i] for i in ids if i in inspected}
    current = {image_ref(r): inspected[r]["Id"] for r in refs if r in inspected}
    return service_runtime(project.name, doc, containers, images, working_dir=root,
                           current_image_ids=current, mounted_files=mounted, dockerfiles=dockerfiles,
                           doc_problem=problem)


def project_file_candidates(compose_texts: Sequence[str]) -> list[str]:
    """Files a compose project points at that drift compares (relative to its working dir): each
    service's Dockerfile (`build:`) and each bind-mounted file of a tracked kind (a Caddyfile)."""
    from bot.compare.yamlload import YamlError, load_yaml

    out: list[str] = []
    for text in compose_texts:
        try:
            doc = load_yaml(text)
        except YamlError:
            continue
        services = doc.get("services") if isinstance(doc, dict) else None
        for spec in services.values() if isinstance(services, dict) else ():
            if not isinstance(spec, dict):
                continue
            build = spec.get("build")
            if isinstance(build, str):
                build = {"context": build}
            if isinstance(build, dict) and "://" not in str(build.get("context", ".")):
                out.append(posixpath.join(str(build.get("context") or "."), str(build.get("dockerfile") or "Dockerfile")))
            for volume in spec.get("volumes") or ():
                source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":", 1)[0]
                if isinstance(source, str) and source.startswith((".", "/")):
                    out.append(source)
    return sorted({posixpath.normpath(p) for p in out})


def engine_project_files(source: str) -> list[str]:
    """The files of a live compose project that `drift init` maps: its compose files, the `.env`
    beside them, and the Dockerfiles and mounted files they name, as paths relative to the
    project's working directory; only those that exist on the engine's host."""
    from bot.adapters.docker import Engine
    from bot.kinds import tracked_kind

    target = parse_source(source)
    with Engine.connect(target.url) as engine:
        project = choose_project(discover_projects(engine.compose_containers()), target.project, engine.endpoint.label)
        root = posixpath.normpath(project.working_dir) if project.working_dir else ""
        if not root.startswith("/"):
            raise SourceError(f"the containers of project {project.name} carry no usable {LABEL_WORKING_DIR} label; "
                              "recreate them with `docker compose up -d`")
        containers = engine.inspect_containers(project.container_ids)
        if not containers:
            raise SourceError(f"the containers of project {project.name} were removed while being read; run again")
        image = sorted(containers, key=lambda c: c.get("Name") or "")[0]["Image"]
        composes = [posixpath.normpath(f) for f in project.config_files if f.startswith("/") and _inside(f, root)]
        read = engine.read_files(image, [(root, p) for p in composes + [posixpath.join(root, ".env")]], max_bytes=MAX_FILE_BYTES)
        texts = [read[p].data.decode("utf-8", "replace") for p in composes if read[p].data is not None]
        named = [posixpath.normpath(posixpath.join(root, p)) for p in project_file_candidates(texts)]
        named = [p for p in named if _inside(p, root) and tracked_kind(p)]
        read.update(engine.read_files(image, [(root, p) for p in named], max_bytes=MAX_FILE_BYTES) if named else {})
    found = [p for p in composes + [posixpath.join(root, ".env")] + named if read.get(p) and read[p].data is not None]
    return sorted({posixpath.relpath(p, root) for p in found})

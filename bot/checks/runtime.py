"""runtime: what the engine runs, as findings — stale, missing, stopped, restarting, unhealthy,
crash-looping and orphaned containers.

The capture already says per service what runs and whether it still matches the compose file
on disk (`ServiceRuntime`); this check says what each of those facts means for the operator.
Only the live side has containers: on main it finds nothing.

The evidence of a finding is the runtime fact itself (container, image, start time, the capture
time and, for a stale container, the fields that differ), plus the compose file's line where
one says what should run. Ids name the service, the container and the rule — never a time or a
count — so the same fact keeps its finding from run to run.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.checks.base import CheckContext, Side, check, finding_id
from bot.compare.compose import locate_line
from bot.model import Finding, ServiceRuntime

CHECK = "runtime"
DEFAULT_MAX_RESTARTS = 5  # a few restarts over weeks happen (an OOM, a host reboot); more is a loop
_NOT_RUNNING = {
    "exited": ("warning", "has exited"),
    "created": ("warning", "was created but never started"),
    "dead": ("error", "is dead: the engine could not stop or remove it cleanly"),
}


@check(CHECK)
def runtime(ctx: CheckContext) -> Iterator[Finding]:
    if ctx.side.name != "live":
        return  # main has no containers
    max_restarts = _max_restarts(ctx.settings)
    for r in ctx.runtime:
        yield from _findings(ctx, r, max_restarts)


def _max_restarts(settings: Any) -> int:
    value = settings.get("max_restarts") if hasattr(settings, "get") else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return DEFAULT_MAX_RESTARTS  # .drift.yml validation refuses anything else; a hand-made context may not


def _findings(ctx: CheckContext, r: ServiceRuntime, max_restarts: int) -> Iterator[Finding]:
    svc, name = r.service, r.container
    who = f"{svc}: container {name}" if name else svc

    def finding(rule: str, severity: str, message: str, path: str | None = None, line: int | None = None) -> Finding:
        return Finding(finding_id(CHECK, f"{svc}/{name or '-'}:{rule}"), CHECK, severity,  # type: ignore[arg-type]
                       message, _evidence(ctx, r, path, line))

    if r.state == "missing":
        if r.stale:  # stale False: a profile or scale 0 keeps it down on purpose
            path, line = _compose_line(ctx.side, svc, ())
            yield finding("missing", "warning",
                          f"{svc} is in the compose file but has no container, so it is not running; "
                          f"`docker compose up -d {svc}` creates and starts it", path, line)
        return

    if r.state == "orphan":
        running = _orphan_status(r) in ("running", "restarting")
        what = "still runs" if running else "is left over, not running,"
        yield finding("orphan", "warning" if running else "info",
                      f"{who} {what} but its service is not in the compose file any more; "
                      f"`docker compose up -d --remove-orphans` removes it")
        return  # removing it is the whole answer: its health or restarts are no one's concern
    if r.stale:
        path, line = _stale_place(ctx.side, r)
        yield finding("stale", "warning", _stale_claim(r), path, line)

    if r.state in _NOT_RUNNING:
        severity, words = _NOT_RUNNING[r.state]
        yield finding("stopped", severity,
                      f"{who} {words}, so {svc} is not running; `docker compose logs {svc}` says why, "
                      f"`docker compose up -d {svc}` starts it again")
    elif r.state == "restarting":
        yield finding("restarting", "error",
                      f"{who} is restarting: its process exits and the engine starts it again; "
                      f"`docker compose logs {svc}` says why")
    if r.health == "unhealthy":
        yield finding("unhealthy", "error",
                      f"{who} is unhealthy: its healthcheck fails, and services waiting for it "
                      f"(`condition: service_healthy`) do not start; `docker inspect {name or svc}` shows the last "
                      f"probes under State.Health")
    if r.restart_count is not None and r.restart_count > max_restarts:
        yield finding("restarts", "warning",
                      f"{who} has restarted {r.restart_count} times (more than {max_restarts}): its process keeps "
                      f"exiting; `docker compose logs {svc}` says why")


def _orphan_status(r: ServiceRuntime) -> str:
    """The engine's status of an orphan, which the record keeps only as the first word of its detail."""
    return r.detail.split(";")[0].split(",")[0].strip()


def _stale_claim(r: ServiceRuntime) -> str:
    """What differs and what a recreate would do, from the fields the capture compared.

    Which side is the fix cannot be told from the container: the file may hold a change not
    yet applied, or the container a change the file lost. So the claim says only what is
    certain — the file's version is not what runs — and that applying it replaces what runs.
    """
    svc = r.service
    config = [f for f in r.fields if not f.startswith(("mounted:", "build:", "image_id"))]
    mounted = [f.partition(":")[2] for f in r.fields if f.startswith("mounted:")]
    built = [f.partition(":")[2] for f in r.fields if f.startswith("build:")]
    facts = []
    if config:
        facts.append(f"differs from the compose file on disk in {', '.join(config)}, so the file's version is not "
                     "what runs")
    if "image_id" in r.fields:
        facts.append(f"{r.image or 'its image'} now names a newer image than the one it runs")
    if built:
        facts.append(f"{', '.join(built)} changed after its image was built")
    if mounted:
        facts.append(f"{', '.join(mounted)} changed on disk after it started, so the change is not loaded")
    if not facts:
        facts.append("no longer matches the compose file on disk")
    if built:
        action = f"`docker compose up -d --build {svc}` rebuilds and recreates it"
    elif config or "image_id" in r.fields or not mounted:
        action = f"`docker compose up -d {svc}` recreates it from the file"
        if config:
            action += ", replacing what runs now"
    else:
        action = f"`docker compose restart {svc}` loads it"
    started = f", started {r.started_at}," if r.started_at else ""
    who = f"container {r.container}{started}" if r.container else "its container"
    return f"{svc} is stale: {who} {'; '.join(facts)}; {action}"


def _stale_place(side: Side, r: ServiceRuntime) -> tuple[str | None, int | None]:
    """The line of the file that says what should run: the first differing field, or the
    changed file itself."""
    for f in r.fields:
        if f.startswith(("mounted:", "build:")):
            live = f.partition(":")[2]
            repo = next((p for p, lp in side.live_paths.items() if lp == live), None)
            if repo in side.files:
                return repo, None
        elif f == "image_id":
            return _compose_line(side, r.service, ("image",))
        else:
            # `environment.KEY`, `labels.KEY` (a key may hold dots), `volumes[/data]`, `deploy.resources...`
            head, _, key = f.partition(".")
            keys = (head, key) if head in ("environment", "labels", "healthcheck") else tuple(f.split("[")[0].split("."))
            return _compose_line(side, r.service, keys)
    return _compose_line(side, r.service, ())


def _compose_line(side: Side, service: str, keys: tuple[str, ...]) -> tuple[str | None, int | None]:
    """The last compose file defining the service (an override wins), and the line of `keys` in it."""
    for path, _raw, norm in reversed(side.compose_files()):
        if service in (norm.get("services") or {}):
            return path, locate_line(side.files[path], ("services", service, *keys))
    return None, None


def _evidence(ctx: CheckContext, r: ServiceRuntime, path: str | None, line: int | None) -> dict[str, Any]:
    return ctx.side.evidence(path, line, service=r.service, container=r.container, image=r.image,  # type: ignore[arg-type]
                             image_id=r.image_id, state=r.state, health=r.health, restart_count=r.restart_count,
                             started_at=r.started_at, captured_at=ctx.captured_at, fields=list(r.fields))

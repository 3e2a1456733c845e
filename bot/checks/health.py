"""health: healthchecks that cannot pass because of how the stack is wired.

(a) a healthcheck probing a local port the service does not listen on; (b) a Caddy healthcheck
asking for a path that no route of its Caddyfile answers on the probed port. Both leave a
container "unhealthy" for reasons no log line explains, and hold back every `depends_on:
condition: service_healthy` behind it. When Caddy has no site at all on the probed port, (a) and
(b) are one cause, reported once with the evidence of both.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.checks.base import CheckContext, Side, check, finding_id
from bot.checks.caddyfile import CaddyConfig, parse_caddyfile
from bot.checks.model_cache import tracked_path
from bot.compare.compose import locate_line
from bot.model import Finding

_LOCAL = ("127.0.0.1", "localhost", "0.0.0.0", "[::1]")
_PROBE = re.compile(r"(?<![\w.\-])(127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):(\d+)")
_URL = re.compile(r"(https?)://(\[[^\]]*\]|[^/:\s'\"]+)(?::(\d+))?(/[^\s'\"?#]*)?")


@check("health")
def health(ctx: CheckContext) -> Iterator[Finding]:
    side = ctx.side
    for path, _raw, norm in side.compose_files():
        text = side.files[path]
        for name, svc in (norm.get("services") or {}).items():
            if isinstance(svc, dict):
                yield from _service(side, path, text, name, svc)


def _service(side: Side, path: str, text: str, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    test = (svc.get("healthcheck") or {}).get("test") if isinstance(svc.get("healthcheck"), Mapping) else None
    if not isinstance(test, list) or not test or test[0] == "NONE":
        return
    probe = " ".join(str(t) for t in (test[1:] if test[0] in ("CMD", "CMD-SHELL") else test))
    mode = str(svc.get("network_mode") or "")
    if mode.startswith(("service:", "container:")):
        return  # it shares another container's network: the ports are that one's
    # The line is wanted only for a finding: look it up lazily (a scan per service adds up).
    found_at: list[int | None] = []

    def line() -> int | None:
        if not found_at:
            found_at.append(locate_line(text, ("services", name, "healthcheck", "test")))
        return found_at[0]

    caddyfile = _caddyfile(side, path, svc)
    config = parse_caddyfile(side.files[caddyfile]) if caddyfile else None
    listens = _listens(svc, config, caddyfile)
    unserved = _unserved_port(probe, listens) if listens and not (_is_caddy(svc) and config is None) else None
    unanswered = _unanswered_path(probe, config, caddyfile) if config is not None else None
    served = ", ".join(str(p) for p in sorted(listens))
    ports = {str(p): sorted(s) for p, s in sorted(listens.items())}

    if unserved and unanswered and unserved[1] == unanswered.port:
        # One cause: nothing listens on the probed port, so no route there answers either.
        # Said once, with the evidence of both.
        host, port = unserved
        yield Finding(
            finding_id("health", f"{name}:port"), "health", "warning",
            f"{name} healthcheck asks for {unanswered.path} on {host}:{port}, but {name} listens only on {served} "
            f"and {caddyfile} has no site on port {port}: the check can never pass; probe a port it serves or "
            f"add `:{port} {{ respond {unanswered.path} \"ok\" 200 }}` to {caddyfile}",
            side.evidence(path, line(), service=name, test=test, probed_port=port, probed_path=unanswered.path,
                          listens=ports, caddyfile=caddyfile, sites_on_port=[]),
        )
        return
    if unserved:
        host, port = unserved
        hint = "probe a port it serves" + (f" or add a :{port} site to {caddyfile}" if config else "")
        yield Finding(
            finding_id("health", f"{name}:port"), "health", "warning",
            f"{name} healthcheck probes {host}:{port}, but {name} listens only on {served}: "
            f"the check can never pass; {hint}",
            side.evidence(path, line(), service=name, test=test, probed_port=port, listens=ports),
        )
    if unanswered:
        yield Finding(
            finding_id("health", f"{name}:path"), "health", "warning",
            f"{name} healthcheck asks for {unanswered.path} on port {unanswered.port}, but {unanswered.gap}",
            side.evidence(path, line(), service=name, test=test, probed_port=unanswered.port, probed_path=unanswered.path,
                          caddyfile=caddyfile, sites_on_port=list(unanswered.sites)),
        )


def _unserved_port(probe: str, listens: Mapping[int, set[str]]) -> tuple[str, int] | None:
    """(host, port) of the first local port the probe asks for that the service does not listen on."""
    for host, port_text in _PROBE.findall(probe):
        if int(port_text) not in listens:
            return host, int(port_text)
    return None


@dataclass(frozen=True)
class _Unanswered:
    port: int
    path: str
    gap: str  # why nothing answers, and what to add
    sites: tuple[str, ...]  # the addresses of the sites on that port that accept the probe's host


def _unanswered_path(probe: str, config: CaddyConfig, caddyfile: str | None) -> _Unanswered | None:
    """The first local URL of the probe that no route of the Caddyfile answers."""
    for scheme, host, port_text, url_path in _URL.findall(probe):
        if host.lower() not in _LOCAL:
            continue
        port = int(port_text) if port_text else (443 if scheme == "https" else 80)
        if port == config.admin_port:
            continue  # the admin API answers its own paths
        url_path = url_path or "/"
        on_port = [s for s in config.sites if port in s.ports]
        sites = [s for s in on_port if s.accepts(host)]
        if any(s.answers(url_path, config.snippets) for s in sites):
            continue
        add = f"add `:{port} {{ respond {url_path} \"ok\" 200 }}`"
        if sites:
            gap = f"no route of its port-{port} site in {caddyfile} answers it; add `respond {url_path} \"ok\" 200` there"
        elif on_port:
            names = ", ".join(a for s in on_port for a in s.addresses)
            gap = f"the port-{port} sites of {caddyfile} ({names}) answer other host names only; {add}"
        else:
            gap = f"{caddyfile} has no site on port {port} to answer it; {add}"
        return _Unanswered(port, url_path, gap, tuple(", ".join(s.addresses) for s in sites))
    return None


def _listens(svc: Mapping[str, Any], config: CaddyConfig | None, caddyfile: str | None) -> dict[int, set[str]]:
    """Port -> where that port comes from."""
    out: dict[int, set[str]] = {}

    def add(port: Any, source: str) -> None:
        text = str(port).split("/")[0]
        lo, _, hi = text.partition("-")
        if lo.isdigit() and (not hi or hi.isdigit()):
            for p in range(int(lo), int(hi or lo) + 1):
                out.setdefault(p, set()).add(source)

    for p in svc.get("ports") or []:
        if isinstance(p, Mapping) and p.get("target") is not None:
            add(p["target"], "ports")
    for p in svc.get("expose") or []:
        add(p, "expose")
    words = _words(svc.get("entrypoint")) + _words(svc.get("command"))
    for i, w in enumerate(words):
        if w == "--port" and i + 1 < len(words):
            add(words[i + 1], "--port")
        elif w.startswith("--port="):
            add(w.partition("=")[2], "--port")
    if config is not None:
        for site in config.sites:
            for p in site.ports:
                add(p, caddyfile or "Caddyfile")
        if config.admin_port is not None:
            add(config.admin_port, "Caddy admin API")
    return out


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for w in value if isinstance(value, list) else []:
        try:
            out.extend(shlex.split(str(w)))
        except ValueError:
            out.append(str(w))
    return out


def _is_caddy(svc: Mapping[str, Any]) -> bool:
    image = str(svc.get("image") or "").split("@")[0]
    repo = image.rsplit("/", 1)[-1].split(":")[0]
    return repo.lower().startswith("caddy")


def _caddyfile(side: Side, compose_path: str, svc: Mapping[str, Any]) -> str | None:
    """The tracked Caddyfile bind-mounted into a Caddy service (as a file, or in /etc/caddy)."""
    for v in svc.get("volumes") or []:
        if not isinstance(v, Mapping) or v.get("type") != "bind":
            continue
        source, target = v.get("source"), v.get("target")
        if not isinstance(source, str) or not isinstance(target, str):
            continue
        if posixpath.basename(target).lower() == "caddyfile" or "caddyfile" in posixpath.basename(source).lower():
            found = tracked_path(side, compose_path, source)
        elif posixpath.normpath(target) == "/etc/caddy" and _is_caddy(svc):
            found = tracked_path(side, compose_path, posixpath.join(source, "Caddyfile"))
        else:
            continue
        if found:
            return found
    return None

"""health: healthchecks that cannot pass because of how the stack is wired.

(a) a healthcheck probing a local port the service does not listen on; (b) a Caddy healthcheck
asking for a path that no route of its Caddyfile answers on the probed port. Both leave a
container "unhealthy" for reasons no log line explains, and hold back every `depends_on:
condition: service_healthy` behind it. When Caddy has no site at all on the probed port, (a) and
(b) are one cause, reported once with the evidence of both.
"""
from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.checks import CheckContext, Side, check, finding_id
from bot.checks.model_cache import tracked_path
from bot.compare.compose import locate_line
from bot.model import Finding

_LOCAL = ("127.0.0.1", "localhost", "0.0.0.0", "[::1]")
_PROBE = re.compile(r"(?<![\w.\-])(127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):(\d+)")
_URL = re.compile(r"(https?)://(\[[^\]]*\]|[^/:\s'\"]+)(?::(\d+))?(/[^\s'\"?#]*)?")
CADDY_ADMIN_PORT = 2019


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


# --- the Caddyfile, as far as sites, ports and routes go ----------------------------------

@dataclass
class Node:
    tokens: list[str]
    line: int
    block: list[Node] | None = None


_BLOCK_ROUTES = {"handle", "handle_path", "route"}
_ANSWERS = {"respond", "reverse_proxy", "file_server", "redir", "php_fastcgi", "metrics"}


@dataclass
class Site:
    addresses: list[str]
    body: list[Node]
    ports: set[int] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)  # "" for an address with no host
    paths: list[str] = field(default_factory=list)  # from `example.com/api/*` addresses

    def accepts(self, host: str) -> bool:
        host = host.lower()
        return any(h == "" or h == host or ("*" in h and fnmatch.fnmatchcase(host, h)) for h in self.hosts)

    def answers(self, path: str, snippets: Mapping[str, list[Node]]) -> bool:
        if self.paths and not any(_path_matches(p, path) for p in self.paths):
            return False
        return _answers(self.body, path, snippets, 0)


@dataclass
class CaddyConfig:
    sites: list[Site]
    snippets: dict[str, list[Node]]
    admin_port: int | None = CADDY_ADMIN_PORT


def parse_caddyfile(text: str) -> CaddyConfig:
    nodes = _tree(_tokens(text))
    http_port, https_port, admin = 80, 443, CADDY_ADMIN_PORT
    sites: list[Site] = []
    snippets: dict[str, list[Node]] = {}
    if nodes and not nodes[0].tokens and nodes[0].block is not None:
        for opt in nodes.pop(0).block or []:
            key, args = (opt.tokens[0], opt.tokens[1:]) if opt.tokens else ("", [])
            if key == "http_port" and args and args[0].isdigit():
                http_port = int(args[0])
            elif key == "https_port" and args and args[0].isdigit():
                https_port = int(args[0])
            elif key == "admin" and args:
                admin = None if args[0] == "off" else _port_of(args[0], CADDY_ADMIN_PORT)
    if nodes and nodes[0].block is None and nodes[0].tokens[:1] != ["import"]:
        nodes = [Node(nodes[0].tokens, nodes[0].line, nodes[1:])]  # one site written without braces
    for node in nodes:
        if not node.tokens or node.block is None:
            continue
        first = node.tokens[0]
        if first.startswith("(") and first.endswith(")"):
            snippets[first[1:-1]] = node.block
            continue
        if first.startswith("&("):
            continue  # a named route, used only where invoked
        addresses = [a for t in node.tokens for a in t.split(",") if a]
        site = Site(addresses, node.block)
        for a in addresses:
            host, ports, path = _address(a, http_port, https_port)
            site.hosts.add(host)
            site.ports.update(ports)
            if path:
                site.paths.append(path)
        sites.append(site)
    return CaddyConfig(sites, snippets, admin)


def _address(address: str, http_port: int, https_port: int) -> tuple[str, set[int], str]:
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "", address
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if port.isdigit():
        ports = {int(port)}
    elif scheme == "http":
        ports = {http_port}
    elif scheme == "https":
        ports = {https_port}
    else:
        ports = {http_port, https_port}
    return host.lower(), ports, ("/" + path) if slash else ""


def _port_of(address: str, default: int) -> int | None:
    _, _, port = address.rpartition(":")
    return int(port) if port.isdigit() else default


def _tokens(text: str) -> list[tuple[int, str, bool]]:
    """(line, token, quoted) in order; a newline is a token of its own ("\\n")."""
    out: list[tuple[int, str, bool]] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            out.append((line, "\n", False))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == "\\" and text[i + 1 : i + 2] == "\n":
            line += 1  # a continued line
            i += 2
        else:
            start_line, buf, quoted = line, [], False
            while i < n and text[i] not in " \t\r\n":
                ch = text[i]
                if ch in "\"`":
                    quoted, close = True, ch
                    i += 1
                    while i < n and text[i] != close:
                        if ch == '"' and text[i] == "\\" and i + 1 < n:
                            i += 1
                        line += text[i] == "\n"
                        buf.append(text[i])
                        i += 1
                    i += 1
                else:
                    buf.append(ch)
                    i += 1
            out.append((start_line, "".join(buf), quoted))
    return out


def _tree(tokens: list[tuple[int, str, bool]]) -> list[Node]:
    root: list[Node] = []
    stack = [root]
    buf: list[str] = []
    buf_line = 0

    def flush() -> None:
        nonlocal buf
        if buf:
            stack[-1].append(Node(buf, buf_line))
            buf = []

    for line, tok, quoted in tokens:
        if tok == "\n" and not quoted:
            flush()
        elif tok == "{" and not quoted:
            node = Node(buf, buf_line if buf else line, [])
            stack[-1].append(node)
            stack.append(node.block)  # type: ignore[arg-type]
            buf = []
        elif tok == "}" and not quoted:
            flush()
            if len(stack) > 1:
                stack.pop()
        else:
            if not buf:
                buf_line = line
            buf.append(tok)
    flush()
    return root


def _answers(nodes: list[Node], path: str, snippets: Mapping[str, list[Node]], depth: int,
             outer: Mapping[str, Node] | None = None) -> bool:
    """Whether some route among `nodes` responds to `path` (matchers not decidable here count as matching)."""
    if depth > 10:
        return False
    named = {**(outer or {}), **{n.tokens[0]: n for n in nodes if n.tokens and n.tokens[0].startswith("@")}}
    for node in nodes:
        if not node.tokens:
            continue
        name, args = node.tokens[0], node.tokens[1:]
        matcher = args[0] if args and (args[0] == "*" or args[0].startswith(("/", "@"))) else None
        if name == "import" and args and args[0] in snippets:
            if _answers(snippets[args[0]], path, snippets, depth + 1, named):
                return True
        elif name in _BLOCK_ROUTES and node.block is not None:
            if _matches(matcher, path, named):
                inner = path
                if name == "handle_path" and matcher and matcher.startswith("/"):
                    prefix = matcher.rstrip("*").rstrip("/")
                    inner = path[len(prefix):] or "/" if path.lower().startswith(prefix.lower()) else path
                if _answers(node.block, inner, snippets, depth + 1, named):
                    return True
        elif name in _ANSWERS and _matches(matcher, path, named):
            return True
    return False


def _matches(matcher: str | None, path: str, named: Mapping[str, Node]) -> bool:
    if matcher is None or matcher == "*":
        return True
    if matcher.startswith("/"):
        return _path_matches(matcher, path)
    definition = named.get(matcher)
    if definition is None:
        return True  # defined elsewhere (a snippet): not ours to judge
    conditions = [definition.tokens[1:]] if len(definition.tokens) > 1 else [n.tokens for n in definition.block or []]
    paths = [p for c in conditions if c[:1] == ["path"] for p in c[1:]]
    return not paths or any(_path_matches(p, path) for p in paths)


def _path_matches(pattern: str, path: str) -> bool:
    return fnmatch.fnmatchcase(path.lower(), pattern.lower())

"""The Caddyfile, as far as sites, ports and routes go: enough to tell whether some route
answers a path on a port (what the health check asks of a Caddy healthcheck). Not a check
itself; matchers it cannot decide count as matching, so it errs towards "answered"."""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

CADDY_ADMIN_PORT = 2019


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

"""Reaching the engine: which one (as the docker CLI chooses it), how (a socket, TCP, or SSH with
`docker system dial-stdio`, bounded in time), and one sentence that names what to fix for each
way reaching it fails."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bot.errors import SourceError

TIMEOUT = 10  # seconds; every error must reach the user within this
DEFAULT_SOCKET = "unix:///var/run/docker.sock"

T = TypeVar("T")


@dataclass(frozen=True)
class Endpoint:
    url: str
    tls: Any = None
    origin: str = ""  # where the address came from, for messages: "DOCKER_HOST", "context prod"...

    @property
    def label(self) -> str:
        return f"the Docker engine at {self.url}" + (f" ({self.origin})" if self.origin else "")


def resolve_endpoint(url: str | None, environ: Mapping[str, str] | None = None) -> Endpoint:
    """The engine to talk to, chosen as the docker CLI chooses it when `url` is None:
    DOCKER_CONTEXT, then DOCKER_HOST, then the current context of ~/.docker/config.json,
    then the local socket."""
    if url:
        return Endpoint(url)
    env = os.environ if environ is None else environ
    from docker.context import ContextAPI
    from docker.errors import DockerException
    from docker.utils import kwargs_from_env

    name = env.get("DOCKER_CONTEXT")
    if not name and env.get("DOCKER_HOST"):
        try:
            params = kwargs_from_env(environment=dict(env))
        except DockerException as exc:
            raise SourceError(f"DOCKER_HOST or DOCKER_TLS_VERIFY/DOCKER_CERT_PATH cannot be used: {exc}") from None
        return Endpoint(params["base_url"], params.get("tls"), "DOCKER_HOST")
    try:
        ctx = ContextAPI.get_context(name or None)
    except DockerException as exc:
        raise SourceError(f"the Docker context {name or 'in ~/.docker/config.json'} cannot be read: {exc}") from None
    if ctx is None:
        named_by = "DOCKER_CONTEXT" if name else "currentContext in ~/.docker/config.json"
        raise SourceError(f"the Docker context {name or '(current)'!r} named by {named_by} does not exist; "
                          "`docker context ls` lists the contexts")
    if ctx.Name == "default":
        if env.get("DOCKER_HOST"):
            params = kwargs_from_env(environment=dict(env))
            return Endpoint(params["base_url"], params.get("tls"), "DOCKER_HOST")
        return Endpoint(DEFAULT_SOCKET)
    return Endpoint(ctx.Host or DEFAULT_SOCKET, ctx.TLSConfig or None, f"context {ctx.Name}")


def _ssh_target(url: str) -> tuple[str, int, str | None, bool]:
    """(host, port, user, through a ProxyCommand) as the SDK's paramiko transport will use
    them: the URL first, then ~/.ssh/config (HostName, Port, User, ProxyCommand), then port 22."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise SourceError(f"{url} names no host; write ssh://user@host[:port]")
    try:
        port = parts.port
    except ValueError:
        raise SourceError(f"{url} has a port that is not a number") from None
    host, user, proxied = parts.hostname, parts.username, False
    config = os.path.expanduser("~/.ssh/config")
    if os.path.exists(config):
        import paramiko

        conf = paramiko.SSHConfig()
        try:
            with open(config) as f:
                conf.parse(f)
        except (OSError, ValueError) as exc:
            raise SourceError(f"~/.ssh/config cannot be read: {exc}") from None
        entry = conf.lookup(parts.hostname)
        host = entry.get("hostname", host)
        if port is None and "port" in entry:
            port = int(entry["port"])
        user = user or entry.get("user")
        proxied = "proxycommand" in entry
    return host, port or 22, user, proxied


def _with_port(url: str, port: int) -> str:
    """The SDK passes the URL's port to paramiko as is, and None is no port at all."""
    parts = urlsplit(url)
    if parts.port is not None:
        return url
    return parts._replace(netloc=f"{parts.netloc}:{port}").geturl()


def _bracketed(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def _in_time(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run `fn` and give up after `seconds`: the SSH handshake has no timeout of its own."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="drift-engine-connect")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise SourceError(f"{what} did not answer within {seconds:.0f} s; check that it is up and reachable")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        nxt = seen.__cause__ or seen.__context__
        if nxt is None or nxt is seen:
            return seen
        seen = nxt


def _engine_error(exc: BaseException, endpoint: Endpoint) -> SourceError:
    """One sentence for the ways reaching an engine fails."""
    cause = _root_cause(exc)
    text = f"{exc} {cause}"
    path = endpoint.url[len("unix://"):] if endpoint.url.startswith("unix://") else None
    where = f" ({endpoint.origin})" if endpoint.origin else ""
    if isinstance(cause, PermissionError) or "Permission denied" in text:
        return SourceError(
            f"permission denied on {path or endpoint.url}{where}: run as root or add this user to the docker group "
            "(`sudo usermod -aG docker $USER`, then log in again)")
    refused = isinstance(cause, (FileNotFoundError, ConnectionRefusedError)) or "Connection refused" in text \
        or "No such file" in text
    if path is not None and refused:
        return SourceError(f"no Docker engine answers at {path}{where}: start dockerd, or point DOCKER_HOST at the engine")
    if refused:
        return SourceError(f"nothing answers at {endpoint.url}{where} (connection refused): start dockerd there, "
                           "or point DOCKER_HOST at the engine")
    if "timed out" in text.lower() or "timeout" in type(cause).__name__.lower():
        return SourceError(f"{endpoint.label} did not answer within {TIMEOUT} s; check that dockerd runs there")
    if "Invalid bind address" in text:
        return SourceError(f"{endpoint.url}{where} is not a Docker address; use unix://PATH, tcp://HOST:PORT "
                           "or ssh://USER@HOST")
    if endpoint.url.startswith("ssh://"):
        return SourceError(
            f"{endpoint.label} did not answer through `docker system dial-stdio` over SSH ({_short(exc)}); "
            "the host needs the docker CLI on the login PATH and the SSH user in the docker group")
    return SourceError(f"{endpoint.label} cannot be reached: {_short(exc)}")


def _short(exc: BaseException) -> str:
    text = str(_root_cause(exc)) or type(exc).__name__
    return text.splitlines()[0][:200]


def _ssh_error(exc: BaseException, url: str) -> SourceError | None:
    import paramiko

    host, port, user, _ = _ssh_target(url)
    cause = _root_cause(exc)
    for e in (exc, cause):
        if isinstance(e, paramiko.BadHostKeyException):
            return SourceError(
                f"the host key of {_bracketed(host, port)} does not match ~/.ssh/known_hosts; if the host was "
                f"reinstalled, remove the old key with `ssh-keygen -R '{_bracketed(host, port)}'` and trust the new one "
                f"with `ssh-keyscan -p {port} {host} >> ~/.ssh/known_hosts` after checking its fingerprint")
        if isinstance(e, paramiko.AuthenticationException):
            return SourceError(
                f"SSH login as {user or 'the current user'} on {host}:{port} was refused: put your public key in that "
                "user's ~/.ssh/authorized_keys on the host, or name the key with IdentityFile in ~/.ssh/config")
        if isinstance(e, paramiko.SSHException) and "known_hosts" in str(e):
            return SourceError(
                f"{_bracketed(host, port)} is not a known SSH host; after checking its fingerprint, trust it with "
                f"`ssh-keyscan -p {port} {host} >> ~/.ssh/known_hosts`")
        if isinstance(e, paramiko.SSHException):
            detail = _short(e)
            # A listener that closes or resets the connection before any banner is not sshd
            # (which of the two a client sees depends on timing).
            if detail in ("SSHException", "") or "banner" in detail.lower() or isinstance(_root_cause(e), ConnectionResetError):
                detail = "no SSH server answered there (check the port, and that sshd, not another service, listens on it)"
            return SourceError(f"SSH to {host}:{port} failed: {detail}")
    return None


def _share_one_pool(api: Any) -> None:
    """The SDK keys its connection pools by the whole request URL, so every new path opens a new
    connection; over SSH each one is a new channel running `docker system dial-stdio` on the
    host (about 0.1 s). All requests go to one engine, so they share one pool."""
    adapter = getattr(api, "_custom_adapter", None)
    get = getattr(adapter, "get_connection", None)
    if get is None or type(adapter).__name__ not in ("UnixHTTPAdapter", "SSHHTTPAdapter"):
        return  # TCP (with or without TLS) goes through requests' own pools, keyed by host

    def one_pool(url: str, proxies: Any = None) -> Any:
        return get("http+docker://engine", proxies)

    adapter.get_connection = one_pool  # type: ignore[union-attr]

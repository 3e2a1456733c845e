"""The Docker engine, reached through the Docker SDK: the only module that talks to it.

It answers a few narrow questions (the engine's name, the compose containers, container and
image inspects, the bytes of some files on the engine's host) and turns every failure into a
SourceError that names what to fix. The SDK is imported inside functions so that importing
this module costs nothing for commands that never reach an engine.
"""
from __future__ import annotations

import base64
import io
import json
import os
import posixpath
import socket
import tarfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bot.errors import SourceError

TIMEOUT = 10  # seconds; every error must reach the user within this
HELPER_LABEL = "io.drift-bot.helper"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"
MINIMUM_API_VERSION = "1.24"

# Go's os.FileMode bits, as the engine reports them in a path stat.
_MODE_DIR = 1 << 31
_MODE_SYMLINK = 1 << 27
_MODE_IRREGULAR = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)

T = TypeVar("T")


@dataclass(frozen=True)
class HostFile:
    """One file as read on the engine's host: bytes, or None (absent) or a problem."""

    path: str
    data: bytes | None
    mtime: str | None = None  # RFC 3339 with nanoseconds, as the engine reports it
    problem: str | None = None


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


class Engine:
    """A connected engine. Use as a context manager so its connections are closed."""

    def __init__(self, client: Any, endpoint: Endpoint):
        self._client = client
        self.api = client.api
        self.endpoint = endpoint

    @classmethod
    def connect(cls, url: str | None = None, *, environ: Mapping[str, str] | None = None) -> Engine:
        endpoint = resolve_endpoint(url, environ)
        import docker

        if endpoint.url.startswith("ssh://"):
            import logging

            # paramiko logs a failed handshake with its traceback from its own thread; the user
            # gets the one line below instead.
            quiet = logging.getLogger("paramiko")
            quiet.addHandler(logging.NullHandler())
            quiet.propagate = False
            host, port, _, proxied = _ssh_target(endpoint.url)
            try:
                if not proxied:  # a quick, bounded answer for a wrong address or a stopped sshd
                    socket.create_connection((host, port), timeout=5).close()
            except OSError as exc:
                reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else (exc.strerror or str(exc) or "timed out")
                raise SourceError(f"cannot reach {host}:{port} over SSH ({reason}); check the address and that sshd runs there") from None
            endpoint = Endpoint(_with_port(endpoint.url, port), endpoint.tls, endpoint.origin)

        def build() -> Any:
            # The lowest API version first, so the constructor sends nothing; then the engine's
            # own version is asked once the connection pool is shared (see _share_one_pool).
            client = docker.DockerClient(base_url=endpoint.url, tls=endpoint.tls or False, timeout=TIMEOUT,
                                         version=MINIMUM_API_VERSION, max_pool_size=4)
            _share_one_pool(client.api)
            client.api._version = str(client.api.version(api_version=False)["ApiVersion"])
            return client

        try:
            # Under TIMEOUT in all: the connect is bounded a little tighter, leaving time to say so.
            client = _in_time(build, TIMEOUT - 2 if endpoint.url.startswith("ssh://") else TIMEOUT, endpoint.label)
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - SDK, requests, paramiko and OS errors alike
            if endpoint.url.startswith("ssh://"):
                err = _ssh_error(exc, endpoint.url)
                if err is not None:
                    raise err from None
            raise _engine_error(exc, endpoint) from None
        return cls(client, endpoint)

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # noqa: BLE001 - closing must never hide the real outcome
            pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _calls(self, what: str) -> Iterator[None]:
        from docker.errors import APIError

        try:
            yield
        except SourceError:
            raise
        except APIError as exc:
            raise SourceError(f"{self.endpoint.label} refused to {what}: {exc.explanation or exc}") from None
        except Exception as exc:  # noqa: BLE001 - the SDK's, requests' and the OS's errors alike
            raise _engine_error(exc, self.endpoint) from None

    # --- questions --------------------------------------------------------------------

    def name(self) -> str:
        with self._calls("describe itself"):
            return str(self.api.info().get("Name") or "")

    def compose_containers(self) -> list[dict[str, Any]]:
        """Summaries (Id, Names, Labels, State...) of every container, running or not, that
        carries a compose project label."""
        with self._calls("list containers"):
            return list(self.api.containers(all=True, filters={"label": COMPOSE_PROJECT_LABEL}))

    def inspect_containers(self, ids: Sequence[str], progress: Any = None) -> list[dict[str, Any]]:
        """`progress(done, total, inspect)` after each container, for the terminal."""
        from docker.errors import NotFound

        out = []
        with self._calls("inspect a container"):
            for n, cid in enumerate(ids, 1):
                try:
                    out.append(self.api.inspect_container(cid))
                except NotFound:
                    continue  # removed between the listing and now
                if progress is not None:
                    progress(n, len(ids), out[-1])
        return out

    def inspect_images(self, refs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Image inspects by the reference or id asked for; absent images are left out."""
        from docker.errors import ImageNotFound, NotFound

        out: dict[str, dict[str, Any]] = {}
        with self._calls("inspect an image"):
            for ref in dict.fromkeys(refs):
                try:
                    out[ref] = self.api.inspect_image(ref)
                except (ImageNotFound, NotFound):
                    continue
        return out

    # --- files on the engine's host ------------------------------------------------------

    def read_files(self, image: str, wanted: Sequence[tuple[str, str]], *, max_bytes: int) -> dict[str, HostFile]:
        """Read absolute paths on the engine's host, each of which must stay inside its root.

        `wanted` holds (root, path) pairs. A helper container, created from `image` but never
        started, bind-mounts every root read-only at the same path, and the engine's archive
        endpoint hands the files back; the helper is removed whatever happens. Mounting at the
        same path keeps absolute symlinks inside a root meaningful; a symlink whose target
        (resolved by the engine) leaves its root is refused, never followed, because past the
        mount it would name a file of the helper's image, not of the host.
        """
        from docker.errors import APIError
        from docker.types import Mount

        roots = sorted({posixpath.normpath(r) for r, _ in wanted})
        mounts = [r for r in roots if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in roots)]
        name = f"drift-helper-{uuid.uuid4().hex[:12]}"
        try:
            created = self.api.create_container(
                image,
                entrypoint=["/.drift-helper-never-started"],
                name=name,
                labels={HELPER_LABEL: "1"},
                network_disabled=True,
                host_config=self.api.create_host_config(
                    mounts=[Mount(target=r, source=r, type="bind", read_only=True) for r in mounts]),
            )
        except APIError as exc:
            raise SourceError(self._helper_failed(name, exc.explanation or str(exc), mounts)) from None
        except Exception as exc:  # noqa: BLE001
            raise _engine_error(exc, self.endpoint) from None
        cid = created["Id"]
        try:
            stats: dict[str, dict[str, Any] | None] = {}
            # One at a time: the engine locks the container for each archive request anyway.
            return {path: self._read_one(cid, name, posixpath.normpath(root), posixpath.normpath(path), stats, max_bytes)
                    for root, path in wanted}
        finally:
            self._remove(cid, name)

    def _helper_failed(self, name: str, reason: str, mounts: Sequence[str]) -> str:
        if "bind source path does not exist" in reason:
            return (f"the project folder {', '.join(mounts)} no longer exists on the engine's host; "
                    "bring the project up again from its folder, or name another project")
        return (f"the helper container {name} that reads the project files failed on {self.endpoint.label}: "
                f"{reason.splitlines()[0][:200]}")

    def _remove(self, cid: str, name: str) -> None:
        try:
            self.api.remove_container(cid, force=True, v=True)
        except Exception:  # noqa: BLE001 - one more try, then say how to clean up by hand
            try:
                self.api.remove_container(cid, force=True, v=True)
            except Exception as exc:  # noqa: BLE001
                from docker.errors import NotFound

                if not isinstance(exc, NotFound):
                    raise SourceError(f"the helper container {name} could not be removed ({_short(exc)}); "
                                      f"remove it with `docker rm -f {name}`") from None

    def _stat(self, cid: str, path: str, cache: dict[str, dict[str, Any] | None]) -> dict[str, Any] | None:
        if path not in cache:
            # The SDK has no call for HEAD /containers/{id}/archive, which answers a path's
            # lstat without sending its content.
            res = self.api.head(self.api._url("/containers/{0}/archive", cid), params={"path": path}, timeout=TIMEOUT)
            if res.status_code == 404:
                cache[path] = None
            else:
                res.raise_for_status()
                cache[path] = _decode_stat(res.headers.get("X-Docker-Container-Path-Stat"))
        return cache[path]

    def _read_one(self, cid: str, name: str, root: str, path: str, stats: dict[str, dict[str, Any] | None],
                  max_bytes: int) -> HostFile:
        from docker.errors import APIError, NotFound

        if not _inside(path, root):
            return HostFile(path, None, problem=f"is a path outside the source root ({path}); refused")
        try:
            rel = posixpath.relpath(path, root)
            prefix = root
            for part in rel.split("/")[:-1]:
                prefix = posixpath.join(prefix, part)
                st = self._stat(cid, prefix, stats)
                if st is None:
                    return HostFile(path, None)
                if st["mode"] & _MODE_SYMLINK:
                    target = st.get("linkTarget") or ""
                    if not _inside(target, root):
                        return HostFile(path, None, problem=f"is reached through a symlink leading outside the source root "
                                                            f"({prefix} -> {target}); refused")
                elif not st["mode"] & _MODE_DIR:
                    return HostFile(path, None)
            current = path
            for _ in range(8):
                st = self._stat(cid, current, stats)
                if st is None:
                    return HostFile(path, None)
                if st["mode"] & _MODE_SYMLINK:
                    target = st.get("linkTarget") or ""
                    if not _inside(target, root):
                        return HostFile(path, None, mtime=st.get("mtime"),
                                        problem=f"is a symlink leading outside the source root ({target}); refused")
                    current = target
                    continue
                if st["mode"] & (_MODE_DIR | _MODE_IRREGULAR):
                    return HostFile(path, None, mtime=st.get("mtime"), problem="is not a regular file")
                if st.get("size", 0) > max_bytes:
                    return HostFile(path, None, mtime=st.get("mtime"),
                                    problem=f"is {st['size'] / 1048576:.1f} MiB, over the {max_bytes // 1048576} MiB "
                                            "limit for a tracked file")
                stream, _ = self.api.get_archive(cid, current)
                try:
                    data = _first_file(b"".join(stream), current.rstrip("/").rsplit("/", 1)[-1])
                except ArchiveRefused as exc:
                    return HostFile(path, None, mtime=st.get("mtime"), problem=str(exc))
                return HostFile(path, data, mtime=st.get("mtime"))
            return HostFile(path, None, problem="is a chain of symlinks too long to follow; refused")
        except NotFound:
            return HostFile(path, None)
        except APIError as exc:
            raise SourceError(f"the helper container {name} could not read {path}: {exc.explanation or exc}") from None
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _engine_error(exc, self.endpoint) from None


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


def _inside(path: str, root: str) -> bool:
    path, root = posixpath.normpath(path), posixpath.normpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def _decode_stat(header: str | None) -> dict[str, Any]:
    if not header:
        return {"mode": 0}
    stat = json.loads(base64.b64decode(header))
    stat["mode"] = int(stat.get("mode") or 0)
    return stat


class ArchiveRefused(ValueError):
    """The engine's archive holds something other than the one file asked for."""


def _first_file(archive: bytes, expected: str | None = None) -> bytes | None:
    """The file of a one-file archive from `get_archive`, read in memory (never extracted).

    A member whose name is not the requested file's (an absolute path, `..`, another name) is
    refused rather than taken for it."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            name = member.name
            if name.startswith("/") or ".." in name.split("/") or (expected is not None and name != expected):
                raise ArchiveRefused(f"the archive holds {name!r} where {expected!r} was asked for; refused")
            if member.isfile():
                handle = tar.extractfile(member)
                return handle.read() if handle else b""
    return None

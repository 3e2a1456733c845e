"""The Docker engine, reached through the Docker SDK: the only package that talks to it.

It answers a few narrow questions (the engine's name, the compose containers, container and
image inspects, the bytes of some files on the engine's host: `host_files`) and turns every
failure into a SourceError that names what to fix (`connection`, which also finds the engine
and reaches it). The SDK is imported inside functions so that importing this package costs
nothing for commands that never reach an engine.
"""
from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from bot.adapters.docker.connection import (
    TIMEOUT,
    Endpoint,
    _engine_error,
    _in_time,
    _share_one_pool,
    _ssh_error,
    _ssh_target,
    _with_port,
    resolve_endpoint,
)
from bot.adapters.docker.host_files import HELPER_LABEL, HostFile, HostFiles
from bot.errors import SourceError

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
MINIMUM_API_VERSION = "1.24"

# What the capture sources and the tests use; the parts are importable alone.
__all__ = ["COMPOSE_PROJECT_LABEL", "HELPER_LABEL", "Endpoint", "Engine", "HostFile", "resolve_endpoint"]


class Engine(HostFiles):
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

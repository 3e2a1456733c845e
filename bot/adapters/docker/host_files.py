"""Files on the engine's host, read through a helper container that is created, never started,
and removed whatever happens; the engine's archive endpoint hands each file back, and a path
that leaves its root (by `..` or a symlink) is refused, never followed."""
from __future__ import annotations

import base64
import io
import json
import posixpath
import tarfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.adapters.docker.connection import TIMEOUT, Endpoint, _engine_error, _short
from bot.errors import SourceError

HELPER_LABEL = "io.drift-bot.helper"

# Go's os.FileMode bits, as the engine reports them in a path stat.
_MODE_DIR = 1 << 31
_MODE_SYMLINK = 1 << 27
_MODE_IRREGULAR = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)


@dataclass(frozen=True)
class HostFile:
    """One file as read on the engine's host: bytes, or None (absent) or a problem."""

    path: str
    data: bytes | None
    mtime: str | None = None  # RFC 3339 with nanoseconds, as the engine reports it
    problem: str | None = None


class HostFiles:
    """What `Engine` does with files on the engine's host; it supplies `api` and `endpoint`."""

    api: Any
    endpoint: Endpoint

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

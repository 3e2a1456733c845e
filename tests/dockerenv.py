"""Fixtures for tests against a real Docker engine, and a real sshd in front of it.

Loaded as a pytest plugin (`pytest_plugins` in tests/conftest.py). Without an engine the
tests that use these fixtures are skipped with the reason; with `CI=true` they fail instead,
because CI is meant to have one (scripts/setup-docker.sh installs and starts it).

The only image used is the one scripts/setup-docker.sh imports from Debian's busybox-static:
no image registry is reachable here. Test services use `init: true` so that `sleep` as the
main process stops at once on `down` instead of after the 10 s grace period.
"""
from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

IMAGE = os.environ.get("DRIFT_TEST_IMAGE", "drift-test/busybox:1")
SETUP = "run `bash scripts/setup-docker.sh` as root"


ENGINE_FIXTURES = {"docker_client", "busybox_image", "compose_project", "sshd"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests using these fixtures carry the `docker` marker, so `-m "not docker"` leaves them out."""
    for item in items:
        if ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true, where a missing engine is a broken setup, not a choice."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A Docker SDK client for the engine the docker CLI would use."""
    import docker

    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any way of not answering
        unavailable(f"no Docker engine answers ({str(exc).splitlines()[0][:160]}); {SETUP}")
        return
    try:
        subprocess.run(["docker", "compose", "version"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        unavailable(f"the Docker Compose v2 plugin is missing; {SETUP}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_client: Any) -> str:
    """The name of the local busybox image, the only image tests may use."""
    import docker

    try:
        docker_client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        unavailable(f"the image {IMAGE} is missing; {SETUP}")
    return IMAGE


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


@dataclass
class ComposeProject:
    """A compose project in its own folder, brought up with the real `docker compose`."""

    name: str
    root: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def compose(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(["docker", "compose", "-p", self.name, *args], self.root)

    def up(self, *services: str, recreate: bool = False) -> None:
        self.compose("up", "-d", "--pull", "never", *(["--force-recreate"] if recreate else []), *services)

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", "-t", "1")

    def inspect(self, service: str) -> dict[str, Any]:
        ids = self.compose("ps", "-a", "-q", service).stdout.split()
        assert ids, f"no container for {service}"
        return json.loads(_run(["docker", "inspect", ids[0]], self.root).stdout)[0]

    @property
    def source(self) -> str:
        return f"docker://?project={self.name}"


@pytest.fixture
def compose_project(tmp_path: Path, busybox_image: str) -> Iterator[Callable[..., ComposeProject]]:
    """`compose_project({"docker-compose.yml": text, ...}, up=True)`: write the files into a
    fresh folder and bring the project up; every project made is taken down (`down -v`) after
    the test, whatever happened."""
    made: list[ComposeProject] = []

    def make(files: dict[str, str], *, up: bool = True, name: str | None = None) -> ComposeProject:
        project = ComposeProject(name or f"drift-t-{uuid.uuid4().hex[:10]}", tmp_path / f"p{len(made)}")
        project.root.mkdir()
        made.append(project)
        for rel, text in files.items():
            project.write(rel, text)
        if up:
            project.up()
        return project

    yield make
    for project in made:
        try:
            project.down()
        except (AssertionError, subprocess.SubprocessError) as exc:
            print(f"warning: could not take {project.name} down: {exc}")


# --- a real sshd ------------------------------------------------------------------------

@dataclass
class SshServer:
    host: str
    port: int
    user: str
    home: Path  # a HOME whose ~/.ssh holds the client key, a config naming it, and known_hosts
    host_key_line: str  # the known_hosts line that trusts this server

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@{self.host}:{self.port}"

    def source(self, project: str) -> str:
        return f"{self.url}?project={project}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> str:
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "drift-test", "-f", str(path)], path.parent)
    return path.with_suffix(".pub").read_text().strip()


def _wait_for_banner(port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sshd exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"sshd did not answer on 127.0.0.1:{port} within {seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def _sshd_server(tmp_path_factory: pytest.TempPathFactory, docker_client: Any) -> Iterator[SshServer]:
    binary = "/usr/sbin/sshd"
    if not os.path.exists(binary) or not shutil.which("ssh-keygen"):
        unavailable(f"openssh-server is not installed; {SETUP}")
    base = tmp_path_factory.mktemp("sshd")
    host_pub = _keygen(base / "host_ed25519")
    home = base / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    user_pub = _keygen(home / ".ssh" / "id_ed25519")
    (base / "authorized_keys").write_text(user_pub + "\n")
    port = _free_port()
    config = base / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {base / 'host_ed25519'}",
        f"PidFile {base / 'sshd.pid'}",
        f"AuthorizedKeysFile {base / 'authorized_keys'}",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "X11Forwarding no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        "",
    ]))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation needs it
    log = base / "sshd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "-D", "-e", "-f", str(config)], stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    try:
        _wait_for_banner(port, proc, log)
        known = f"[127.0.0.1]:{port} {' '.join(host_pub.split()[:2])}"
        (home / ".ssh" / "known_hosts").write_text(known + "\n")
        # Read by the SDK's paramiko transport (identity) and by a plain `ssh` alike.
        (home / ".ssh" / "config").write_text(
            f"Host 127.0.0.1\n  IdentityFile {home / '.ssh' / 'id_ed25519'}\n"
            f"  UserKnownHostsFile {home / '.ssh' / 'known_hosts'}\n  StrictHostKeyChecking yes\n")
        yield SshServer("127.0.0.1", port, getpass.getuser(), home, known)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def sshd(_sshd_server: SshServer, monkeypatch: pytest.MonkeyPatch) -> SshServer:
    """A real sshd on 127.0.0.1 in front of the same engine; HOME points at a home whose
    ~/.ssh trusts it and holds the key it accepts, so `ssh://` sources reach it."""
    monkeypatch.setenv("HOME", str(_sshd_server.home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return _sshd_server

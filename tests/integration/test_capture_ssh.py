"""`ssh://` through a real sshd on 127.0.0.1 to the same engine: same capture, host keys checked."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.capture.docker import capture_engine
from bot.errors import SourceError
from tests.dockerenv import ComposeProject, SshServer
from tests.integration.test_capture_docker import FILES, voice_files



@pytest.fixture
def voice(compose_project: Callable[..., ComposeProject], busybox_image: str) -> ComposeProject:
    return compose_project(voice_files(busybox_image))


def summary(source: str) -> tuple[object, ...]:
    snap = capture_engine(source, FILES, tool_version="t")
    return (snap.host, snap.project,
            [(f.live_path, f.sha256, f.live_sha256, f.missing, f.problem) for f in snap.files],
            [(r.service, r.state, r.stale, r.fields, r.container, r.image_id, r.config_hash) for r in snap.runtime])


def test_ssh_reaches_the_same_engine_and_reads_the_same(voice: ComposeProject, sshd: SshServer) -> None:
    over_ssh = summary(sshd.source(voice.name))
    assert over_ssh == summary(voice.source)
    assert over_ssh[3] and all(not stale for _, _, stale, *_ in over_ssh[3])

    # drift seen over SSH as well
    voice.write("docker-compose.yml", voice_files("drift-test/busybox:1")["docker-compose.yml"].replace('"0.60"', '"0.55"'))
    runtime = {r.service: r for r in capture_engine(sshd.source(voice.name), FILES, tool_version="t").runtime}
    assert runtime["tts"].fields == ("environment.VLLM_GPU_MEMORY_UTILIZATION",)


def fresh_home(sshd: SshServer, tmp_path: Path, *, known_hosts: bool, own_key: bool = True) -> Path:
    home = tmp_path / "home"
    shutil.copytree(sshd.home, home)
    if not known_hosts:
        (home / ".ssh" / "known_hosts").unlink()
    if not own_key:
        for key in (home / ".ssh").glob("id_ed25519*"):
            key.unlink()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / ".ssh" / "id_ed25519")], check=True)
    config = (home / ".ssh" / "config").read_text().replace(str(sshd.home), str(home))
    (home / ".ssh" / "config").write_text(config)
    return home


def refused(source: str) -> str:
    start = time.monotonic()
    with pytest.raises(SourceError) as err:
        capture_engine(source, FILES, tool_version="t")
    assert time.monotonic() - start < 10
    assert "\n" not in str(err.value)
    return str(err.value)


def test_an_unknown_host_is_refused_with_the_command_that_trusts_it(voice: ComposeProject, sshd: SshServer,
                                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(sshd, tmp_path, known_hosts=False)
    monkeypatch.setenv("HOME", str(home))
    message = refused(sshd.source(voice.name))
    command = f"ssh-keyscan -p {sshd.port} 127.0.0.1 >> ~/.ssh/known_hosts"
    assert "not a known SSH host" in message and command in message

    # the command given works as written
    subprocess.run(["bash", "-c", command], check=True, capture_output=True, timeout=30, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert capture_engine(sshd.source(voice.name), FILES, tool_version="t").project == voice.name


def test_a_changed_host_key_is_refused(voice: ComposeProject, sshd: SshServer, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(sshd, tmp_path, known_hosts=True)
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    pub = " ".join(other.with_suffix(".pub").read_text().split()[:2])
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{sshd.port} {pub}\n")
    monkeypatch.setenv("HOME", str(home))
    message = refused(sshd.source(voice.name))
    assert "does not match" in message and f"ssh-keygen -R '[127.0.0.1]:{sshd.port}'" in message


def test_a_key_the_host_does_not_accept_is_refused(voice: ComposeProject, sshd: SshServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(fresh_home(sshd, tmp_path, known_hosts=True, own_key=False)))
    message = refused(sshd.source(voice.name))
    assert "was refused" in message and "authorized_keys" in message


def test_nothing_listening_is_one_line(sshd: SshServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert "cannot reach 127.0.0.1" in refused(f"ssh://{sshd.user}@127.0.0.1:{port}?project=x")


def test_a_port_where_no_ssh_server_answers_is_one_line_without_a_traceback(tmp_path) -> None:
    """Something listens on the port but it is not sshd: paramiko's own traceback must not reach the user."""
    import socket
    import subprocess
    import sys
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def refuse() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                conn.close()
            except OSError:
                pass

    threading.Thread(target=refuse, daemon=True).start()
    try:
        (tmp_path / ".drift.yml").write_text("version: 1\nfiles: {docker-compose.yml: voice/docker-compose.yml}\n")
        proc = subprocess.run([sys.executable, "-m", "bot", "snapshot", "--repo", str(tmp_path), "--source",
                               f"ssh://nobody@127.0.0.1:{port}?project=x", "--out", str(tmp_path / "s")],
                              capture_output=True, text=True, timeout=30)
    finally:
        stop.set()
        listener.close()
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "no SSH server answered there" in proc.stderr


def test_a_listener_that_resets_the_connection_is_no_ssh_server_either() -> None:
    """Closed or reset before any banner: which one the client sees depends on timing."""
    import paramiko

    from bot.adapters.docker.connection import _ssh_error

    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as reset:
            raise paramiko.SSHException(str(reset)) from reset
    except paramiko.SSHException as exc:
        error = _ssh_error(exc, "ssh://nobody@127.0.0.1:2222")
    assert error is not None
    assert str(error) == ("SSH to 127.0.0.1:2222 failed: no SSH server answered there (check the port, and that sshd, "
                          "not another service, listens on it)")

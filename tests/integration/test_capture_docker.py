"""`docker://` against a real engine: discovery, file capture, runtime drift, clean-up, errors."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.docker import HELPER_LABEL, Engine
from bot.capture.docker import capture_engine
from bot.errors import SourceError
from tests.dockerenv import ComposeProject

TOKEN = "hf_" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9"
ROTATED = "hf_" + "Z1x2C3v4B5n6M7q8W9e0R1t2Y3"

COMPOSE = """\
services:
  tts:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    environment:
      VLLM_GPU_MEMORY_UTILIZATION: "0.60"
      HF_TOKEN: ${{HF_TOKEN}}
    healthcheck:
      test: ["CMD", "true"]
      interval: 30s
  caddy:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    ports: ["127.0.0.1::80"]
    volumes:
      - ./caddy/Caddyfile:/etc/caddy/Caddyfile:ro
  agent:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    volumes: [cache:/cache]
volumes:
  cache: {{}}
"""
FILES = [
    ("docker-compose.yml", "voice/docker-compose.yml"),
    ("caddy/Caddyfile", "voice/caddy/Caddyfile"),
    ("agent/Dockerfile", "voice/agent/Dockerfile"),
    (".env", "voice/.env.example"),
]



def voice_files(image: str) -> dict[str, str]:
    return {
        "docker-compose.yml": COMPOSE.format(image=image),
        "caddy/Caddyfile": ":80 {\n  reverse_proxy tts:8000\n}\n",
        "agent/Dockerfile": f"FROM {image}\nCMD [\"sleep\", \"3600\"]\n",
        ".env": f"HF_TOKEN={TOKEN}\n",
    }


def helpers_for(client: Any, root: Path) -> list[str]:
    """Helper containers still present that mount this project's folder."""
    left = []
    for c in client.containers.list(all=True, filters={"label": HELPER_LABEL}):
        if any(m.get("Source") == str(root) for m in c.attrs.get("Mounts") or []):
            left.append(c.name)
    return left


@pytest.fixture
def voice(compose_project: Callable[..., ComposeProject], busybox_image: str) -> ComposeProject:
    return compose_project(voice_files(busybox_image))


def test_capture_reads_the_tracked_files_on_the_engine_host(voice: ComposeProject, docker_client: Any) -> None:
    snap = capture_engine(voice.source, FILES, tool_version="test")
    assert snap.source == voice.source and snap.project == voice.name
    assert snap.host == docker_client.info()["Name"] and snap.captured_at.endswith("Z")
    by_live = {f.live_path: f for f in snap.files}
    assert [f.live_path for f in snap.files] == [live for live, _ in FILES]
    for live in ("docker-compose.yml", "caddy/Caddyfile", "agent/Dockerfile"):
        assert by_live[live].text == (voice.root / live).read_text() and by_live[live].mtime
    env = by_live[".env"]
    assert TOKEN not in (env.text or "") and env.redactions == 1 and "<redacted" in env.text
    assert env.live_sha256 == hashlib.sha256((voice.root / ".env").read_bytes()).hexdigest()
    assert helpers_for(docker_client, voice.root) == []

    runtime = {r.service: r for r in snap.runtime}
    assert list(runtime) == ["agent", "caddy", "tts"]
    for r in runtime.values():
        assert r.state == "running" and not r.stale, r
        assert r.container == f"{voice.name}-{r.service}-1" and r.image == "drift-test/busybox:1"
        assert r.image_id and r.image_id.startswith("sha256:") and r.config_hash and r.started_at
    # the secret reached the container through .env; compared by hash, never shown
    assert TOKEN not in json.dumps([r.__dict__ for r in snap.runtime])


def test_runtime_drift_follows_what_the_operator_applied(compose_project: Callable[..., ComposeProject],
                                                         busybox_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # With the host's key the placeholders carry a keyed digest, so a rotated secret is seen
    # (without one a secret is compared by presence: tests/test_capture_runtime.py).
    monkeypatch.setenv("DRIFT_REDACTION_KEY", "kept-on-this-host")
    files = voice_files(busybox_image)
    compose = files["docker-compose.yml"].replace(
        "volumes:\n  cache: {}\n",
        f"  old:\n    image: {busybox_image}\n    init: true\n    command: [\"sleep\", \"3600\"]\nvolumes:\n  cache: {{}}\n")
    files["docker-compose.yml"] = compose
    voice = compose_project(files)

    # Live edits, none applied yet: a value, a rotated secret, a new service, a dropped service,
    # a changed command, and the Caddyfile behind a bind mount.
    edited = COMPOSE.format(image=busybox_image).replace('"0.60"', '"0.55"').replace(
        'command: ["sleep", "3600"]\n    volumes: [cache:/cache]', 'command: ["sleep", "7200"]\n    volumes: [cache:/cache]')
    edited = edited.replace("volumes:\n  cache: {}\n",
                            f"  stt:\n    image: {busybox_image}\n    init: true\n    command: [\"sleep\", \"3600\"]\nvolumes:\n  cache: {{}}\n")
    voice.write("docker-compose.yml", edited)
    voice.write(".env", f"HF_TOKEN={ROTATED}\n")
    voice.write("caddy/Caddyfile", ":80 {\n  reverse_proxy tts:8001\n}\n")

    runtime = {r.service: r for r in capture_engine(voice.source, FILES, tool_version="t").runtime}
    assert runtime["tts"].stale and runtime["tts"].fields == ("environment.HF_TOKEN", "environment.VLLM_GPU_MEMORY_UTILIZATION")
    assert runtime["agent"].stale and runtime["agent"].fields == ("command",)
    assert runtime["stt"].state == "missing" and runtime["stt"].stale
    assert runtime["old"].state == "orphan" and runtime["old"].stale
    assert runtime["caddy"].stale and runtime["caddy"].fields == ("mounted:caddy/Caddyfile",)
    assert ROTATED not in json.dumps([r.__dict__ for r in runtime.values()])

    # Apply some: `up -d agent` recreates agent only.
    voice.up("agent")
    runtime = {r.service: r for r in capture_engine(voice.source, FILES, tool_version="t").runtime}
    assert not runtime["agent"].stale
    assert runtime["tts"].stale and runtime["stt"].stale and runtime["caddy"].stale and runtime["old"].stale

    # `up -d` recreates what changed and creates stt, but keeps the orphan (no --remove-orphans)
    # and does not restart caddy, whose compose definition did not change.
    voice.up()
    runtime = {r.service: r for r in capture_engine(voice.source, FILES, tool_version="t").runtime}
    assert [s for s, r in runtime.items() if r.stale] == ["caddy", "old"]
    voice.compose("restart", "-t", "1", "caddy")
    voice.compose("up", "-d", "--remove-orphans")
    runtime = {r.service: r for r in capture_engine(voice.source, FILES, tool_version="t").runtime}
    assert [s for s, r in runtime.items() if r.stale] == [] and set(runtime) == {"agent", "caddy", "stt", "tts"}


def test_a_tag_rebuilt_but_not_applied_is_drift(compose_project: Callable[..., ComposeProject], busybox_image: str,
                                                docker_client: Any) -> None:
    tag = f"drift-test/rebuilt-{os.getpid()}-{time.monotonic_ns()}:1"
    docker_client.images.get(busybox_image).tag(tag)
    project = compose_project({"docker-compose.yml": f"services:\n  app:\n    image: {tag}\n    init: true\n"
                                                     "    command: [sleep, '3600']\n"})
    try:
        assert not capture_engine(project.source, [], tool_version="t").runtime[0].stale
        # a new build under the same tag, as `docker compose build` or `pull` would leave it
        container = docker_client.containers.get(f"{project.name}-app-1")
        container.commit(repository=tag.split(":")[0], tag="1", changes=["LABEL rebuilt=yes"])
        record = capture_engine(project.source, [], tool_version="t").runtime[0]
        assert record.stale and record.fields == ("image_id",)
    finally:
        project.down()
        docker_client.images.remove(tag, force=True)


def test_several_projects_need_a_name(compose_project: Callable[..., ComposeProject], busybox_image: str) -> None:
    small = {"docker-compose.yml": f"services:\n  a:\n    image: {busybox_image}\n    init: true\n    command: [sleep, '3600']\n"}
    one, two = compose_project(small), compose_project(small)
    with pytest.raises(SourceError) as err:
        capture_engine("docker://", [], tool_version="t")
    assert one.name in str(err.value) and two.name in str(err.value) and "?project=" in str(err.value)
    with pytest.raises(SourceError) as err:
        capture_engine("docker://?project=no-such-project", [], tool_version="t")
    assert "no-such-project" in str(err.value) and one.name in str(err.value) and two.name in str(err.value)
    assert capture_engine(one.source, [], tool_version="t").project == one.name


def test_files_outside_the_root_are_refused_and_absent_files_reported(voice: ComposeProject, docker_client: Any) -> None:
    (voice.root / "caddy" / "leak").symlink_to("/etc/passwd")
    (voice.root / "etc").symlink_to("/etc")
    (voice.root / "inside").symlink_to(voice.root / "caddy")
    files = [("caddy/leak", "a"), ("etc/passwd", "b"), ("../outside.txt", "c"), ("inside/Caddyfile", "d"),
             ("agent/absent.conf", "e"), ("agent", "f")]
    snap = capture_engine(voice.source, files, tool_version="t")
    got = {f.repo_path: f for f in snap.files}
    assert "symlink leading outside the source root" in (got["a"].problem or "") and got["a"].text is None
    assert "symlink leading outside the source root" in (got["b"].problem or "") and got["b"].text is None
    assert "outside the source root" in (got["c"].problem or "")
    assert got["d"].text == (voice.root / "caddy" / "Caddyfile").read_text()
    assert got["e"].missing and got["e"].problem is None
    assert got["f"].problem == "is not a regular file"
    assert helpers_for(docker_client, voice.root) == []


def test_the_helper_container_is_removed_whatever_happens(voice: ComposeProject, docker_client: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise SourceError("reading failed on purpose")

    monkeypatch.setattr(Engine, "_read_one", broken)
    with pytest.raises(SourceError, match="on purpose"):
        capture_engine(voice.source, FILES, tool_version="t")
    assert helpers_for(docker_client, voice.root) == []


def test_a_project_folder_gone_from_the_host_is_one_clear_error(voice: ComposeProject, docker_client: Any) -> None:
    moved = voice.root.with_name(voice.root.name + "-moved")
    voice.root.rename(moved)
    try:
        assert f"the project folder {voice.root} no longer exists" in one_clear_line(voice.source)
    finally:
        moved.rename(voice.root)
    assert helpers_for(docker_client, voice.root) == []


def test_docker_contexts_are_honoured_as_the_cli_does(voice: ComposeProject, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "docker-config"
    write_context(config, "drift-real", "unix:///var/run/docker.sock")
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv("DOCKER_CONTEXT", "drift-real")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # DOCKER_CONTEXT wins, as with the CLI
    assert capture_engine(voice.source, [], tool_version="t").project == voice.name


# --- errors that need no engine ----------------------------------------------------------------

def write_context(config: Path, name: str, host: str, *, current: bool = False) -> None:
    meta = config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps(
        {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}))
    (config / "config.json").write_text(json.dumps({"currentContext": name} if current else {}))


def one_clear_line(source: str) -> str:
    """The error a capture stops with, checking it came within 10 s as a single line."""
    start = time.monotonic()
    with pytest.raises(SourceError) as err:
        capture_engine(source, FILES, tool_version="t")
    assert time.monotonic() - start < 10
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("host,expected", [
    ("unix:///nonexistent/docker.sock", "no Docker engine answers at /nonexistent/docker.sock"),
    ("tcp://127.0.0.1:1", "nothing answers at tcp://127.0.0.1:1 (DOCKER_HOST) (connection refused)"),
    ("foo://x", "foo://x (DOCKER_HOST) is not a Docker address"),
])
def test_an_engine_that_does_not_answer_is_one_line(host: str, expected: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_HOST", host)
    assert expected in one_clear_line("docker://")


def test_contexts_that_lead_nowhere_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "docker-config"
    write_context(config, "gpu-host", "unix:///nonexistent/gpu.sock", current=True)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    assert "/nonexistent/gpu.sock" in one_clear_line("docker://")
    monkeypatch.setenv("DOCKER_CONTEXT", "no-such-context")
    assert "no-such-context" in one_clear_line("docker://") and "docker context ls" in one_clear_line("docker://")


def test_bad_source_strings_are_refused() -> None:
    for source, words in [("docker://host:2375", "DOCKER_HOST"), ("docker://?projet=x", "unknown option"),
                          ("ssh://", "user@host")]:
        with pytest.raises(SourceError, match=words):
            capture_engine(source, [], tool_version="t")


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/setpriv"), reason="needs root and setpriv")
def test_permission_denied_on_the_socket_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)
    os.chmod(path, 0)
    try:
        # root without CAP_DAC_OVERRIDE obeys the socket's mode like any docker-group outsider
        code = ("import sys\nfrom bot.capture.docker import capture_engine\nfrom bot.errors import SourceError\n"
                "try:\n    capture_engine('docker://', [], tool_version='t')\n"
                "except SourceError as e:\n    print(e)\n    sys.exit(3)\n")
        env = {**os.environ, "DOCKER_HOST": f"unix://{path}", "DOCKER_CONFIG": str(tmp_path)}
        env.pop("DOCKER_CONTEXT", None)
        res = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all",
                              sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env,
                             cwd=Path(__file__).resolve().parents[2])
    finally:
        server.close()
    assert res.returncode == 3, res.stderr
    assert res.stdout.strip().startswith(f"permission denied on {path}") and "docker group" in res.stdout


def test_drift_init_maps_a_live_compose_projects_files_to_the_repository(
        compose_project: Callable[..., ComposeProject], busybox_image: str, tmp_path: Path) -> None:
    from tests.cli_support import run

    files = voice_files(busybox_image)
    files["docker-compose.yml"] = files["docker-compose.yml"].replace(
        "  agent:\n    image: {image}\n".format(image=busybox_image),
        "  agent:\n    build: {{context: ./agent}}\n    image: {image}\n".format(image=busybox_image))
    voice = compose_project(files)
    repo = tmp_path / "repo"
    for live, repo_path in FILES:
        (repo / repo_path).parent.mkdir(parents=True, exist_ok=True)
        (repo / repo_path).write_text(files[live])
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A"], cwd=repo, check=True)

    code, out, err = run("init", "--repo", str(repo), "--source", voice.source)
    assert code == 0, err
    config = (repo / ".drift.yml").read_text()
    for live, repo_path in FILES:  # the compose file, the .env, the build's Dockerfile, the mounted Caddyfile
        assert f"  {live}: {repo_path}\n" in config.replace('".env"', ".env"), config
    assert "voice/docker-compose.yml#/services/tts/**" in config
    assert TOKEN not in config and TOKEN not in out + err
    assert run("validate", "--repo", str(repo))[0] == 0

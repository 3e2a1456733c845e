"""Runtime state and drift, sources and discovery, from plain dicts: no engine needed."""
from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture.docker import EngineSource, choose_project, discover_projects, parse_source
from bot.secrets import Redactor
from bot.capture.compose_project import UNRESOLVED, interpolate, merge_compose, project_model
from bot.capture.container_config import image_ref
from bot.capture.effective import differing_fields, effective_pair
from bot.capture.runtime import parse_timestamp, service_runtime
from bot.errors import SourceError

ROOT = "/srv/voice"
IMAGE_ID = "sha256:" + "a" * 64
IMAGE = {
    "Id": IMAGE_ID,
    "Created": "2026-01-01T09:00:00.5Z",
    "Config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"], "Entrypoint": None, "Labels": None,
               "User": "", "WorkingDir": "", "Healthcheck": None},
}
STARTED = "2026-01-01T10:00:00.123456789Z"


def container(service: str, *, project: str = "voice", image: str = "drift-test/busybox:1", image_id: str = IMAGE_ID,
              cmd: list[str] | None = None, entrypoint: list[str] | None = None, env: dict[str, str] | None = None,
              labels: dict[str, str] | None = None, healthcheck: dict | None = None, ports: dict | None = None,
              mounts: list[dict] | None = None, devices: list[dict] | None = None, restart: str = "",
              status: str = "running", health: str | None = None, started: str = STARTED,
              oneoff: bool = False, number: int = 1) -> dict:
    """An inspect dict shaped like the engine's answer for a container compose created."""
    compose_labels = {
        "com.docker.compose.project": project,
        "com.docker.compose.service": service,
        "com.docker.compose.oneoff": "True" if oneoff else "False",
        "com.docker.compose.config-hash": "f" * 64,
        "com.docker.compose.project.working_dir": ROOT,
        "com.docker.compose.project.config_files": f"{ROOT}/docker-compose.yml",
    }
    state: dict = {"Status": status, "StartedAt": started}
    if health:
        state["Health"] = {"Status": health}
    return {
        "Name": f"/{project}-{service}-{number}",
        "Image": image_id,
        "RestartCount": 0,
        "State": state,
        "Config": {
            "Image": image,
            "Cmd": cmd if cmd is not None else ["/bin/sh"],
            "Entrypoint": entrypoint,
            "Env": [f"{k}={v}" for k, v in (env or {}).items()] + ["PATH=/bin"],
            "Labels": {**(labels or {}), **compose_labels},
            "Healthcheck": healthcheck,
            "User": "",
            "WorkingDir": "",
        },
        "HostConfig": {"PortBindings": ports or {}, "DeviceRequests": devices,
                       "RestartPolicy": {"Name": restart, "MaximumRetryCount": 0}},
        "Mounts": mounts or [],
    }


def model(text: str, variables: dict[str, str] | None = None) -> dict:
    return project_model([("docker-compose.yml", text)], variables or {})


def runtime(doc: dict | None, containers: list[dict], **kw) -> dict[str, object]:
    records = service_runtime("voice", doc, containers, {IMAGE_ID: IMAGE}, working_dir=ROOT, **kw)
    return {r.service: r for r in records}


WEB = """
services:
  web:
    image: drift-test/busybox:1
    command: ["sleep", "3600"]
    environment:
      MODEL: whisper
      PORT: 8000
    ports: ["127.0.0.1:8080:80"]
    volumes:
      - ./caddy/Caddyfile:/etc/caddy/Caddyfile:ro
      - cache:/cache
    healthcheck:
      test: wget -q -O- http://127.0.0.1:8000/health
      interval: 1m30s
      retries: 3
volumes:
  cache: {}
"""


def web_container(**over) -> dict:
    spec = dict(
        cmd=["sleep", "3600"],
        env={"MODEL": "whisper", "PORT": "8000"},
        ports={"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]},
        mounts=[
            {"Type": "bind", "Source": f"{ROOT}/caddy/Caddyfile", "Destination": "/etc/caddy/Caddyfile", "RW": False},
            {"Type": "volume", "Name": "voice_cache", "Destination": "/cache", "RW": True},
            {"Type": "volume", "Name": "b" * 64, "Destination": "/from-image-volume", "RW": True},
        ],
        healthcheck={"Test": ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8000/health"], "Interval": 90 * 10**9, "Retries": 3},
        health="healthy",
    )
    spec.update(over)
    return container("web", **spec)


# --- interpolation -------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("${A}", "1"),
    ("$A-x", "1-x"),
    ("${E:-d}", "d"),
    ("${E-d}", ""),
    ("${U-d}", "d"),
    ("${A:+alt}", "alt"),
    ("${U:+alt}", ""),
    ("$$A", "$A"),
    ("${U:-${A}}", "1"),
    ("pre ${U:-$A} post", "pre 1 post"),
    ("${U}", UNRESOLVED),
    ("${U:?must be set}", UNRESOLVED),
    ("no dollar", "no dollar"),
])
def test_interpolation_follows_compose(text: str, expected: str) -> None:
    assert interpolate(text, {"A": "1", "E": ""}) == expected


def test_interpolation_reaches_into_lists_and_maps_but_not_keys() -> None:
    doc = {"services": {"${A}": {"command": ["${A}", 2], "environment": {"K": "$A"}}}}
    assert interpolate(doc, {"A": "x"}) == {"services": {"${A}": {"command": ["x", 2], "environment": {"K": "x"}}}}


@given(st.text().filter(lambda s: "$" not in s))
def test_interpolation_leaves_plain_text_alone(text: str) -> None:
    assert interpolate(text, {}) == text


@given(st.text())
def test_escaped_dollars_come_back_as_written(text: str) -> None:
    assert interpolate(text.replace("$", "$$"), {}) == text


# --- references and times ----------------------------------------------------------------

@pytest.mark.parametrize("a,b", [
    ("busybox", "busybox:latest"),
    ("docker.io/library/busybox", "busybox:latest"),
    ("ghcr.io/org/app", "ghcr.io/org/app:latest"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    ("app@sha256:" + "c" * 64, "app@sha256:" + "c" * 64),
])
def test_image_references_compare_by_meaning(a: str, b: str) -> None:
    assert image_ref(a) == image_ref(b)


def test_engine_timestamps_keep_microseconds_and_zone() -> None:
    stamp = parse_timestamp("2026-01-01T10:00:00.123456789Z")
    assert stamp is not None and stamp.microsecond == 123456 and stamp.utcoffset().total_seconds() == 0
    assert parse_timestamp("0001-01-01T00:00:00Z") is None
    assert parse_timestamp("2026-01-01T12:00:00+02:00") == parse_timestamp("2026-01-01T10:00:00Z")


# --- effective configuration ---------------------------------------------------------------

def test_a_container_made_from_the_file_matches_it() -> None:
    rec = runtime(model(WEB), [web_container()])["web"]
    assert not rec.stale and rec.fields == ()
    assert rec.state == "running" and rec.health == "healthy" and "matches the compose file" in rec.detail
    assert rec.container == "voice-web-1" and rec.image_id == IMAGE_ID and rec.config_hash == "f" * 64


@pytest.mark.parametrize("edit,fields", [
    (lambda t: t.replace("MODEL: whisper", "MODEL: voxtral"), ("environment.MODEL",)),
    (lambda t: t.replace("      PORT: 8000\n", ""), ("environment.PORT",)),
    (lambda t: t.replace("PORT: 8000", "PORT: 8000\n      NEW: 1"), ("environment.NEW",)),
    (lambda t: t.replace("interval: 1m30s", "interval: 30s"), ("healthcheck.interval",)),
    (lambda t: t.replace("127.0.0.1:8000/health", "127.0.0.1:8001/health"), ("healthcheck.test",)),
    (lambda t: t.replace("8080:80", "8081:80"), ("ports",)),
    (lambda t: t.replace('["sleep", "3600"]', '["sleep", "60"]'), ("command",)),
    (lambda t: t.replace("image: drift-test/busybox:1", "image: drift-test/busybox:2"), ("image",)),
    (lambda t: t.replace("Caddyfile:ro", "Caddyfile"), ("volumes[/etc/caddy/Caddyfile]",)),
    (lambda t: t.replace("cache:/cache", "models:/cache"), ("volumes[/cache]",)),
    (lambda t: t.replace("      - cache:/cache\n", "      - cache:/cache\n      - ./data:/data\n"), ("volumes[/data]",)),
    (lambda t: t.replace("    command:", "    restart: unless-stopped\n    command:"), ("restart",)),
    (lambda t: t.replace("    command:", "    labels: [team=voice]\n    command:"), ("labels.team",)),
    (lambda t: t.replace("    command:", "    entrypoint: [/bin/sh, -c]\n    command:"), ("entrypoint",)),
])
def test_each_edited_field_is_named(edit, fields) -> None:
    rec = runtime(model(edit(WEB)), [web_container()])["web"]
    assert rec.stale and rec.fields == fields
    assert "docker compose up -d web" in rec.detail and fields[0] in rec.detail


def test_what_the_file_leaves_to_the_image_comes_from_the_image() -> None:
    doc = model("services:\n  sh:\n    image: drift-test/busybox:1\n")
    assert not runtime(doc, [container("sh")])["sh"].stale
    # an image CMD is not used once the file sets an entrypoint
    doc = model("services:\n  sh:\n    image: drift-test/busybox:1\n    entrypoint: [sleep, '5']\n")
    assert not runtime(doc, [container("sh", entrypoint=["sleep", "5"], cmd=[])])["sh"].stale
    # without the image's inspect, only what the file says is compared
    svc = doc["services"]["sh"]
    exp, act = effective_pair(svc, doc, container("sh", entrypoint=["sleep", "5"], cmd=["x"]), None,
                              project="voice", service="sh", working_dir=ROOT)
    assert "command" not in exp and differing_fields(exp, act) == ()


def test_an_unresolved_variable_is_not_compared() -> None:
    text = "services:\n  a:\n    image: drift-test/busybox:1\n    environment:\n      TAG: ${TAG}\n      KEEP: ${KEEP:-yes}\n"
    doc = model(text)
    rec = runtime(doc, [container("a", env={"TAG": "whatever-the-shell-had", "KEEP": "yes"})])["a"]
    assert not rec.stale, rec.fields
    rec = runtime(model(text, {"TAG": "v2"}), [container("a", env={"TAG": "v1", "KEEP": "yes"})])["a"]
    assert rec.fields == ("environment.TAG",)


def test_an_env_file_may_add_variables_the_file_does_not_name() -> None:
    text = "services:\n  a:\n    image: drift-test/busybox:1\n    env_file: [a.env]\n    environment: {X: '1'}\n"
    assert not runtime(model(text), [container("a", env={"X": "1", "FROM_FILE": "2"})])["a"].stale
    assert runtime(model(text), [container("a", env={"X": "2", "FROM_FILE": "2"})])["a"].fields == ("environment.X",)


def test_secrets_compare_by_keyed_digest_and_never_reach_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFT_REDACTION_KEY", "kept-on-the-host")
    token_for = Redactor(b"kept-on-the-host").placeholder
    live = "hf_" + "Z9y8X7w6V5u4T3s2R1q0P" * 2
    text = f"services:\n  a:\n    image: drift-test/busybox:1\n    environment:\n      HF_TOKEN: \"{token_for(live)}\"\n"
    assert not runtime(model(text), [container("a", env={"HF_TOKEN": live})])["a"].stale
    rotated = "hf_" + "A1b2C3d4E5f6G7h8I9j0K" * 2
    rec = runtime(model(text), [container("a", env={"HF_TOKEN": rotated})])["a"]
    assert rec.fields == ("environment.HF_TOKEN",)
    dumped = json.dumps(asdict(rec))
    assert live not in dumped and rotated not in dumped
    # a secret inside a longer value: the text around it must match too
    text = f"services:\n  a:\n    image: drift-test/busybox:1\n    environment:\n      AUTH: \"Bearer {token_for(live)}\"\n"
    assert not runtime(model(text), [container("a", env={"AUTH": f"Bearer {live}"})])["a"].stale
    assert runtime(model(text), [container("a", env={"AUTH": f"Basic {live}"})])["a"].stale


def test_without_the_hosts_key_a_secret_is_compared_by_presence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFT_REDACTION_KEY", raising=False)
    monkeypatch.delenv("DRIFT_REDACTION_KEY_FILE", raising=False)
    text = "services:\n  a:\n    image: drift-test/busybox:1\n    environment:\n      HF_TOKEN: \"<redacted>\"\n"
    assert not runtime(model(text), [container("a", env={"HF_TOKEN": "hf_" + "Q" * 34})])["a"].stale
    assert runtime(model(text), [container("a", env={})])["a"].stale


def test_gpu_device_requests_are_compared() -> None:
    text = """
services:
  tts:
    image: drift-test/busybox:1
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              device_ids: ["0"]
              capabilities: [gpu]
"""
    gpu0 = [{"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0"], "Capabilities": [["gpu"]]}]
    assert not runtime(model(text), [container("tts", devices=gpu0)])["tts"].stale
    gpu1 = [{"Driver": "nvidia", "Count": 0, "DeviceIDs": ["1"], "Capabilities": [["gpu"]]}]
    assert runtime(model(text), [container("tts", devices=gpu1)])["tts"].fields == ("deploy.resources.reservations.devices",)
    all_gpus = [{"Driver": "nvidia", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]]}]
    assert runtime(model(text.replace('device_ids: ["0"]', "count: all")), [container("tts", devices=all_gpus)])["tts"].fields == ()


# --- services and containers -----------------------------------------------------------------

def test_services_without_containers_and_containers_without_services() -> None:
    text = WEB + """
  worker:
    image: drift-test/busybox:1
  debug:
    image: drift-test/busybox:1
    profiles: [debug]
"""
    text = text.replace("volumes:\n  cache: {}\n", "") + "volumes:\n  cache: {}\n"
    records = runtime(model(text), [web_container(), container("old"), container("job", oneoff=True)])
    assert records["worker"].state == "missing" and records["worker"].stale
    assert records["debug"].state == "missing" and not records["debug"].stale and "profile debug" in records["debug"].detail
    assert records["old"].state == "orphan" and records["old"].stale and "--remove-orphans" in records["old"].detail
    assert "job" not in records
    assert not records["web"].stale


def test_records_are_sorted_by_service_then_container() -> None:
    doc = model("services:\n  b:\n    image: drift-test/busybox:1\n  a:\n    image: drift-test/busybox:1\n")
    records = service_runtime("voice", doc, [container("b", number=2), container("b", number=1), container("a")],
                              {IMAGE_ID: IMAGE}, working_dir=ROOT)
    assert [(r.service, r.container) for r in records] == [("a", "voice-a-1"), ("b", "voice-b-1"), ("b", "voice-b-2")]


def test_an_unreadable_compose_file_leaves_state_but_no_verdict() -> None:
    rec = runtime(None, [web_container()], doc_problem="docker-compose.yml is missing on the host")["web"]
    assert rec.state == "running" and not rec.stale and "missing on the host" in rec.detail


def test_a_bind_mounted_file_changed_after_the_start_is_drift() -> None:
    path = f"{ROOT}/caddy/Caddyfile"
    later = {path: ("caddy/Caddyfile", "2026-01-01T10:00:00.2Z")}
    rec = runtime(model(WEB), [web_container()], mounted_files=later)["web"]
    assert rec.stale and rec.fields == ("mounted:caddy/Caddyfile",)
    assert "changed after the container started" in rec.detail and "docker compose restart web" in rec.detail
    earlier = {path: ("caddy/Caddyfile", "2026-01-01T10:00:00.1Z")}
    assert not runtime(model(WEB), [web_container()], mounted_files=earlier)["web"].stale
    # a file inside a bind-mounted folder counts too
    folder = web_container(mounts=[{"Type": "bind", "Source": f"{ROOT}/caddy", "Destination": "/etc/caddy/Caddyfile", "RW": False},
                                    {"Type": "volume", "Name": "voice_cache", "Destination": "/cache", "RW": True}])
    rec = runtime(model(WEB.replace("./caddy/Caddyfile:", "./caddy:")), [folder], mounted_files=later)["web"]
    assert rec.fields == ("mounted:caddy/Caddyfile",)


def test_a_tag_that_moved_on_is_drift() -> None:
    rec = runtime(model(WEB), [web_container()], current_image_ids={"drift-test/busybox:1": "sha256:" + "9" * 64})["web"]
    assert rec.stale and rec.fields == ("image_id",) and "newer image" in rec.detail


def test_a_dockerfile_changed_after_the_build_is_drift() -> None:
    text = "services:\n  agent:\n    build: ./agent\n"
    c = container("agent", image="voice-agent")
    rec = runtime(model(text), [c], dockerfiles={"agent": ("agent/Dockerfile", "2026-01-01T09:30:00Z")})["agent"]
    assert rec.fields == ("build:agent/Dockerfile",) and "--build" in rec.detail
    rec = runtime(model(text), [c], dockerfiles={"agent": ("agent/Dockerfile", "2026-01-01T08:30:00Z")})["agent"]
    assert not rec.stale


def test_override_files_merge_like_compose() -> None:
    base = {"services": {"a": {"image": "x", "ports": [{"target": 80}], "volumes": [{"type": "volume", "source": "v", "target": "/d"}],
                               "environment": {"A": "1", "B": "2"}}}}
    over = {"services": {"a": {"ports": [{"target": 81}], "volumes": [{"type": "bind", "source": "./d", "target": "/d"}],
                               "environment": {"B": "3"}}, "b": {"image": "y"}}}
    merged = merge_compose([base, over])
    assert merged["services"]["a"]["ports"] == [{"target": 80}, {"target": 81}]
    assert merged["services"]["a"]["volumes"] == [{"type": "bind", "source": "./d", "target": "/d"}]
    assert merged["services"]["a"]["environment"] == {"A": "1", "B": "3"}
    assert set(merged["services"]) == {"a", "b"}


# --- no phantom drift --------------------------------------------------------------------------

_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True).filter(lambda k: k != "PATH")
_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F, blacklist_categories=("Cc",),
                                         blacklist_characters="$\"\\"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_names, _values, max_size=6), st.lists(st.integers(1024, 65535), max_size=3, unique=True))
def test_a_container_created_from_any_such_file_matches_it(env: dict[str, str], ports: list[int]) -> None:
    lines = ["services:", "  a:", "    image: drift-test/busybox:1"]
    if env:
        lines.append("    environment:")
        lines += [f"      {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in env.items()]
    if ports:
        lines.append("    ports:")
        lines += [f'      - "{p}:{p}"' for p in ports]
    bindings = {f"{p}/tcp": [{"HostIp": "", "HostPort": str(p)}] for p in ports}
    rec = runtime(model("\n".join(lines) + "\n"), [container("a", env=env, ports=bindings)])["a"]
    assert not rec.stale, rec.fields


# --- sources and discovery ---------------------------------------------------------------------

@pytest.mark.parametrize("source,expected", [
    ("docker://", EngineSource(None, None)),
    ("docker://?project=voice", EngineSource(None, "voice")),
    ("ssh://deploy@gpu-host:2222?project=voice", EngineSource("ssh://deploy@gpu-host:2222", "voice")),
    ("ssh://gpu-host", EngineSource("ssh://gpu-host", None)),
])
def test_sources_parse(source: str, expected: EngineSource) -> None:
    assert parse_source(source) == expected


@pytest.mark.parametrize("source,words", [
    ("docker://tcp-host:2375", "DOCKER_HOST"),
    ("docker://?name=voice", "unknown option 'name'"),
    ("ssh://", "ssh://user@host"),
    ("http://x", "unknown engine source"),
])
def test_bad_sources_say_how_to_write_them(source: str, words: str) -> None:
    with pytest.raises(SourceError, match=words):
        parse_source(source)


def summary(cid: str, project: str, *, created: int, working_dir: str = ROOT, oneoff: bool = False) -> dict:
    return {"Id": cid, "Created": created, "Labels": {
        "com.docker.compose.project": project,
        "com.docker.compose.project.working_dir": working_dir,
        "com.docker.compose.project.config_files": f"{working_dir}/docker-compose.yml,{working_dir}/override.yml",
        "com.docker.compose.oneoff": "True" if oneoff else "False"}}


def test_projects_are_found_from_their_labels() -> None:
    projects = discover_projects([
        summary("b", "voice", created=1, working_dir="/srv/old-voice"),
        summary("a", "voice", created=2),
        summary("c", "voice", created=3, working_dir="/tmp/run", oneoff=True),
        summary("d", "monitoring", created=1, working_dir="/srv/mon"),
        {"Id": "e", "Labels": {}},
    ])
    assert set(projects) == {"voice", "monitoring"}
    voice = projects["voice"]
    # the newest service container says where the project lives, not a one-off `run`
    assert voice.working_dir == ROOT and voice.container_ids == ("a", "b", "c")
    assert voice.config_files == (f"{ROOT}/docker-compose.yml", f"{ROOT}/override.yml")


def test_choosing_a_project() -> None:
    projects = discover_projects([summary("a", "voice", created=1), summary("d", "monitoring", created=1)])
    assert choose_project(projects, "voice", "the engine").name == "voice"
    with pytest.raises(SourceError, match=r"2 compose projects run on the engine \(monitoring, voice\).*\?project=monitoring"):
        choose_project(projects, None, "the engine")
    with pytest.raises(SourceError, match=r"no compose project named 'tts' on the engine; projects found: monitoring, voice"):
        choose_project(projects, "tts", "the engine")
    with pytest.raises(SourceError, match="docker compose up -d"):
        choose_project({}, None, "the engine")
    only = {"voice": projects["voice"]}
    assert choose_project(only, None, "the engine").name == "voice"

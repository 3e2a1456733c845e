"""runtime: what the engine runs (stale, missing, stopped, restarting, unhealthy, orphaned
containers) as findings whose evidence is the runtime fact."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from bot.checks import CheckContext, Side, finding_id, run_checks
from bot.checks.runtime import DEFAULT_MAX_RESTARTS, runtime
from bot.config import parse_config
from bot.errors import ConfigError
from bot.model import DiffReport, FileCapture, ServiceRuntime, Snapshot
from bot.render import evidence, render_template

CONFIG = "version: 1\nfiles:\n  docker-compose.yml: voice/docker-compose.yml\n  caddy/Caddyfile: voice/caddy/Caddyfile\n"
COMPOSE = """\
services:
  tts:
    image: vllm/vllm-openai:v0.8.5
    command: ["--gpu-memory-utilization", "0.55"]
    environment:
      HF_HOME: /models
      VLLM_GPU_MEMORY_UTILIZATION: "0.55"
  caddy:
    image: caddy:2.8.4-alpine
    volumes:
      - ./caddy/Caddyfile:/etc/caddy/Caddyfile:ro
  stt:
    image: example/stt:1.2
    labels:
      com.example.tier: speech
    deploy:
      resources:
        reservations:
          devices:
            - {driver: nvidia, count: 1, capabilities: [gpu]}
"""
SEEN = "2026-04-24T12:00:00Z"
STARTED = "2026-04-24T09:30:00Z"


def record(service: str = "tts", state: str = "running", stale: bool = False, detail: str | None = None,
           **kw) -> ServiceRuntime:
    facts = dict(container=f"voice-{service}-1", image="vllm/vllm-openai:v0.8.5", image_id="sha256:" + "a" * 64,
                 restart_count=0, started_at=STARTED, config_hash="c" * 64)
    facts.update(kw)
    return ServiceRuntime(service, state, stale, detail or f"{state}; matches the compose file", **facts)


def run(*records: ServiceRuntime, settings: dict | None = None, side: str = "live", seen: str | None = SEEN) -> list:
    cfg = parse_config(CONFIG, Path("/r/.drift.yml"))
    files = {"voice/docker-compose.yml": COMPOSE, "voice/caddy/Caddyfile": ":80 {\n  reverse_proxy tts:8000\n}\n"}
    at = "snap-test" if side == "live" else "f" * 40
    ctx = CheckContext(cfg, Side(side, at, files, {repo: live for live, repo in cfg.files}), records, settings or {}, seen)
    return list(runtime(ctx))


def fid(service: str, rule: str, container: str | None = "default") -> str:
    container = f"voice-{service}-1" if container == "default" else container
    return finding_id("runtime", f"{service}/{container or '-'}:{rule}")


# --- stale containers ---------------------------------------------------------------------

def test_a_stale_container_names_the_fields_and_what_a_recreate_does():
    [f] = run(record(stale=True, fields=("environment.VLLM_GPU_MEMORY_UTILIZATION", "command")))
    assert (f.check, f.severity, f.id) == ("runtime", "warning", fid("tts", "stale"))
    assert f.message == (
        f"tts is stale: container voice-tts-1, started {STARTED}, differs from the compose file on disk in "
        "environment.VLLM_GPU_MEMORY_UTILIZATION, command, so the file's version is not what runs; "
        "`docker compose up -d tts` recreates it from the file, replacing what runs now")
    ev = f.evidence
    assert ev == {
        "side": "live", "at": "snap-test", "file": "voice/docker-compose.yml", "line": 7,  # the first field's line
        "service": "tts", "container": "voice-tts-1", "image": "vllm/vllm-openai:v0.8.5", "image_id": "sha256:" + "a" * 64,
        "state": "running", "health": None, "restart_count": 0, "started_at": STARTED, "captured_at": SEEN,
        "fields": ["environment.VLLM_GPU_MEMORY_UTILIZATION", "command"],
    }
    assert evidence(ev) == (f"`voice/docker-compose.yml:7` in snapshot `snap-test`; container `voice-tts-1` "
                            f"started {STARTED}")


def test_a_mounted_file_changed_after_the_start_needs_a_restart_only():
    [f] = run(record("caddy", stale=True, image="caddy:2.8.4-alpine", fields=("mounted:caddy/Caddyfile",)))
    assert f.message == (f"caddy is stale: container voice-caddy-1, started {STARTED}, caddy/Caddyfile changed on disk "
                         "after it started, so the change is not loaded; `docker compose restart caddy` loads it")
    assert (f.evidence["file"], f.evidence["line"]) == ("voice/caddy/Caddyfile", None)
    assert evidence(f.evidence).startswith("`voice/caddy/Caddyfile` in snapshot `snap-test`; container `voice-caddy-1`")


def test_a_tag_that_names_a_newer_image_needs_a_recreate():
    [f] = run(record(stale=True, fields=("image_id",)))
    assert "vllm/vllm-openai:v0.8.5 now names a newer image than the one it runs; `docker compose up -d tts` " \
           "recreates it from the file" in f.message
    assert "replacing" not in f.message  # the file's settings are what runs: nothing is lost
    assert f.evidence["line"] == 3  # image:


def test_a_dockerfile_changed_after_the_build_needs_a_rebuild():
    [f] = run(record(stale=True, fields=("command", "build:agent/Dockerfile")))
    assert "agent/Dockerfile changed after its image was built" in f.message
    assert f.message.endswith("`docker compose up -d --build tts` rebuilds and recreates it")


@pytest.mark.parametrize("service, field, line", [
    ("stt", "labels.com.example.tier", 15),  # a label key holds dots
    ("stt", "deploy.resources.reservations.devices", 19),
    ("caddy", "volumes[/etc/caddy/Caddyfile]", 10),
    ("tts", "healthcheck.test", 2),  # not in the file (the image's): the service's line
])
def test_the_evidence_points_at_the_line_of_the_first_field(service, field, line):
    [f] = run(record(service, stale=True, fields=(field,)))
    assert (f.evidence["file"], f.evidence["line"]) == ("voice/docker-compose.yml", line)


def test_a_container_matching_its_file_is_no_finding():
    assert run(record(), record("caddy"), record("stt", health="healthy")) == []


# --- missing, stopped, restarting, unhealthy, restarts -------------------------------------

def test_a_service_without_a_container_points_at_its_definition():
    [f] = run(ServiceRuntime("stt", "missing", True, "in the compose file but has no container"))
    assert (f.severity, f.id) == ("warning", fid("stt", "missing", None))
    assert f.message == ("stt is in the compose file but has no container, so it is not running; "
                         "`docker compose up -d stt` creates and starts it")
    assert (f.evidence["file"], f.evidence["line"], f.evidence["container"]) == ("voice/docker-compose.yml", 12, None)
    assert f.evidence["captured_at"] == SEEN


def test_a_service_kept_down_on_purpose_is_no_finding():
    assert run(ServiceRuntime("stt", "missing", False, "not started: only in profile gpu")) == []


@pytest.mark.parametrize("state, severity, words", [
    ("exited", "warning", "has exited"),
    ("created", "warning", "was created but never started"),
    ("dead", "error", "is dead"),
])
def test_a_container_that_does_not_run(state, severity, words):
    [f] = run(record(state=state))
    assert (f.severity, f.id) == (severity, fid("tts", "stopped"))
    assert f.message.startswith(f"tts: container voice-tts-1 {words}")
    assert "so tts is not running; `docker compose logs tts` says why, `docker compose up -d tts` starts it again" in f.message


def test_a_restarting_container_is_an_error():
    [f] = run(record(state="restarting", restart_count=2))
    assert (f.severity, f.id) == ("error", fid("tts", "restarting"))
    assert f.message == ("tts: container voice-tts-1 is restarting: its process exits and the engine starts it again; "
                         "`docker compose logs tts` says why")


def test_an_unhealthy_container_is_an_error_and_starting_or_healthy_is_not():
    [f] = run(record(health="unhealthy"))
    assert (f.severity, f.id) == ("error", fid("tts", "unhealthy"))
    assert "is unhealthy: its healthcheck fails" in f.message and "`docker inspect voice-tts-1`" in f.message
    assert f.evidence["health"] == "unhealthy"
    assert run(record(health="starting"), record("caddy", health="healthy")) == []


def test_restarts_above_the_threshold_warn():
    assert run(record(restart_count=DEFAULT_MAX_RESTARTS)) == []
    assert run(record(restart_count=None)) == []
    [f] = run(record(restart_count=DEFAULT_MAX_RESTARTS + 1))
    assert (f.severity, f.id) == ("warning", fid("tts", "restarts"))
    assert f.message.startswith(f"tts: container voice-tts-1 has restarted 6 times (more than {DEFAULT_MAX_RESTARTS})")
    [f] = run(record(restart_count=1), settings={"max_restarts": 0})
    assert "has restarted 1 times (more than 0)" in f.message
    assert run(record(restart_count=40), settings={"max_restarts": 50}) == []


def test_facts_of_one_container_are_separate_findings():
    found = run(record(state="restarting", stale=True, health="unhealthy", restart_count=12, fields=("command",)))
    assert [f.id for f in found] == [fid("tts", r) for r in ("stale", "restarting", "unhealthy", "restarts")]


# --- orphans ---------------------------------------------------------------------------------

def test_a_running_orphan_warns_and_a_stopped_one_informs():
    detail = "; its service is not in the compose file any more; `docker compose up -d --remove-orphans` would remove it"
    [running] = run(record("old", "orphan", True, detail="running, health: unhealthy, restarted 9x" + detail,
                           health="unhealthy", restart_count=9))
    assert (running.severity, running.id) == ("warning", fid("old", "orphan"))
    assert running.message == ("old: container voice-old-1 still runs but its service is not in the compose file any "
                               "more; `docker compose up -d --remove-orphans` removes it")
    assert running.evidence["file"] is None and running.evidence["container"] == "voice-old-1"
    [stopped] = run(record("old", "orphan", True, detail="exited" + detail))
    assert stopped.severity == "info" and stopped.id == running.id
    assert "is left over, not running, but its service" in stopped.message


# --- identity, sides, settings ---------------------------------------------------------------

def test_ids_name_the_fact_not_the_moment():
    first = run(record(stale=True, fields=("command",), restart_count=7), seen="2026-04-24T12:00:00Z")
    later = run(record(stale=True, fields=("command", "environment.HF_HOME"), restart_count=9,
                       started_at="2026-04-24T11:00:00Z"), seen="2026-04-25T08:15:00Z")
    assert [f.id for f in first] == [f.id for f in later] == [fid("tts", "stale"), fid("tts", "restarts")]
    assert first[0].evidence["captured_at"] != later[0].evidence["captured_at"]
    for f in first + later:
        assert f.evidence["captured_at"] not in f.id and f.evidence["captured_at"] not in f.message
    # another container of the same service is another fact
    [other] = run(record(stale=True, fields=("command",), container="voice-tts-2"))
    assert other.id == fid("tts", "stale", "voice-tts-2") != first[0].id


def test_main_has_no_containers():
    assert run(record(stale=True, fields=("command",), health="unhealthy"), side="main") == []


def snapshot(*records: ServiceRuntime, captured_at: str = SEEN) -> Snapshot:
    sha = hashlib.sha256(COMPOSE.encode()).hexdigest()
    files = (FileCapture("docker-compose.yml", "voice/docker-compose.yml", COMPOSE, sha),)
    return Snapshot("docker://?project=voice", "gpu-l4-01", captured_at, "test", files, records, "voice")


def test_run_checks_reports_runtime_from_the_live_side_with_the_capture_time():
    cfg = parse_config(CONFIG, Path("/r/.drift.yml"))
    snap = snapshot(record(stale=True, fields=("command",)), record("stt", "exited"))
    found = [f for f in run_checks(cfg, snap, {"voice/docker-compose.yml": COMPOSE}, "f" * 40) if f.check == "runtime"]
    assert [f.id for f in found] == sorted([fid("stt", "stopped"), fid("tts", "stale")])
    assert all(f.evidence["side"] == "live" and f.evidence["at"] == snap.id and f.evidence["captured_at"] == SEEN
               and not f.message.endswith("(in main only: fixed live)") for f in found)
    again = run_checks(cfg, replace(snap, captured_at="2026-04-25T08:15:00Z"), {"voice/docker-compose.yml": COMPOSE}, "f" * 40)
    assert [f.id for f in again if f.check == "runtime"] == [f.id for f in found]

    off = parse_config(CONFIG + "checks: {runtime: {enabled: false}}\n", Path("/r/.drift.yml"))
    assert [f for f in run_checks(off, snap, {}, "f" * 40) if f.check == "runtime"] == []
    loose = parse_config(CONFIG + "checks:\n  runtime:\n    max_restarts: 0\n", Path("/r/.drift.yml"))
    found = run_checks(loose, snapshot(record(restart_count=1)), {}, "f" * 40)
    assert [f.id for f in found if f.check == "runtime"] == [fid("tts", "restarts")]


def test_the_tracker_shows_the_container_and_its_start_not_the_capture_time():
    [f] = run(record(stale=True, fields=("command",)))
    report = DiffReport("main", "f" * 40, "docker://?project=voice", "snap-test", "gpu-l4-01", SEEN, (), findings=(f,))
    page = render_template("tracker-findings.md.j2", report=report, instance=None, limit=10)
    assert (f"| warning | runtime | tts is stale: container voice-tts-1, started {STARTED}, differs from the compose "
            "file on disk in command") in page
    assert f"`voice/docker-compose.yml:4` in snapshot `snap-test`; container `voice-tts-1` started {STARTED} |" in page
    assert SEEN not in page  # the MEGA is not rewritten by a new capture of the same facts


@pytest.mark.parametrize("text, message", [
    ("checks: [runtime]\n", "line 5: `checks` must map check names to their settings"),
    ("checks:\n  runtime: 5\n", "line 6: checks: `runtime` must be a mapping"),
    ("checks:\n  runtime:\n    max_restart: 3\n", "line 7: checks.runtime: unknown key `max_restart`"),
    ("checks:\n  runtime:\n    max_restarts: many\n", "line 7: checks.runtime: `max_restarts` must be a whole number"),
    ("checks:\n  runtime: {max_restarts: -1}\n", "line 6: checks.runtime: `max_restarts` must be a whole number"),
    ("checks:\n  runtime: {max_restarts: 2.5}\n", "`max_restarts` must be a whole number"),
    ("checks:\n  runtime: {max_restarts: true}\n", "`max_restarts` must be a whole number"),
    ("checks:\n  runtime:\n    enabled: no\n", "line 7: checks.runtime: `enabled` must be true or false"),
])
def test_runtime_settings_are_validated_with_their_line(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG + text, Path("/r/.drift.yml"))
    assert message in str(caught.value) and str(caught.value).startswith(".drift.yml")


def test_valid_runtime_settings_are_kept():
    cfg = parse_config(CONFIG + "checks:\n  runtime: {max_restarts: 0, enabled: true}\n  vram: {threshold: 0.8}\n",
                       Path("/r/.drift.yml"))
    assert cfg.checks["runtime"] == {"max_restarts": 0, "enabled": True}
    assert parse_config(CONFIG + "checks:\n  runtime:\n", Path("/r/.drift.yml")).checks == {"runtime": None}

"""Compose normalisation checked against compose itself.

For pairs of compose files, `docker compose config --format json` is compose's own
normalised reading. The bot must find a divergence in a service exactly when compose's
readings of that service differ: no phantom drift, no missed drift.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.capture.files import take_file
from bot.compare import compare_file

ROOT = Path(__file__).resolve().parent.parent


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


if not _compose_available():
    if os.environ.get("CI") == "true":
        pytest.fail("docker compose is not installed; scripts/setup-docker.sh installs it", pytrace=False)
    pytestmark = pytest.mark.skip(reason="docker compose (v2 plugin) is not installed; scripts/setup-docker.sh installs it")


def compose_reading(folder: Path, text: str, name: str) -> dict[str, Any]:
    (folder / name).write_text(text)
    proc = subprocess.run(
        ["docker", "compose", "-p", "check", "-f", name, "config", "--format", "json", "--no-path-resolution"],
        cwd=folder, capture_output=True, text=True, env={**os.environ, "HF_TOKEN": "x"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def bot_services(main: str, live: str) -> set[str]:
    found, errors = compare_file("voice/docker-compose.yml", main, take_file("docker-compose.yml", "voice/docker-compose.yml", live.encode()))
    assert errors == []
    return {d.pointer.split("/")[2] for d in found if d.pointer.startswith("/services/")}


def compose_services(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    names = set(a["services"]) | set(b["services"])
    return {n for n in names if a["services"].get(n) != b["services"].get(n)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / ".env").write_text("LOG_LEVEL=info\n")
    return tmp_path


def test_the_bundled_example_differs_where_compose_says_it_does(folder: Path) -> None:
    main = (ROOT / "voice" / "docker-compose.yml").read_text()
    live = (ROOT / "examples" / "instance" / "docker-compose.yml").read_text()
    a, b = compose_reading(folder, main, "a.yml"), compose_reading(folder, live, "b.yml")
    # compose sees the deploy-time label on voice-agent too; the bot's ignore rule is not in play here.
    assert bot_services(main, live) == compose_services(a, b) == {"vllm-voxtral", "vllm-whisper", "voice-agent", "caddy"}


# Rewrites of one service that compose reads identically ...
def _ports_long(s: dict) -> None:
    out = []
    for p in s.get("ports", []):
        ip, _, rest = p.rpartition(":") if p.count(":") == 2 else ("", "", p)
        host, _, target = (p.split(":")[-2], None, p.split(":")[-1]) if ":" in p else ("", None, p)
        entry = {"target": int(target), "published": host} if host else {"target": int(target)}
        if p.count(":") == 2:
            entry["host_ip"] = p.split(":")[0]
        out.append(entry)
    if out:
        s["ports"] = out


def _env_list(s: dict) -> None:
    if isinstance(s.get("environment"), dict):
        s["environment"] = [f"{k}={v}" for k, v in s["environment"].items()]


def _command_string(s: dict) -> None:
    if isinstance(s.get("command"), list):
        s["command"] = " ".join(s["command"])


def _test_shell(s: dict) -> None:
    test = s.get("healthcheck", {}).get("test")
    if isinstance(test, str):
        s["healthcheck"]["test"] = ["CMD-SHELL", test]
    elif isinstance(test, list) and test[0] == "CMD-SHELL":
        s["healthcheck"]["test"] = test[1]


def _durations(s: dict) -> None:
    hc = s.get("healthcheck", {})
    for key in ("interval", "start_period"):
        if hc.get(key) == "120s":
            hc[key] = "2m"
        elif hc.get(key) == "15s":
            hc[key] = "15000ms"


def _reorder(s: dict) -> None:
    items = list(s.items())
    s.clear()
    s.update(dict(reversed(items)))


def _depends_map(s: dict) -> None:
    if isinstance(s.get("depends_on"), list):
        s["depends_on"] = {d: {"condition": "service_started"} for d in s["depends_on"]}


def _build_map(s: dict) -> None:
    if isinstance(s.get("build"), str):
        s["build"] = {"context": s["build"]}


def _empty_networks(s: dict) -> None:
    s["networks"] = ["default"] if "networks" not in s else s["networks"]


EQUIVALENT = [_ports_long, _env_list, _command_string, _test_shell, _durations, _reorder, _depends_map, _build_map, _empty_networks]


# ... and changes compose reads differently.
def _image(s: dict) -> None:
    if "image" in s:
        s["image"] = s["image"] + "-patched"


def _env_value(s: dict) -> None:
    env = s.setdefault("environment", {})
    if isinstance(env, dict):
        env["LOG_LEVEL"] = "debug"
    else:
        env.append("LOG_LEVEL=debug")


def _retries(s: dict) -> None:
    if "healthcheck" in s:
        s["healthcheck"]["retries"] = s["healthcheck"].get("retries", 3) + 1


def _restart(s: dict) -> None:
    s["restart"] = "always"


def _float_env(s: dict) -> None:
    env = s.setdefault("environment", {})
    if isinstance(env, dict):
        env["RATIO"] = 0.60  # compose reads "0.6"; quoted "0.60" would differ


CHANGING = [_image, _env_value, _retries, _restart, _float_env]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    service=st.sampled_from(["vllm-voxtral", "vllm-whisper", "voice-agent", "caddy"]),
    rewrites=st.lists(st.sampled_from(EQUIVALENT), max_size=5, unique=True),
    changes=st.lists(st.sampled_from(CHANGING), max_size=2, unique=True),
)
def test_generated_pairs_differ_exactly_where_compose_says(folder: Path, service: str, rewrites: list, changes: list) -> None:
    main_text = (ROOT / "voice" / "docker-compose.yml").read_text()
    doc = yaml.safe_load(main_text)
    live_doc = copy.deepcopy(doc)
    for fn in rewrites + changes:
        fn(live_doc["services"][service])
    live_text = yaml.safe_dump(live_doc, sort_keys=False)
    a, b = compose_reading(folder, main_text, "a.yml"), compose_reading(folder, live_text, "b.yml")
    assert bot_services(main_text, live_text) == compose_services(a, b)


@pytest.mark.parametrize(
    "written,compose_reads",
    [("0.60", "0.6"), ("1000000.0", "1e+06"), ("1e3", "1000"), ("0777", "511"), ("08", "8"), ("0b101", "5"),
     ("1_000", "1000"), ("yes", "yes"), ("true", "true"), ("1:20", "1:20"), (".inf", "+Inf")],
)
def test_scalars_are_read_the_way_compose_reads_them(folder: Path, written: str, compose_reads: str) -> None:
    live = f"services:\n  a:\n    image: x\n    environment:\n      V: {written}\n"
    main = f"services:\n  a:\n    image: x\n    environment:\n      V: \"{compose_reads}\"\n"
    ra, rb = compose_reading(folder, main, "a.yml"), compose_reading(folder, live, "b.yml")
    assert ra == rb
    assert bot_services(main, live) == set()


def test_of_two_merged_maps_the_first_wins_as_compose_reads_it(folder: Path) -> None:
    # PyYAML 6.0.3 and later lets the later map win for most keys; yaml.v3 and compose the first.
    anchors = ("x-a: &a\n  image: one\n  init: true\n  environment: {LEVEL: \"1\"}\n"
               "x-b: &b\n  image: two\n  init: false\n  environment: {LEVEL: \"2\"}\n")
    merged = anchors + "services:\n  s:\n    <<: [*a, *b]\n    hostname: own\n"
    spelled = "services:\n  s:\n    image: one\n    init: true\n    environment: {LEVEL: \"1\"}\n    hostname: own\n"
    assert compose_reading(folder, merged, "a.yml")["services"] == compose_reading(folder, spelled, "b.yml")["services"]
    assert bot_services(spelled, merged) == set()
    from bot.compare.yamlload import load_yaml

    assert load_yaml(merged)["services"]["s"] == {"image": "one", "init": True, "environment": {"LEVEL": "1"},
                                                 "hostname": "own"}

"""unused: top-level declarations no service names are information, never drift."""
from __future__ import annotations

from pathlib import Path

from bot.checks import CheckContext, Side, finding_id
from bot.checks.unused import unused
from bot.config import parse_config

CONFIG = "version: 1\nfiles: {docker-compose.yml: voice/docker-compose.yml}\n"
COMPOSE = """\
services:
  app:
    image: caddy:2
    volumes: [data:/data, ./conf:/etc/caddy]
    secrets: [token]
    networks: [edge]
  worker:
    image: worker:1
    network_mode: host
    build: {context: ., secrets: [build_key]}
volumes:
  data: {}
  models: {}
networks:
  edge: {}
  backend: {}
secrets:
  token: {file: ./token}
  build_key: {file: ./key}
  old: {file: ./old}
configs:
  caddyfile: {file: ./Caddyfile}
"""


def run(compose: str, name: str = "live") -> list:
    cfg = parse_config(CONFIG, Path("/r/.drift.yml"))
    side = Side(name, "snap-test", {"voice/docker-compose.yml": compose}, {"voice/docker-compose.yml": "docker-compose.yml"})
    return list(unused(CheckContext(cfg, side)))


def test_each_declaration_no_service_names_is_one_info_finding_with_its_line():
    found = run(COMPOSE)
    assert [(f.evidence["section"], f.evidence["name"], f.evidence["line"]) for f in found] == [
        ("volumes", "models", 13), ("networks", "backend", 16), ("secrets", "old", 20), ("configs", "caddyfile", 22)]
    assert {f.severity for f in found} == {"info"}
    assert found[0].id == finding_id("unused", "voice/docker-compose.yml#/volumes/models")
    assert found[0].message == ("volume models in voice/docker-compose.yml is declared live but used by no service: "
                                "compose drops it, so it changes nothing that runs")


def test_main_side_says_in_main():
    [f, *_] = run(COMPOSE, "main")
    assert "declared in main but used by no service" in f.message


def test_the_default_network_is_used_by_a_service_without_networks():
    assert run("services:\n  a: {image: x}\nnetworks:\n  default: {driver: bridge}\n") == []
    [f] = run("services:\n  a: {image: x, network_mode: host}\nnetworks:\n  default: {driver: bridge}\n")
    assert f.evidence["name"] == "default"


def test_a_file_where_everything_is_used_has_nothing_to_say():
    assert run("services:\n  a:\n    image: x\n    volumes: [{type: volume, source: d, target: /d}]\nvolumes:\n  d:\n") == []

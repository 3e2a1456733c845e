"""images: services running an image that names no fixed version."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.checks import CheckContext, Side, finding_id
from bot.checks.images import image_tag, images
from bot.config import parse_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "version: 1\nfiles: {docker-compose.yml: voice/docker-compose.yml}\n"


def run(compose: str, name: str = "live") -> list:
    cfg = parse_config(CONFIG, Path("/r/.drift.yml"))
    side = Side(name, "snap-test", {"voice/docker-compose.yml": compose}, {"voice/docker-compose.yml": "docker-compose.yml"})
    return list(images(CheckContext(cfg, side)))


def service(image: str, extra: str = "") -> str:
    return f"services:\n  app:\n    image: {image}\n{extra}"


@pytest.mark.parametrize("image, tag", [
    ("nginx:latest", "latest"),
    ("nginx", None),
    ("registry.example.com:5000/team/app", None),  # a registry port is not a tag
    ("docker.io/library/redis:latest", "latest"),
])
def test_unpinned_images_warn(image, tag):
    [f] = run(service(image))
    assert f.severity == "warning" and f.id == finding_id("images", "app")
    assert f.evidence["tag"] == tag and f.evidence["line"] == 3 and f.evidence["image"] == image
    what = image if tag else f"{image} (no tag, so :latest)"
    assert f.message == (f"app runs {what}, which names no fixed version: a pull or --force-recreate can change "
                         "what runs; pin a version tag or an @sha256: digest")


@pytest.mark.parametrize("image", [
    "caddy:2.8.4-alpine",
    "registry.example.com:5000/team/app:1.2",
    "nginx@sha256:" + "a" * 64,
    "nginx:latest@sha256:" + "b" * 64,
    "${REGISTRY}/app",  # compose interpolates it at run time
    "''",
])
def test_pinned_or_unknown_images_pass(image):
    assert run(service(image)) == []


def test_what_compose_builds_is_not_judged():
    assert run(service("example/agent:latest", "    build: ./agent\n")) == []
    assert run("services:\n  agent:\n    build: ./agent\n") == []


def test_the_repository_pins_every_image():
    assert run((ROOT / "voice/docker-compose.yml").read_text(), "main") == []
    assert run((ROOT / "examples/instance/docker-compose.yml").read_text()) == []


def test_the_same_service_on_both_sides_shares_the_id():
    assert run(service("nginx"))[0].id == run(service("nginx:latest"), "main")[0].id


def test_image_tag():
    assert image_tag("ghcr.io/o/app:1.0@sha256:abc") == ("ghcr.io/o/app", "1.0", "sha256:abc")
    assert image_tag("localhost:5000/app") == ("localhost:5000/app", None, None)

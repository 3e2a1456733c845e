"""drift against compose itself, over a corpus of whole files and generated rewrites.

Each corpus file is rewritten by neutral changes (key order, quoted typed values, other
spellings of durations and sizes, list or map, short or long syntax, anchors, comments,
unused declarations) and by real changes. `docker compose config` decides whether two files
are the same project; drift must agree: no divergence when compose reads them alike, and when
it does not, every path compose sees changed is on the line of a pointer drift reports (at or
under it, or above it where drift names the keys of a block compose sees added whole).
A top-level declaration a service stops or starts using is the one deliberate difference:
compose drops or adds it, drift reports the service's change and keeps a declaration that
either side uses (one edit, at the service, not a second at a declaration main holds).

Compose quirks kept out of the corpus, as they say nothing about the files:
- `profiles:`: `config` leaves out the services of profiles not enabled (drift compares them all);
- `env_file:` and secret/config `file:`: `config` reads or checks them on disk;
- `--no-interpolate`: compose casts quoted typed values while interpolating, so without it
  `retries: "3"` stays a string; interpolation stays on, and the corpus holds no `${…}`;
- relative paths and env files: `--no-path-resolution` and `--no-env-resolution` keep them as written;
- the project name, taken from the folder: `-p oracle` fixes it.
"""
from __future__ import annotations

import copy
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from bot.capture.files import take_file
from bot.compare import compare_file

if shutil.which("docker") is None or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode:
    if os.environ.get("CI") == "true":
        pytest.fail("docker compose is not installed; scripts/setup-docker.sh installs it", pytrace=False)
    pytestmark = pytest.mark.skip(reason="docker compose (v2 plugin) is not installed; scripts/setup-docker.sh installs it")

CORPUS: dict[str, dict[str, Any]] = {
    "voice": {"services": {
        "tts": {"image": "vllm/vllm-omni:v0.11.0", "command": ["--port", "8000", "--max-model-len", "8192"],
                "environment": {"HF_HOME": "/models", "GPU_UTIL": "0.60"}, "ports": ["8000:8000"],
                "volumes": ["models:/models", "./cfg:/cfg:ro"], "init": True, "stop_grace_period": "90s",
                "healthcheck": {"test": ["CMD", "curl", "-f", "http://127.0.0.1:8000/health"], "interval": "30s",
                                "retries": 10, "start_period": "120s"},
                "deploy": {"resources": {"limits": {"memory": "8g", "pids": 200},
                                         "reservations": {"devices": [{"driver": "nvidia", "count": 1,
                                                                       "capabilities": ["gpu"]}]}}}},
        "caddy": {"image": "caddy:2.8.4", "ports": ["80:80", "443:443"], "depends_on": ["tts"],
                  "labels": {"tier": "edge"}, "read_only": True, "networks": ["edge", "default"]}},
        "volumes": {"models": {}}, "networks": {"edge": {}}},
    "swarmish": {"services": {
        "web": {"image": "nginx:1.27", "privileged": False, "shm_size": "64m", "cpu_shares": 512,
                "deploy": {"replicas": 2, "labels": {"team": "web", "tier": ""},
                           "restart_policy": {"condition": "on-failure", "delay": "5s", "max_attempts": 3,
                                              "window": "2m"},
                           "update_config": {"parallelism": 1, "delay": "10s", "monitor": "1m",
                                             "max_failure_ratio": 0.5}},
                "tmpfs": ["/run"], "ulimits": {"nofile": {"soft": 1024, "hard": 2048}}},
        "db": {"image": "postgres:16", "environment": ["POSTGRES_DB=app", "POSTGRES_USER=app"],
               "volumes": [{"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data"}],
               "depends_on": {"web": {"condition": "service_started", "restart": True}}, "attach": False}},
        "volumes": {"pgdata": {"labels": {"backup": "daily"}}}},
    "develop": {"services": {
        "app": {"build": {"context": ".", "dockerfile": "Dockerfile", "args": {"VERSION": "1"}, "no_cache": True},
                "entrypoint": ["python", "-m", "app"], "expose": ["8080"], "pids_limit": 100,
                "develop": {"watch": [{"path": "./src", "action": "sync+exec", "target": "/app/src",
                                       "exec": {"command": ["kill", "-HUP", "1"]}}]},
                "volumes": [{"type": "tmpfs", "target": "/scratch", "tmpfs": {"size": 1048576}}]},
        "remote": {"build": "https://github.com/docker/rootfs.git#main"}}},
}


# --- neutral rewrites: compose reads the result as the same project --------------------------

def _services(doc: dict) -> list[dict]:
    return list(doc["services"].values())


def reorder(doc: dict, rng: random.Random) -> None:
    for svc in _services(doc):
        items = list(svc.items())
        rng.shuffle(items)
        svc.clear()
        svc.update(items)


def quote_typed(doc: dict, rng: random.Random) -> None:
    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if isinstance(node, bool) and key in ("init", "read_only", "privileged", "attach", "no_cache", "restart"):
            return rng.choice(["true", "True", "yes"]) if node else rng.choice(["false", "no", "off"])
        if isinstance(node, (int, float)) and not isinstance(node, bool) and key in (
                "retries", "replicas", "pids", "pids_limit", "count", "max_attempts", "parallelism", "cpu_shares",
                "soft", "hard", "max_failure_ratio", "size"):
            return str(node)
        return node
    doc["services"] = walk(doc["services"])


def respell_durations_and_sizes(doc: dict, rng: random.Random) -> None:
    other = {"90s": "1m30s", "120s": "2m", "30s": "30000ms", "5s": "5000ms", "2m": "120s", "10s": "10000ms",
             "1m": "60s", "8g": "8192m", "64m": "65536k", 1048576: "1m"}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (other.get(v, v) if k in ("stop_grace_period", "interval", "start_period", "delay", "window",
                                                  "monitor", "memory", "shm_size", "size")
                        and not isinstance(v, (dict, list)) else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    doc["services"] = walk(doc["services"])


def lists_and_maps(doc: dict, rng: random.Random) -> None:
    for svc in _services(doc):
        for holder, key in ((svc, "environment"), (svc, "labels"), (svc.get("deploy") or {}, "labels")):
            value = holder.get(key)
            if isinstance(value, dict):
                holder[key] = [f"{k}={v}" if v != "" or key == "environment" else k for k, v in value.items()]
            elif isinstance(value, list):
                holder[key] = dict(item.split("=", 1) for item in value)
        if isinstance(svc.get("depends_on"), list):
            svc["depends_on"] = {d: {"condition": "service_started"} for d in svc["depends_on"]}


def short_and_long(doc: dict, rng: random.Random) -> None:
    for svc in _services(doc):
        if svc.get("ports"):
            svc["ports"] = [{"target": int(p.split(":")[1]), "published": p.split(":")[0]} for p in svc["ports"]]
        if isinstance(svc.get("command"), list):
            svc["command"] = " ".join(svc["command"])
        if isinstance(svc.get("entrypoint"), list):
            svc["entrypoint"] = " ".join(svc["entrypoint"])
        for w in (svc.get("develop") or {}).get("watch", []):
            w["exec"]["command"] = " ".join(w["exec"]["command"])
        if isinstance(svc.get("build"), str):
            svc["build"] = {"context": svc["build"]}
        if isinstance(svc.get("tmpfs"), list) and len(svc["tmpfs"]) == 1:
            svc["tmpfs"] = svc["tmpfs"][0]


def unused_declarations(doc: dict, rng: random.Random) -> None:
    doc.setdefault("volumes", {})["leftover"] = {"driver": "local"}
    doc.setdefault("networks", {})["old-net"] = {}


NEUTRAL: list[Callable[[dict, random.Random], None]] = [
    reorder, quote_typed, respell_durations_and_sizes, lists_and_maps, short_and_long, unused_declarations]


def text_spellings(text: str, rng: random.Random) -> str:
    """Comments and an anchor: the same data in another text."""
    lines = text.splitlines()
    at = rng.randrange(1, len(lines))
    indent = len(lines[at]) - len(lines[at].lstrip())
    lines.insert(at, " " * indent + "# a note a person left")
    return "# header\n" + "\n".join(lines) + "\n"


# --- real changes: compose reads another project -------------------------------------------

def _first(doc: dict) -> dict:
    return _services(doc)[0]


REAL: dict[str, Callable[[dict], None]] = {
    "image tag": lambda d: _first(d).__setitem__("image", "example/other:2"),
    "environment value": lambda d: _first(d).__setitem__("environment", {"EXTRA": "1"}),
    "added label": lambda d: _first(d).setdefault("labels", {}).__setitem__("added", "yes"),
    "restart": lambda d: _first(d).__setitem__("restart", "always"),
    "init flipped": lambda d: _first(d).__setitem__("init", not _first(d).get("init", False)),
    "used new volume": lambda d: (_first(d).setdefault("volumes", []).append("cache:/cache"),
                                  d.setdefault("volumes", {}).__setitem__("cache", {})),
    "removed service": lambda d: d["services"].pop(list(d["services"])[-1]),
}


# --- the two readers ------------------------------------------------------------------------

def compose_reading(folder: Path, text: str, name: str) -> dict[str, Any]:
    (folder / name).write_text(text)
    # Interpolation stays on: compose casts typed values while interpolating (`--no-interpolate`
    # leaves `"3"` a string); the corpus holds no `${…}`, and the environment is almost empty.
    proc = subprocess.run(["docker", "compose", "-p", "oracle", "-f", name, "config", "--no-path-resolution",
                           "--no-env-resolution", "--format", "json"], cwd=folder, capture_output=True, text=True,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": str(folder)})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def changed_paths(a: Any, b: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for k in dict.fromkeys([*a, *b]) for p in changed_paths(a.get(k), b.get(k), path + (str(k),))]
    return [] if a == b else [path]


def drift_pointers(main: str, live: str) -> list[tuple[str, ...]]:
    found, errors = compare_file("docker-compose.yml", main, take_file("docker-compose.yml", "docker-compose.yml", live.encode()))
    assert errors == []
    return [tuple(t.replace("~1", "/").replace("~0", "~") for t in d.pointer.split("/")[1:]) for d in found]


DECLARATIONS = ("volumes", "networks", "secrets", "configs")


def agree(folder: Path, main: str, live: str) -> None:
    paths = changed_paths(compose_reading(folder, main, "main.yml"), compose_reading(folder, live, "live.yml"))
    pointers = drift_pointers(main, live)
    assert bool(paths) == bool(pointers), f"compose sees {paths}, drift reports {pointers}"
    for p in paths:
        if p[0] in DECLARATIONS and any(q[0] == "services" for q in pointers):
            continue  # a declaration compose dropped or kept as a service stopped or started using it
        assert any(p[:len(q)] == q or q[:len(p)] == p for q in pointers), \
            f"compose's change at {'/'.join(p)} is on the line of no drift pointer {pointers}"


def dump(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


CASES = [(name, seed) for name in CORPUS for seed in range(3)]


def anchored(doc: dict) -> dict:
    """The first service's settings block also held by an `x-` extension: one YAML anchor, one alias."""
    doc = copy.deepcopy(doc)
    svc = _first(doc)
    key = next(k for k in ("environment", "labels", "healthcheck", "build", "deploy") if isinstance(svc.get(k), dict))
    doc["x-shared"] = svc[key]  # the same object twice: the dumper writes &id001 and *id001
    return doc


@pytest.mark.parametrize("name, seed", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_neutral_rewrites_are_no_divergence_as_compose_reads_them(tmp_path: Path, name: str, seed: int) -> None:
    rng = random.Random(f"{name}{seed}")
    main = anchored(CORPUS[name])
    doc = copy.deepcopy(main)
    doc["x-shared"] = copy.deepcopy(doc["x-shared"])  # spelt out twice live: no anchor
    for rewrite in rng.sample(NEUTRAL, k=3 + seed):
        rewrite(doc, rng)
    assert "&id001" in dump(main) and "&id001" not in dump(doc)
    agree(tmp_path, dump(main), text_spellings(dump(doc), rng))


@pytest.mark.parametrize("name", list(CORPUS))
@pytest.mark.parametrize("change", list(REAL))
def test_real_changes_under_neutral_rewrites_are_reported_where_compose_sees_them(tmp_path: Path, name: str, change: str) -> None:
    rng = random.Random(f"{name}{change}")
    doc = copy.deepcopy(CORPUS[name])
    REAL[change](doc)
    for rewrite in rng.sample(NEUTRAL, k=2):
        rewrite(doc, rng)
    agree(tmp_path, dump(CORPUS[name]), dump(doc))
